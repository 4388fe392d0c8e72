// Hostile stream clients: a WebSocket or STOMP peer that never reads cannot make the server hold more
// than MAX_BUFFERED_BYTES (plus one replay) through replies, receipts or repeated replays, and cannot
// hold more subscriptions than MAX_SUBSCRIPTIONS_PER_CONNECTION by sending them all at once.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { metricValue, startServer, until, type TestServer } from './support/server.js';
import { RawStomp, connectFrame } from './support/raw-stomp.js';
import { openStream } from './support/raw-http.js';
import { WsConnection } from './clients/websocket.js';
import { mintToken } from '../src/auth.js';

const MAX_BUFFERED = 64 * 1024;
/** Upper bound on attack messages per test; kernel socket buffers absorb a few MB before the server queues. */
const MAX_ATTACK = 600_000;

/** A peer's underlying TCP socket, to batch many messages into one write. */
const rawOf = (socket: WebSocket) => (socket as unknown as { _socket: Socket })._socket;

/** Sends `count` messages built by `make` in one corked write. */
function burst(socket: WebSocket, count: number, make: (i: number) => string): void {
  const raw = rawOf(socket);
  raw.cork();
  for (let i = 0; i < count; i++) socket.send(make(i));
  raw.uncork();
}

async function openPaused(server: TestServer, path: string, protocols: string[] = []): Promise<{ socket: WebSocket; closed: Promise<number> }> {
  const socket = new WebSocket(server.wsUrl + path, protocols);
  socket.on('error', () => {});
  const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
  await new Promise((resolve) => socket.once('open', resolve));
  return { socket, closed };
}

const cuts = (server: TestServer, transport: string) => metricValue(server.app, 'rt_dropped_events_total', { transport, reason: 'slow_consumer' });

/** Floods until the server cuts the peer (or MAX_ATTACK messages), then lets it read the close. */
async function floodUntilCut(server: TestServer, transport: string, socket: WebSocket, make: (i: number) => string, batch = 5000, max = MAX_ATTACK): Promise<number> {
  let sent = 0;
  while (sent < max && (await cuts(server, transport)) === 0 && socket.readyState === WebSocket.OPEN) {
    burst(socket, batch, (i) => make(sent + i));
    sent += batch;
    // Let the server read what was sent, so `sent` counts messages it has handled.
    for (let i = 0; i < 400 && socket.bufferedAmount > 64 * 1024; i++) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 5));
  }
  return sent;
}

/** A bystander on the same server: subscribes to `group` and counts its events. */
async function bystander(t: { after(fn: () => unknown): void }, server: TestServer, group: string) {
  const peer = new WsConnection(server.wsUrl);
  t.after(() => peer.close());
  const seqs: number[] = [];
  peer.onEvent = (event) => seqs.push(event.seq);
  await peer.request({ op: 'subscribe', group });
  return seqs;
}

