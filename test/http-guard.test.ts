import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { handOverSocketSlot } from '../src/http-guard.js';
import { startServer, metricValue, until } from './support/server.js';

/** Publishes `n` chat events of about `size` characters to a group, straight through the Hub. */
async function fill(app: FastifyInstance, group: string, n: number, size: number): Promise<void> {
  for (let i = 0; i < n; i++) await app.hub.publish(group, { type: 'chat', text: `${i} ${'x'.repeat(size)}` }, 'filler', 'http');
}

/** A raw TCP client that reads nothing (its receive buffer fills, then the server's send buffer). */
async function rawSocket(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  await once(socket, 'connect');
  return socket;
}

/** Resolves when the socket is closed, whatever the error (ECONNRESET, EPIPE) that came with it. */
const closed = (socket: net.Socket) => new Promise<void>((resolve) => socket.once('close', () => resolve()));
const portOf = (baseUrl: string) => Number(new URL(baseUrl).port);
const pollsAnswered = (app: FastifyInstance) => metricValue(app, 'rt_poll_requests_total', { transport: 'short-polling', result: 'events' });
const closedFor = (app: FastifyInstance, reason: string) => metricValue(app, 'rt_http_sockets_closed_total', { reason });

describe('HTTP socket guard', () => {
  test('pipelined short polls past MAX_PIPELINED_REQUESTS close the socket; the answers built stay bounded', { timeout: 30_000 }, async (t) => {
    // A buffer bound this large leaves the pipeline bound to trip (answers are built as requests arrive).
    const { app, baseUrl } = await startServer(t, { historySize: 200, maxPipelinedRequests: 8, maxBufferedBytes: 64 * 1024 * 1024 });
    await fill(app, 'big', 200, 900);
    const attacker = await rawSocket(portOf(baseUrl));
    attacker.pause();
    attacker.write('GET /poll/groups/big?since=0 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(2000));
    await until(() => app.sockets.count === 0, 10_000, 'the server closed the socket');
    attacker.resume(); // a socket that reads nothing never sees the close
    await closed(attacker);
    assert.equal(await closedFor(app, 'pipeline_limit'), 1);
    assert.ok((await pollsAnswered(app)) <= 8, `at most MAX_PIPELINED_REQUESTS answers built, got ${await pollsAnswered(app)}`);
    const bystander = await fetch(`${baseUrl}/poll/groups/big?since=199`);
    assert.equal(((await bystander.json()) as { events: unknown[] }).events.length, 1, 'another client is answered');
  });

  test('answers queued on a socket that does not read are bounded by MAX_BUFFERED_BYTES (slow_consumer)', { timeout: 30_000 }, async (t) => {
    const { app, baseUrl } = await startServer(t, { historySize: 1000, maxPipelinedRequests: 1000, maxBufferedBytes: 256 * 1024 });
    await fill(app, 'big', 1000, 1000);
    const attacker = await rawSocket(portOf(baseUrl));
    attacker.pause();
    // 200 answers of ~1 MB: far more than kernel socket buffers take, so they queue in the process.
    attacker.write('GET /poll/groups/big?since=0 HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(200));
    await until(() => app.sockets.count === 0, 20_000, 'the server closed the socket');
    assert.equal(await closedFor(app, 'slow_consumer'), 1);
    assert.ok((await pollsAnswered(app)) < 20, `cut after a few answers, not all 200: ${await pollsAnswered(app)}`);
    // What reached the client is what the kernel buffers held plus about MAX_BUFFERED_BYTES, not 200 MB.
    let received = 0;
    attacker.on('data', (chunk: Buffer) => (received += chunk.length));
    attacker.resume();
    await closed(attacker);
    assert.ok(received < 20 * 1024 * 1024, `received ${received} bytes`);
    assert.equal((await fetch(`${baseUrl}/healthz`)).status, 200);
  });

  test('a pipelining client that reads gets every answer, in order', async (t) => {
    const { app, baseUrl } = await startServer(t, { maxPipelinedRequests: 8 });
    await fill(app, 'g', 3, 10);
    const client = await rawSocket(portOf(baseUrl));
    let text = '';
    client.on('data', (chunk) => (text += chunk));
    client.write(['1', '2', '3'].map((n) => `GET /poll/groups/g?since=${Number(n) - 1} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
    await until(() => (text.match(/"next":/g) ?? []).length === 3, 5000, 'three answers');
    assert.deepEqual([...text.matchAll(/"next":(\d+)/g)].map((m) => m[1]), ['3', '3', '3']);
    client.destroy();
  });

  test('a keep-alive client asking one request at a time is never cut, however many it asks', async (t) => {
    const { app, baseUrl } = await startServer(t, { maxPipelinedRequests: 2, maxBufferedBytes: 1024 });
    await fill(app, 'g', 20, 500);
    const client = await rawSocket(portOf(baseUrl));
    let text = '';
    client.on('data', (chunk) => (text += chunk));
    for (let i = 1; i <= 30; i++) {
      client.write(`GET /poll/groups/g?since=0 HTTP/1.1\r\nHost: x\r\n\r\n`);
      await until(() => (text.match(/"next":20/g) ?? []).length === i, 5000, `answer ${i}`);
    }
    assert.equal(client.destroyed, false);
    assert.equal(await closedFor(app, 'pipeline_limit'), 0);
    assert.equal(await closedFor(app, 'slow_consumer'), 0);
    client.destroy();
  });

  test('every TCP socket counts against MAX_CONNECTIONS_PER_IP; beyond it 503, and a fresh client still gets /healthz', { timeout: 30_000 }, async (t) => {
    const { app, baseUrl } = await startServer(t, { maxConnectionsPerIp: 5, maxConnections: 8 });
    const tricklers: net.Socket[] = [];
    t.after(() => tricklers.forEach((s) => s.destroy()));
    const refused: Promise<string>[] = [];
    for (let i = 0; i < 20; i++) {
      const socket = await rawSocket(portOf(baseUrl), '127.0.0.2');
      socket.write('POST /groups/g/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 50\r\n\r\n{');
      let text = '';
      socket.on('data', (chunk) => (text += chunk));
      refused.push(new Promise((resolve) => socket.once('close', () => resolve(text))));
      tricklers.push(socket);
    }
    await until(() => app.sockets.count === 5, 5000, 'five sockets held for 127.0.0.2');
    const answers = await Promise.race([Promise.all(refused.slice(5)), new Promise<string[]>((r) => setTimeout(() => r([]), 5000))]);
    assert.equal(answers.length, 15, 'the 15 past the limit are closed');
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 503[\s\S]*"too_many_connections"/);
    assert.equal(await closedFor(app, 'too_many_connections'), 15);
    // Other addresses still connect (up to MAX_CONNECTIONS in all).
    const health = await fetch(`${baseUrl}/healthz`);
    assert.equal(health.status, 200);
    for (const s of tricklers) s.destroy();
    await until(() => app.sockets.count <= 1, 5000, 'slots given back when the sockets close');
  });

  test('handOverSocketSlot: the guard forgets the socket, the caller releases; once only, none after close', async (t) => {
    const { app, baseUrl } = await startServer(t);
    const handed: (string | undefined)[] = [];
    const handOver = (socket: net.Socket): void => {
      // After the guard's own connection listener has taken the slot.
      setImmediate(() => handed.push(handOverSocketSlot(socket), handOverSocketSlot(socket)));
    };
    app.server.on('connection', handOver);
    const client = await rawSocket(portOf(baseUrl));
    await until(() => handed.length === 2, 5000, 'handed over');
    app.server.removeListener('connection', handOver);
    assert.deepEqual(handed, ['127.0.0.1', undefined]);
    client.destroy();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(app.sockets.count, 1, 'the guard no longer gives it back');
    app.sockets.release(handed[0]!);
    assert.equal(app.sockets.count, 0);
    // A socket that closed before any hand-over: the guard gave its slot back, nothing is left to hand.
    const late: net.Socket[] = [];
    app.server.on('connection', (socket: net.Socket) => late.push(socket));
    const second = await rawSocket(portOf(baseUrl));
    await until(() => late.length === 1, 5000, 'second connected');
    second.destroy();
    await until(() => app.sockets.count === 0, 5000, 'released on close');
    assert.equal(handOverSocketSlot(late[0]!), undefined);
  });

  test('MAX_CONNECTIONS counts sockets from every address', { timeout: 30_000 }, async (t) => {
    const { app, baseUrl } = await startServer(t, { maxConnectionsPerIp: 100, maxConnections: 4 });
    const sockets = await Promise.all(['127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5'].map((a) => rawSocket(portOf(baseUrl), a)));
    t.after(() => sockets.forEach((s) => s.destroy()));
    await until(() => app.sockets.count === 4, 5000, 'four held');
    const extra = await rawSocket(portOf(baseUrl), '127.0.0.6');
    let text = '';
    extra.on('data', (chunk) => (text += chunk));
    await closed(extra);
    assert.match(text, /^HTTP\/1\.1 503/);
  });

  test('a trickled body is cut at REQUEST_TIMEOUT_MS with 408; a long poll waiting longer is not', { timeout: 30_000 }, async (t) => {
    const { app, baseUrl } = await startServer(t, { requestTimeoutMs: 300 });
    const trickler = await rawSocket(portOf(baseUrl));
    trickler.write('POST /groups/g/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n');
    const drip = setInterval(() => trickler.write(' '), 100);
    t.after(() => clearInterval(drip));
    let text = '';
    trickler.on('data', (chunk) => (text += chunk));
    const longPoll = fetch(`${baseUrl}/longpoll/groups/g?timeout=2500`);
    await closed(trickler);
    clearInterval(drip);
    assert.match(text, /^HTTP\/1\.1 408/);
    assert.equal(await closedFor(app, 'request_timeout'), 1);
    const waited = await longPoll;
    assert.equal(waited.status, 200);
    assert.deepEqual(await waited.json(), { events: [], next: 0 });
  });

  test('trickled headers are cut too', { timeout: 30_000 }, async (t) => {
    const { baseUrl } = await startServer(t, { requestTimeoutMs: 300 });
    const trickler = await rawSocket(portOf(baseUrl));
    trickler.write('GET /healthz HTTP/1.1\r\n');
    const drip = setInterval(() => trickler.write('x-a: b\r\n'), 100);
    t.after(() => clearInterval(drip));
    await closed(trickler);
  });

  test('response bytes are charged exactly, to the transport of the route that answered, pipelined or not', async (t) => {
    const { app, baseUrl } = await startServer(t);
    await fill(app, 'b', 3, 40);
    const sent = (transport: string) => metricValue(app, 'rt_bytes_sent_total', { transport });
    const before = { poll: await sent('short-polling'), longPoll: await sent('long-polling') };
    const client = await rawSocket(portOf(baseUrl));
    let received = '';
    client.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    const answers = () => received.split('HTTP/1.1 ').length - 1;
    const poll = (since: number) => `GET /poll/groups/b?since=${since} HTTP/1.1\r\nHost: x\r\n\r\n`;
    client.write(poll(0));
    await until(() => answers() === 1, 5000, 'first answer');
    // Not charged to short polling: a publish and a snapshot on the same keep-alive socket.
    const body = '{"type":"chat","text":"between"}';
    client.write(`POST /groups/b/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    await until(() => answers() === 2, 5000, 'publish answered');
    const notCounted = received.length;
    client.write('GET /groups/b/snapshot HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => answers() === 3, 5000, 'snapshot answered');
    const notCountedEnd = received.length;
    client.write(poll(1) + poll(2) + 'GET /longpoll/groups/b?since=0 HTTP/1.1\r\nHost: x\r\n\r\n'); // pipelined
    await until(() => answers() === 6 && received.endsWith('}'), 5000, 'three pipelined answers');
    const firstAnswerEnd = received.indexOf('HTTP/1.1 ', 1);
    const longPollAt = received.lastIndexOf('HTTP/1.1 ');
    assert.ok(firstAnswerEnd < notCounted && notCounted < notCountedEnd && notCountedEnd < longPollAt);
    for (let i = 0; i < 100 && (await sent('long-polling')) === before.longPoll; i++) await new Promise((r) => setTimeout(r, 10));
    const pollBytes = firstAnswerEnd + (longPollAt - notCountedEnd); // answers 1, 4 and 5
    assert.equal((await sent('short-polling')) - before.poll, pollBytes, 'short-polling bytes are its answers exactly');
    assert.equal((await sent('long-polling')) - before.longPoll, received.length - longPollAt, 'long-polling bytes are its answer exactly');
    client.destroy();
  });
});
