import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, metricValue, until } from '../support/server.js';
import { WsConnection } from '../clients/websocket.js';

describe('WebSocket', () => {
  test('subscribe -> subscribed with the head; publish with ref -> ack; the publisher gets its own event', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const ws = new WsConnection(wsUrl, 'alice');
    t.after(() => ws.close());
    const events: unknown[] = [];
    ws.onEvent = (e) => events.push(e);
    assert.deepEqual(await ws.request({ op: 'subscribe', group: 'g' }), { op: 'subscribed', group: 'g', seq: 0, ref: 'r1' });
    assert.deepEqual(await ws.request({ op: 'publish', group: 'g', event: { type: 'chat', text: 'hi', sentAt: 1 } }), { op: 'ack', ref: 'r2', seq: 1 });
    await until(() => events.length === 1, 2000, 'own event');
    assert.deepEqual(events[0], { seq: 1, group: 'g', type: 'chat', user: 'alice', at: (events[0] as { at: number }).at, sentAt: 1, data: { text: 'hi' } });
    assert.deepEqual(await ws.request({ op: 'ping' }), { op: 'pong', ref: 'r3' });
    assert.deepEqual(await ws.request({ op: 'unsubscribe', group: 'g' }), { op: 'unsubscribed', group: 'g', ref: 'r4' });
    await until(() => app.hub.stats().subscriptions === 0, 2000, 'unsubscribe releases');
    assert.equal(await metricValue(app, 'rt_events_published_total', { transport: 'websocket', type: 'chat' }), 1);
  });

  test('ops without ref get replies without ref; publishing needs no subscription', async (t) => {
    const { wsUrl } = await startServer(t);
    const socket = new WebSocket(`${wsUrl}/ws`);
    t.after(() => socket.close());
    const replies: string[] = [];
    socket.on('message', (d) => replies.push(d.toString()));
    await new Promise((r) => socket.once('open', r));
    socket.send('{"op":"ping"}');
    socket.send(JSON.stringify({ op: 'publish', group: 'g', event: { type: 'location', lat: 1, lng: 2 } }));
    await until(() => replies.length === 2, 2000, 'two replies');
    assert.deepEqual(replies, ['{"op":"pong"}', '{"op":"ack","seq":1}']);
  });

  test('bad frames get an error op and the connection stays open', async (t) => {
    const { wsUrl } = await startServer(t, { maxBodyBytes: 512 });
    const socket = new WebSocket(`${wsUrl}/ws`);
    t.after(() => socket.close());
    const replies: { op: string; code?: string; ref?: string }[] = [];
    socket.on('message', (d) => replies.push(JSON.parse(d.toString())));
    await new Promise((r) => socket.once('open', r));
    const frames: [string, string][] = [
      ['hello there', 'unknown_op'],
      ['{"op":"dance"}', 'unknown_op'],
      ['[1,2]', 'unknown_op'],
      ['{"op":"subscribe","group":"bad group","ref":"a"}', 'invalid_group'],
      ['{"op":"subscribe","group":"g","since":-1}', 'invalid_cursor'],
      ['{"op":"subscribe","group":"g","since":"5"}', 'invalid_cursor'],
      ['{"op":"publish","group":"g","event":{"type":"location","lat":100,"lng":0}}', 'invalid_event'],
      ['{"op":"publish","group":"g","event":{"type":"chat","text":"x","user":"a b"}}', 'invalid_user'],
      ['{"op":"publish","group":"g"}', 'invalid_event'],
      ['{"op":"unsubscribe","group":"never"}', 'not_subscribed'],
      [JSON.stringify({ op: 'publish', group: 'g', event: { type: 'chat', text: 'x'.repeat(900) } }) + ' '.repeat(1000), 'payload_too_large'],
    ];
    for (const [frame] of frames) socket.send(frame);
    await until(() => replies.length === frames.length, 2000, 'every error');
    // Ops run concurrently (a publish may wait on the broker), so replies are compared as a multiset.
    assert.deepEqual(replies.map((r) => r.code).sort(), frames.map(([, code]) => code).sort());
    assert.equal(replies.find((r) => r.code === 'invalid_group')!.ref, 'a', 'the ref is echoed on errors');
    assert.ok(replies.every((r) => r.op === 'error'));
    socket.send('{"op":"ping"}');
    await until(() => replies.length === frames.length + 1, 2000, 'still open');
    assert.equal(replies.at(-1)!.op, 'pong');
  });

  test('re-subscribing with since resumes on the same connection without duplicates', async (t) => {
    const { wsUrl, app } = await startServer(t);
    for (let i = 0; i < 3; i++) await app.hub.publish('g', { type: 'chat', text: `${i}` }, 'u', 'http');
    const ws = new WsConnection(wsUrl);
    t.after(() => ws.close());
    const seqs: number[] = [];
    ws.onEvent = (e) => seqs.push(e.seq);
    await ws.request({ op: 'subscribe', group: 'g', since: 0 });
    await until(() => seqs.length === 3, 2000, 'replay');
    await ws.request({ op: 'subscribe', group: 'g', since: 2 });
    await app.hub.publish('g', { type: 'chat', text: 'x' }, 'u', 'http');
    await until(() => seqs.length === 5, 2000, 'resume');
    assert.deepEqual(seqs, [1, 2, 3, 3, 4]);
    assert.equal(app.hub.stats().subscriptions, 1);
  });

  test('GET /ws without an upgrade answers the HTTP error shape', async (t) => {
    const { baseUrl } = await startServer(t);
    const res = await fetch(`${baseUrl}/ws`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_request');
  });

  test('protocol pings: a peer that stops answering is dropped', async (t) => {
    const { wsUrl, app } = await startServer(t, { wsPingMs: 40 });
    const socket = new WebSocket(`${wsUrl}/ws`, { autoPong: false });
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise((r) => socket.once('open', r));
    const answering = new WebSocket(`${wsUrl}/ws`);
    t.after(() => answering.close());
    await new Promise((r) => answering.once('open', r));
    await closed;
    assert.equal(answering.readyState, WebSocket.OPEN, 'a peer that answers pings stays');
    await until(() => app.connections.count === 1, 2000, 'the server to release the dead peer');
    assert.equal(await metricValue(app, 'rt_connections_closed_total', { transport: 'websocket', reason: 'dead_peer' }), 1);
  });

  test('a consumer that stops reading is closed with 4008 slow_consumer; others get everything', async (t) => {
    const { wsUrl, app } = await startServer(t, { maxBufferedBytes: 64 * 1024 });
    const stalled = new WebSocket(`${wsUrl}/ws`);
    await new Promise((r) => stalled.once('open', r));
    const closedWith = new Promise<[number, string]>((resolve) => stalled.once('close', (code, reason) => resolve([code, reason.toString()])));
    stalled.send(JSON.stringify({ op: 'subscribe', group: 'g' }));
    await until(() => app.hub.stats().subscriptions === 1, 2000, 'stalled subscribed');
    stalled.pause();
    const healthy = new WsConnection(wsUrl);
    t.after(() => healthy.close());
    let received = 0;
    healthy.onEvent = () => received++;
    await healthy.request({ op: 'subscribe', group: 'g' });
    let published = 0;
    const text = 'z'.repeat(900);
    while (published < 20000 && (await metricValue(app, 'rt_dropped_events_total', { transport: 'websocket', reason: 'slow_consumer' })) === 0) {
      await app.hub.publish('g', { type: 'chat', text }, 'load', 'http');
      if (++published % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(published < 20000, 'the stalled consumer was cut');
    await until(() => received === published, 10000, 'healthy consumer complete');
    stalled.resume();
    assert.deepEqual(await closedWith, [4008, 'slow_consumer']);
  });
});

describe('WebSocket writes are coalesced per event-loop turn', () => {
  /** A subscribed `ws` client, and a count of the writes the server's socket for it made. */
  async function subscribed(t: import('node:test').TestContext, overrides = {}) {
    const server = await startServer(t, overrides);
    const sockets: import('node:net').Socket[] = [];
    server.app.server.on('connection', (s: import('node:net').Socket) => sockets.push(s));
    const socket = new WebSocket(`${server.wsUrl}/ws`);
    t.after(() => socket.terminate());
    const events: { seq: number; data: { text: string } }[] = [];
    let closed: [number, string] | undefined;
    socket.on('close', (code, reason) => (closed = [code, reason.toString()]));
    socket.on('message', (d) => {
      const op = JSON.parse(d.toString());
      if (op.op === 'event') events.push(op.event);
      if (op.op === 'subscribed') ready();
    });
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    await new Promise((r) => socket.once('open', r));
    socket.send('{"op":"subscribe","group":"g"}');
    await isReady;
    const raw = sockets[0]!;
    const writes = { count: 0 };
    // Every write that reaches the kernel goes through _writev (several chunks) or _write (one).
    const writev = raw._writev!.bind(raw);
    const write = raw._write.bind(raw);
    raw._writev = (chunks, cb) => (writes.count++, writev(chunks, cb));
    raw._write = (chunk, enc, cb) => (writes.count++, write(chunk, enc, cb));
    const publish = (text: string) => void server.app.hub.publish('g', { type: 'chat', text }, 'u', 'http');
    return { ...server, events, writes, publish, closed: () => closed };
  }

  test('events published in several ticks of one turn leave as one write, in order, each once', async (t) => {
    const { events, writes, publish } = await subscribed(t);
    publish('e1');
    process.nextTick(() => publish('e2'));
    queueMicrotask(() => publish('e3'));
    setImmediate(() => publish('e5')); // the next turn: a write of its own
    publish('e4');
    await until(() => events.length === 5, 5000, 'five events');
    await new Promise((r) => setTimeout(r, 50)); // nothing more arrives (no duplicate)
    assert.deepEqual(events.map((e) => e.seq), [1, 2, 3, 4, 5]);
    assert.deepEqual(events.map((e) => e.data.text).sort(), ['e1', 'e2', 'e3', 'e4', 'e5'], 'each event once');
    assert.equal(events[4]!.data.text, 'e5');
    assert.equal(writes.count, 2, 'one write for the first turn, one for the second');
  });

  test('corked bytes count: a burst in one turn past MAX_BUFFERED_BYTES still cuts the consumer', async (t) => {
    const { events, publish, closed, app } = await subscribed(t, { maxBufferedBytes: 4096 });
    for (let i = 0; i < 40; i++) publish(`${i}`.padEnd(200, 'x'));
    await until(() => closed() !== undefined, 5000, 'cut');
    assert.deepEqual(closed(), [4008, 'slow_consumer']);
    assert.ok(events.length < 40, `cut before everything was written (${events.length} arrived)`);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1), 'what arrived is in order without gaps');
    assert.equal(await metricValue(app, 'rt_dropped_events_total', { transport: 'websocket', reason: 'slow_consumer' }), 1);
  });
});