describe('MAX_BUFFERED_BYTES covers every write', () => {
  for (const [name, make] of [
    ['bad ops ({"op":"x"})', () => '{"op":"x"}'],
    ['1-byte text frames', () => '1'],
    ['pings', (i: number) => JSON.stringify({ op: 'ping', ref: i })],
  ] as const) {
    test(`WebSocket: a peer that never reads and floods ${name} is cut with 4008; a bystander is unaffected`, { timeout: 60_000 }, async (t) => {
      const server = await startServer(t, { maxBufferedBytes: MAX_BUFFERED });
      const seqs = await bystander(t, server, 'calm');
      const { socket, closed } = await openPaused(server, '/ws');
      t.after(() => socket.terminate());
      rawOf(socket).pause();
      const heapBefore = process.memoryUsage().heapUsed;
      const sent = await floodUntilCut(server, 'websocket', socket, make);
      assert.equal(await cuts(server, 'websocket'), 1, `cut after ${sent} messages`);
      const grown = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
      rawOf(socket).resume();
      assert.equal(await closed, 4008);
      for (let i = 0; i < 5; i++) await server.app.hub.publish('calm', { type: 'chat', text: `m${i}` }, 'u', 'http');
      await until(() => seqs.length === 5, 5000, 'the bystander gets every event');
      assert.deepEqual(seqs, [1, 2, 3, 4, 5]);
      t.diagnostic(`cut after ${sent} messages; heap +${grown.toFixed(1)} MB`);
    });
  }

  test('WebSocket: protocol pings from a peer that never reads are bounded by MAX_BUFFERED_BYTES (its pongs count; terminated as a slow consumer)', { timeout: 60_000 }, async (t) => {
    const server = await startServer(t, { maxBufferedBytes: MAX_BUFFERED });
    const { socket, closed } = await openPaused(server, '/ws');
    t.after(() => socket.terminate());
    rawOf(socket).pause();
    const payload = Buffer.alloc(125, 1);
    let sent = 0;
    while (sent < MAX_ATTACK && server.app.connections.count > 0) {
      const raw = rawOf(socket);
      raw.cork();
      for (let i = 0; i < 5000; i++) socket.ping(payload);
      raw.uncork();
      sent += 5000;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(server.app.connections.count, 0, `released after ${sent} pings`);
    rawOf(socket).resume();
    await closed;
  });

  test('STOMP: a peer that never reads and floods frames asking for RECEIPTs gets ERROR slow_consumer', { timeout: 60_000 }, async (t) => {
    const server = await startServer(t, { maxBufferedBytes: MAX_BUFFERED });
    const seqs = await bystander(t, server, 'calm');
    const peer = new RawStomp(`${server.wsUrl}/stomp`);
    t.after(() => peer.socket.terminate());
    await peer.send(connectFrame());
    await peer.next('CONNECTED');
    rawOf(peer.socket).pause();
    const frames = 'ACK\nid:1\nreceipt:r-0123456789\n\n\0'.repeat(100);
    const sent = await floodUntilCut(server, 'stomp', peer.socket, () => frames, 200);
    assert.equal(await cuts(server, 'stomp'), 1, `cut after ${sent * 100} frames`);
    // The ERROR frame sits behind MBs of RECEIPTs this peer would take long to parse: check the server side.
    await until(() => server.app.connections.count === 1, 5000, 'the attacker released');
    assert.equal(await metricValue(server.app, 'rt_connections_closed_total', { transport: 'stomp', reason: 'slow_consumer' }), 1);
    await server.app.hub.publish('calm', { type: 'chat', text: 'after' }, 'u', 'http');
    await until(() => seqs.length === 1, 5000, 'the bystander gets the event');
  });
});

describe('one replay past the bound at a time', () => {
  const EVENTS = 300;
  const TEXT = 'r'.repeat(1000); // a replay is ~330 KB, over MAX_BUFFERED_BYTES on its own
  /** Replays asked for at most: without the rule, each is queued in full (~100 MB in all). */
  const MAX_REPLAYS = 300;
  const fill = async (server: TestServer) => {
    for (let i = 0; i < EVENTS; i++) await server.app.hub.publish('big', { type: 'chat', text: TEXT }, 'u', 'http');
  };
  const delivered = (server: TestServer, transport: string) => metricValue(server.app, 'rt_events_delivered_total', { transport });

  test('WebSocket: repeated subscribe since:0 from a peer that never reads is cut; deliveries stay bounded', { timeout: 60_000 }, async (t) => {
    const server = await startServer(t, { maxBufferedBytes: MAX_BUFFERED });
    await fill(server);
    const { socket, closed } = await openPaused(server, '/ws');
    t.after(() => socket.terminate());
    rawOf(socket).pause();
    const sent = await floodUntilCut(server, 'websocket', socket, () => '{"op":"subscribe","group":"big","since":0}', 10, MAX_REPLAYS);
    assert.equal(await cuts(server, 'websocket'), 1, `cut after ${sent} subscribes`);
    // Kernel buffers hold a few MB before anything queues in the process; far below one replay per subscribe.
    const count = await delivered(server, 'websocket');
    assert.ok(count <= 40 * EVENTS, `${count} deliveries counted for ${sent} subscribes`);
    rawOf(socket).resume();
    assert.equal(await closed, 4008);
  });

  test('STOMP: SUBSCRIBE/UNSUBSCRIBE since:0 cycles from a peer that never reads get ERROR slow_consumer', { timeout: 60_000 }, async (t) => {
    const server = await startServer(t, { maxBufferedBytes: MAX_BUFFERED });
    await fill(server);
    const peer = new RawStomp(`${server.wsUrl}/stomp`);
    t.after(() => peer.socket.terminate());
    await peer.send(connectFrame());
    await peer.next('CONNECTED');
    rawOf(peer.socket).pause();
    const cycle = 'SUBSCRIBE\nid:1\ndestination:/topic/groups.big\nsince:0\n\n\0UNSUBSCRIBE\nid:1\n\n\0';
    const sent = await floodUntilCut(server, 'stomp', peer.socket, () => cycle, 10, MAX_REPLAYS);
    assert.equal(await cuts(server, 'stomp'), 1, `cut after ${sent} cycles`);
    const count = await delivered(server, 'stomp');
    assert.ok(count <= 40 * EVENTS, `${count} deliveries counted for ${sent} cycles`);
    rawOf(peer.socket).resume();
    assert.equal(await peer.closed, 4008);
  });

  test('WebSocket: a reading client resuming several groups at once gets every replay', async (t) => {
    const server = await startServer(t, { maxBufferedBytes: MAX_BUFFERED });
    for (const group of ['a', 'b', 'c']) for (let i = 0; i < 20; i++) await server.app.hub.publish(group, { type: 'chat', text: 'x'.repeat(200) }, 'u', 'http');
    const client = new WsConnection(server.wsUrl);
    t.after(() => client.close());
    const got: string[] = [];
    client.onEvent = (event) => got.push(`${event.group}:${event.seq}`);
    await Promise.all(['a', 'b', 'c'].map((group) => client.request({ op: 'subscribe', group, since: 0 })));
    await until(() => got.length === 60, 5000, 'three replays');
    assert.equal(await cuts(server, 'websocket'), 0);
  });
});

describe('MAX_SUBSCRIPTIONS_PER_CONNECTION counts subscriptions in flight', () => {
  test('WebSocket: 5,000 subscribe ops in one write get exactly the limit of subscribed', async (t) => {
    const server = await startServer(t, { maxSubscriptionsPerConnection: 100 });
    const client = new WsConnection(server.wsUrl);
    t.after(() => client.close());
    await client.opened;
    burst(client.socket, 5000, (i) => JSON.stringify({ op: 'subscribe', group: `g${i}`, ref: i }));
    await until(() => client.replies.length === 5000, 20_000, 'every reply');
    assert.equal(client.replies.filter((r) => r.op === 'subscribed').length, 100);
    const errors = client.replies.filter((r) => r.op === 'error');
    assert.equal(errors.length, 4900);
    assert.ok(errors.every((e) => e.code === 'invalid_request'));
    assert.equal(server.app.hub.stats().subscriptions, 100);
  });

  test('STOMP: 5,000 SUBSCRIBE frames in one message get the limit of RECEIPTs, then ERROR', async (t) => {
    const server = await startServer(t, { maxSubscriptionsPerConnection: 100 });
    const peer = new RawStomp(`${server.wsUrl}/stomp`);
    t.after(() => peer.close());
    await peer.send(connectFrame());
    await peer.next('CONNECTED');
    burst(peer.socket, 5000, (i) => `SUBSCRIBE\nid:${i}\ndestination:/topic/groups.g${i}\nreceipt:${i}\n\n\0`);
    assert.match((await peer.next('ERROR', 0, 20_000)).body, /at most 100 subscriptions/);
    assert.equal(peer.all('RECEIPT').length, 100);
    await peer.closed;
    await until(() => server.app.hub.stats().subscriptions === 0, 5000, 'released');
  });
});

describe('timers a client influences stay within what Node holds', () => {
  const SECRET = 'timer-secret';
  // 30 days: past the 2^31-1 ms (~24.8 days) one Node timer holds.
  const farToken = () => mintToken(SECRET, { sub: 'alice', groups: ['g1'], ttlSeconds: 30 * 86_400 });
  const watchWarnings = (t: { after(fn: () => unknown): void }) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    return warnings;
  };

  test('a token expiring in 30 days keeps WebSocket, SSE and STOMP streams open', async (t) => {
    const server = await startServer(t, { authSecret: SECRET });
    const warnings = watchWarnings(t);
    const socket = new WebSocket(`${server.wsUrl}/ws?access_token=${farToken()}`);
    t.after(() => socket.terminate());
    const wsText: string[] = [];
    socket.on('message', (data) => wsText.push(data.toString()));
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send('{"op":"subscribe","group":"g1","ref":1}');
    const sse = await openStream(`${server.baseUrl}/sse/groups/g1?access_token=${farToken()}`);
    t.after(() => sse.close());
    const stomp = new RawStomp(`${server.wsUrl}/stomp?access_token=${farToken()}`);
    t.after(() => stomp.close());
    await stomp.send(connectFrame());
    await stomp.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.g1\nreceipt:r\n\n\0');
    await stomp.next('RECEIPT');
    await until(() => wsText.some((m) => m.includes('"subscribed"')) || socket.readyState !== WebSocket.OPEN, 3000, 'subscribed');
    await until(() => server.app.hub.stats().subscriptions === 3, 3000, 'three subscriptions');
    await server.app.hub.publish('g1', { type: 'chat', text: 'still here' }, 'alice', 'http');
    await until(() => wsText.some((m) => m.includes('still here')), 3000, 'WebSocket event');
    await until(() => sse.text().includes('still here'), 3000, 'SSE event');
    await stomp.next('MESSAGE');
    assert.equal(socket.readyState, WebSocket.OPEN);
    assert.ok(!wsText.some((m) => m.includes('unauthorized')));
    assert.doesNotMatch(sse.text(), /event: error/);
    assert.equal(stomp.all('ERROR').length, 0);
    assert.equal(stomp.closeCode, undefined);
    assert.deepEqual(warnings, []);
  });

  test('STOMP heart-beat:0,3000000000 is clamped: no 1 ms timer, no TimeoutOverflowWarning', async (t) => {
    const server = await startServer(t);
    const warnings = watchWarnings(t);
    const peers = Array.from({ length: 20 }, () => new RawStomp(`${server.wsUrl}/stomp`));
    t.after(() => peers.forEach((p) => p.close()));
    for (const peer of peers) await peer.send(connectFrame('accept-version:1.2\nheart-beat:0,3000000000'));
    for (const peer of peers) assert.equal((await peer.next('CONNECTED')).headers.get('heart-beat'), '10000,10000');
    // A round trip on each, so any warning emitted on the timers' creation has been delivered.
    for (const peer of peers) {
      await peer.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.hb\nreceipt:r\n\n\0');
      await peer.next('RECEIPT');
    }
    await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(warnings, []);
    assert.ok(peers.every((p) => p.heartbeats === 0 && p.closeCode === undefined));
  });
});

