import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, metricValue, until, type TestServer } from '../support/server.js';
import { openStream } from '../support/raw-http.js';
import { SseClient } from '../clients/index.js';

async function post(server: TestServer, group: string, text = 'x'): Promise<void> {
  await server.app.inject({ method: 'POST', url: `/groups/${group}/events`, headers: { 'content-type': 'application/json' }, payload: { type: 'chat', text } });
}

describe('SSE', () => {
  for (const sseWriter of ['direct', 'plugin'] as const) {
    test(`${sseWriter} writer: headers, retry on open, then id/event/data blocks in seq order`, async (t) => {
      const server = await startServer(t, { sseWriter });
      await post(server, 'g', 'one');
      const stream = await openStream(`${server.baseUrl}/sse/groups/g?since=0`);
      t.after(() => stream.close());
      assert.equal(stream.status, 200);
      assert.match(String(stream.headers['content-type']), /^text\/event-stream/);
      assert.match(String(stream.headers['cache-control']), /no-cache/);
      await post(server, 'g', 'two');
      await until(() => stream.text().includes('"two"'), 2000, 'second event');
      const [retry, first, second] = stream.text().split('\n\n');
      assert.equal(retry, 'retry: 3000');
      const lines = first!.split('\n');
      assert.deepEqual(lines.slice(0, 2), ['id: 1', 'event: chat']);
      assert.equal(JSON.parse(lines[2]!.slice('data: '.length)).data.text, 'one');
      assert.match(second!, /^id: 2\nevent: chat\ndata: \{"seq":2,/);
      assert.equal(await metricValue(server.app, 'rt_events_delivered_total', { transport: 'sse' }), 2);
      assert.equal(await metricValue(server.app, 'rt_bytes_sent_total', { transport: 'sse' }), Buffer.byteLength(stream.text()));
    });
  }

  test('an open stream does not keep Fastify\'s reply listener; Node\'s own stays and a limited stream still ends', async (t) => {
    const server = await startServer(t);
    const responses: import('node:http').ServerResponse[] = [];
    server.app.server.on('request', (_req, res) => responses.push(res));
    const stream = await openStream(`${server.baseUrl}/sse/groups/g?limit=1`);
    t.after(() => stream.close());
    await until(() => stream.text().includes('retry:'), 2000, 'the head');
    const res = responses[0]!;
    const names = (event: string) => res.listeners(event).map((l) => (l as { name: string }).name);
    assert.ok(!names('finish').includes('onResFinished') && !names('error').includes('onResFinished'), `finish: ${names('finish')}`);
    assert.ok(res.listeners('finish').length > 0, 'Node keeps its finish listener');
    await post(server, 'g', 'only');
    await stream.ended;
    assert.match(stream.text(), /data: .*"only"/);
    await until(() => server.app.connections.count === 0, 2000, 'the slot released');
  });

  test('Last-Event-ID wins over ?since', async (t) => {
    const server = await startServer(t);
    for (let i = 0; i < 4; i++) await post(server, 'g');
    const stream = await openStream(`${server.baseUrl}/sse/groups/g?since=0`, { 'last-event-id': '2' });
    t.after(() => stream.close());
    await until(() => stream.text().includes('id: 4'), 2000, 'replay');
    assert.equal(stream.text().includes('id: 1\n') || stream.text().includes('id: 2\n'), false);
    assert.match(stream.text(), /id: 3\n[\s\S]*id: 4\n/);
  });

  test('an EventSource client reconnects on its own with Last-Event-ID and loses nothing', async (t) => {
    const server = await startServer(t);
    const { EventSource } = await import('eventsource');
    // timeout=300 makes the server end each stream; the client reconnects after `retry` (3 s).
    const source = new EventSource(`${server.baseUrl}/sse/groups/g?timeout=300`);
    t.after(() => source.close());
    const seqs: number[] = [];
    source.addEventListener('chat', (m: MessageEvent) => seqs.push(JSON.parse(m.data as string).seq));
    await new Promise<void>((resolve) => (source.onopen = () => resolve()));
    await post(server, 'g');
    await until(() => seqs.length === 1, 2000, 'first event');
    await until(() => server.app.connections.count === 0, 2000, 'the server to end the stream');
    await post(server, 'g');
    await post(server, 'g');
    await until(() => seqs.length === 3, 6000, 'replay after reconnect');
    assert.deepEqual(seqs, [1, 2, 3]);
  });

  test('a cut history sends event: truncated (without id) before the replay', async (t) => {
    const server = await startServer(t, { historySize: 2 });
    for (let i = 0; i < 5; i++) await post(server, 'g');
    const stream = await openStream(`${server.baseUrl}/sse/groups/g?since=1`);
    t.after(() => stream.close());
    await until(() => stream.text().includes('id: 5'), 2000, 'replay');
    const blocks = stream.text().split('\n\n');
    assert.equal(blocks[1], 'event: truncated\ndata: {"group":"g","seq":5}');
    assert.match(blocks[2]!, /^id: 4\n/);
  });

  test('comment heartbeats every SSE_HEARTBEAT_MS', async (t) => {
    const server = await startServer(t, { sseHeartbeatMs: 30 });
    const stream = await openStream(`${server.baseUrl}/sse/groups/g`);
    t.after(() => stream.close());
    await until(() => stream.text().split(': ping\n\n').length > 3, 2000, 'three heartbeats');
  });

  test('limit and timeout end the stream (for clients that read whole responses)', async (t) => {
    const server = await startServer(t);
    for (let i = 0; i < 5; i++) await post(server, 'g');
    const limited = await openStream(`${server.baseUrl}/sse/groups/g?since=0&limit=3`);
    await limited.ended;
    assert.deepEqual([...limited.text().matchAll(/^id: (\d+)$/gm)].map((m) => m[1]), ['1', '2', '3']);
    const timed = await openStream(`${server.baseUrl}/sse/groups/g?since=5&timeout=50`);
    await timed.ended;
    assert.equal(timed.text(), 'retry: 3000\n\n');
    await until(() => server.app.connections.count === 0, 2000, 'slots released');
  });

  test('bad cursors, groups and extension values get the error shape', async (t) => {
    const server = await startServer(t);
    const cases: [string, Record<string, string>, string][] = [
      ['/sse/groups/g?since=x', {}, 'invalid_cursor'],
      ['/sse/groups/g', { 'last-event-id': 'abc' }, 'invalid_cursor'],
      ['/sse/groups/g?since=%20', {}, 'invalid_cursor'],
      ['/sse/groups/g?since=1e3', {}, 'invalid_cursor'],
      ['/sse/groups/g', { 'last-event-id': '0x1' }, 'invalid_cursor'],
      ['/sse/groups/g', { 'last-event-id': '+1' }, 'invalid_cursor'],
      ['/sse/groups/bad%20g', {}, 'invalid_group'],
      ['/sse/groups/g?limit=0', {}, 'invalid_request'],
    ];
    for (const [path, headers, code] of cases) {
      const res = await fetch(server.baseUrl + path, { headers });
      assert.equal(res.status, 400, path);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, code, path);
    }
  });

  for (const sseWriter of ['direct', 'plugin'] as const) {
    test(`${sseWriter} writer: a consumer that stops reading is cut with slow_consumer; a reading one keeps everything`, async (t) => {
      const server = await startServer(t, { sseWriter, maxBufferedBytes: 64 * 1024 });
      const stalled = await openStream(`${server.baseUrl}/sse/groups/g`);
      stalled.response.pause();
      const healthy = new SseClient(server.baseUrl);
      t.after(() => healthy.close());
      await healthy.subscribe('g');
      const text = 'y'.repeat(900);
      let published = 0;
      for (; published < 20000 && (await metricValue(server.app, 'rt_dropped_events_total', { transport: 'sse', reason: 'slow_consumer' })) === 0; published++) {
        await server.app.hub.publish('g', { type: 'chat', text }, 'load', 'http');
        if (published % 50 === 0) await new Promise((r) => setImmediate(r));
      }
      assert.ok(published < 20000, 'the stalled consumer was cut');
      await healthy.waitForCount(published, 10000);
      stalled.response.resume();
      await stalled.ended;
      assert.match(stalled.text(), /event: error\ndata: \{"code":"slow_consumer"/);
      assert.equal(await metricValue(server.app, 'rt_connections_closed_total', { transport: 'sse', reason: 'slow_consumer' }), 1);
    });
  }
});

test('direct writer: each event is one pre-encoded HTTP chunk on the wire, and the counted bytes are the SSE bytes in them', async (t) => {
  const net = await import('node:net');
  const server = await startServer(t);
  const { port } = new URL(server.baseUrl);
  const socket = net.connect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  let wire = '';
  socket.on('data', (d: Buffer) => (wire += d.toString('latin1')));
  socket.write('GET /sse/groups/g HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n');
  await until(() => wire.includes('retry:'), 2000, 'stream open');
  for (const text of ['one', 'two', 'three']) await post(server, 'g', text);
  await until(() => wire.includes('three'), 2000, 'three events');
  const body = wire.slice(wire.indexOf('\r\n\r\n') + 4);
  // Chunked framing: size line, data, CRLF; each event is a chunk of its own SSE block.
  const chunks: string[] = [];
  for (let at = 0; at < body.length; ) {
    const eol = body.indexOf('\r\n', at);
    const size = Number.parseInt(body.slice(at, eol), 16);
    chunks.push(body.slice(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  assert.deepEqual(chunks.map((c) => /^id: (\d+)/.exec(c)?.[1] ?? c.split('\n')[0]), ['retry: 3000', '1', '2', '3']);
  assert.equal(await metricValue(server.app, 'rt_bytes_sent_total', { transport: 'sse' }), chunks.join('').length);
});

describe('direct writer: an unbounded stream leaves Node\'s HTTP server (src/http-detach.ts)', () => {
  /** A raw HTTP/1.1 client on one socket, and the server's response object for its request. */
  async function rawStream(t: import('node:test').TestContext, server: TestServer, path: string) {
    const net = await import('node:net');
    const responses: import('node:http').ServerResponse[] = [];
    const onRequest = (_req: unknown, res: import('node:http').ServerResponse) => responses.push(res);
    server.app.server.on('request', onRequest);
    const socket = net.connect(Number(new URL(server.baseUrl).port), '127.0.0.1');
    socket.on('error', () => {});
    t.after(() => socket.destroy());
    let wire = '';
    socket.on('data', (d: Buffer) => (wire += d.toString('latin1')));
    const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()).once('close', () => resolve()));
    socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\naccept: text/event-stream\r\n\r\n`);
    await until(() => wire.includes('retry:'), 2000, 'stream open');
    server.app.server.removeListener('request', onRequest);
    return { socket, wire: () => wire, ended, response: responses[0]! };
  }

  /** The chunks of a chunked body, and whether it ended with the last chunk. */
  function chunksOf(wire: string): { chunks: string[]; terminated: boolean } {
    const body = wire.slice(wire.indexOf('\r\n\r\n') + 4);
    const chunks: string[] = [];
    for (let at = 0; at < body.length; ) {
      const eol = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.slice(at, eol), 16);
      if (size === 0) return { chunks, terminated: body.slice(eol) === '\r\n\r\n' };
      chunks.push(body.slice(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    return { chunks, terminated: false };
  }

  test('its response lets go of the socket; events, heartbeats and the shutdown end are the same bytes, then the connection closes', async (t) => {
    const server = await startServer(t, { sseHeartbeatMs: 50 });
    const stream = await rawStream(t, server, '/sse/groups/g');
    assert.equal(stream.response.socket, null, 'detached');
    assert.match(stream.wire(), /^HTTP\/1\.1 200 OK\r\n[\s\S]*transfer-encoding: chunked\r\n/i);
    for (const text of ['one', 'two']) await post(server, 'g', text);
    await until(() => stream.wire().includes('"two"') && stream.wire().includes(': ping'), 2000, 'two events and a heartbeat');
    await server.app.close();
    await stream.ended;
    const { chunks, terminated } = chunksOf(stream.wire());
    assert.ok(terminated, 'the body ends with the last chunk');
    assert.equal(chunks[0], 'retry: 3000\n\n');
    assert.match(chunks.at(-1)!, /^event: error\ndata: \{"code":"shutting_down"/);
    assert.deepEqual(chunks.filter((c) => c.startsWith('id:')).map((c) => /^id: (\d+)/.exec(c)![1]), ['1', '2']);
    assert.equal(await metricValue(server.app, 'rt_bytes_sent_total', { transport: 'sse' }), chunks.join('').length);
    assert.equal(await metricValue(server.app, 'rt_connections_closed_total', { transport: 'sse', reason: 'shutdown' }), 1);
  });

  test('the client going closes it (reason client) and gives back the stream and socket slots', async (t) => {
    const server = await startServer(t);
    for (const how of ['close', 'half-close'] as const) {
      const stream = await rawStream(t, server, '/sse/groups/g');
      assert.equal(stream.response.socket, null, 'detached');
      assert.equal(server.app.connections.count, 1);
      if (how === 'close') stream.socket.destroy();
      else stream.socket.end();
      await until(() => server.app.connections.count === 0 && server.app.sockets.count === 0, 2000, `slots released after the client's ${how}`);
    }
    assert.equal(await metricValue(server.app, 'rt_connections_closed_total', { transport: 'sse', reason: 'client' }), 2);
    assert.equal(await metricValue(server.app, 'rt_connections', { transport: 'sse' }), 0);
  });

  test('a token expiring ends it with unauthorized and closes the connection', async (t) => {
    const { mintToken } = await import('../../src/auth.js');
    const server = await startServer(t, { authSecret: 'sse-secret' });
    const token = mintToken('sse-secret', { sub: 'ann', groups: ['g'], ttlSeconds: 1 });
    const stream = await rawStream(t, server, `/sse/groups/g?access_token=${token}`);
    assert.equal(stream.response.socket, null, 'detached');
    await stream.ended;
    const { chunks, terminated } = chunksOf(stream.wire());
    assert.ok(terminated);
    assert.match(chunks.at(-1)!, /"code":"unauthorized"/);
    await until(() => server.app.connections.count === 0 && server.app.sockets.count === 0, 2000, 'slots released');
  });

  test('a bounded stream keeps Node\'s HTTP server, and its connection serves the next request', async (t) => {
    const server = await startServer(t);
    const stream = await rawStream(t, server, '/sse/groups/g?limit=1');
    assert.ok(stream.response.socket, 'not detached');
    await post(server, 'g', 'only');
    await until(() => chunksOf(stream.wire()).terminated, 2000, 'the end');
    stream.socket.write('GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n');
    await until(() => /HTTP\/1\.1 200 OK[\s\S]*HTTP\/1\.1 200 OK/.test(stream.wire()), 2000, 'the next answer on the same connection');
  });

  test('on a Node whose internals differ it streams as before, not detached', async (t) => {
    const { nodeHttpInternals } = await import('../../src/http-detach.js');
    const freeParser = nodeHttpInternals.freeParser;
    nodeHttpInternals.freeParser = undefined;
    t.after(() => (nodeHttpInternals.freeParser = freeParser));
    const server = await startServer(t, { maxBufferedBytes: 64 * 1024 });
    const stream = await rawStream(t, server, '/sse/groups/g');
    assert.ok(stream.response.socket, 'not detached');
    await post(server, 'g', 'one');
    await until(() => stream.wire().includes('"one"'), 2000, 'an event');
    assert.deepEqual(chunksOf(stream.wire()).chunks.map((c) => c.split('\n')[0]), ['retry: 3000', 'id: 1']);
    stream.socket.destroy();
    await until(() => server.app.connections.count === 0, 2000, 'closed when the client goes');
    assert.equal(await metricValue(server.app, 'rt_connections_closed_total', { transport: 'sse', reason: 'client' }), 1);
  });
});