describe('MAX_GROUPS', () => {
  test('publishing to many new groups keeps at most MAX_GROUPS; idle ones make room', async (t) => {
    const server = await startServer(t, { maxGroups: 50 });
    for (let i = 0; i < 500; i++) {
      const res = await server.app.inject({ method: 'POST', url: `/groups/spray-${i}/events`, payload: { type: 'chat', text: 'x' } });
      assert.equal(res.statusCode, 202, res.body);
    }
    const latest = await server.app.inject({ method: 'GET', url: '/poll/groups/spray-499?since=0' });
    assert.equal(latest.json().events.length, 1);
    const evicted = await server.app.inject({ method: 'GET', url: '/poll/groups/spray-0?since=0' });
    assert.equal(evicted.json().events.length, 0, 'the oldest idle group was evicted');
    assert.equal(await metricValue(server.app, 'rt_groups', { scope: 'held' }), 50);
    assert.equal(await metricValue(server.app, 'rt_groups', { scope: 'subscribed' }), 0);
  });

  test('with every group subscribed, a new one gets too_many_groups on every transport; others are unaffected', async (t) => {
    const server = await startServer(t, { maxGroups: 2 });
    const holder = new WsConnection(server.wsUrl);
    t.after(() => holder.close());
    const seqs: number[] = [];
    holder.onEvent = (event) => seqs.push(event.seq);
    await holder.request({ op: 'subscribe', group: 'a' });
    await holder.request({ op: 'subscribe', group: 'b' });
    await assert.rejects(holder.request({ op: 'subscribe', group: 'c' }), (e: { code?: string }) => e.code === 'too_many_groups');
    const publish = await server.app.inject({ method: 'POST', url: '/groups/c/events', payload: { type: 'chat', text: 'x' } });
    assert.equal(publish.statusCode, 503);
    assert.equal(publish.json().error.code, 'too_many_groups');
    for (const url of ['/sse/groups/c', '/longpoll/groups/c?timeout=10']) {
      const res = await fetch(server.baseUrl + url);
      assert.equal(res.status, 503, url);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'too_many_groups');
    }
    const peer = new RawStomp(`${server.wsUrl}/stomp`);
    t.after(() => peer.close());
    await peer.send(connectFrame());
    await peer.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.c\n\n\0');
    assert.equal((await peer.next('ERROR')).headers.get('message'), 'too_many_groups');
    await server.app.hub.publish('a', { type: 'chat', text: 'fine' }, 'u', 'http');
    await until(() => seqs.length === 1, 3000, 'the held group still delivers');
  });
});
