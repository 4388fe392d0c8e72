import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, metricValue } from './support/server.js';
import { openStream } from './support/raw-http.js';
import { RawStomp, connectFrame } from './support/raw-stomp.js';
import { WsConnection } from './clients/websocket.js';

const json = { 'content-type': 'application/json' };

describe('limits', () => {
  test('RATE_LIMIT_PER_SEC over HTTP: 429 rate_limited with Retry-After, per user across connections', async (t) => {
    const { baseUrl, app } = await startServer(t, { rateLimitPerSec: 3 });
    const post = (user: string) => fetch(`${baseUrl}/groups/g/events?user=${user}`, { method: 'POST', headers: json, body: '{"type":"chat","text":"x"}' });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await post('ann')).status);
    assert.deepEqual(statuses, [202, 202, 202, 429]);
    const limited = await post('ann');
    assert.equal(limited.headers.get('retry-after'), '1');
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limited');
    assert.equal((await post('ben')).status, 202, 'another user has its own bucket');
    assert.equal((await app.hub.read('g', 0)).head, 4, 'refused publishes were not accepted');
  });

  test('RATE_LIMIT_PER_SEC over WebSocket (error op with retryAfter, connection stays) and STOMP (ERROR with retry-after)', async (t) => {
    const { wsUrl } = await startServer(t, { rateLimitPerSec: 2 });
    const ws = new WsConnection(wsUrl, 'wsuser');
    t.after(() => ws.close());
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) {
      outcomes.push(await ws.request({ op: 'publish', group: 'g', event: { type: 'chat', text: 'x' } }).then((r) => r.op, (e: { code: string }) => e.code));
    }
    assert.deepEqual(outcomes, ['ack', 'ack', 'rate_limited']);
    assert.equal(ws.replies.at(-1)!.op, 'error');
    assert.equal((ws.replies.at(-1) as { retryAfter?: number }).retryAfter, 1);
    assert.equal((await ws.request({ op: 'ping' })).op, 'pong', 'still open');

    const peer = new RawStomp(`${wsUrl}/stomp?user=stompuser`);
    await peer.send(connectFrame());
    for (let i = 0; i < 3; i++) await peer.send('SEND\ndestination:/app/groups/g\n\n{"type":"chat","text":"x"}\0');
    const error = await peer.next('ERROR');
    assert.deepEqual([error.headers.get('message'), error.headers.get('retry-after')], ['rate_limited', '1']);
  });

  test('MAX_CONNECTIONS_PER_IP: the address over its share gets too_many_connections', async (t) => {
    const { baseUrl, app } = await startServer(t, { maxConnectionsPerIp: 2 });
    const a = await openStream(`${baseUrl}/sse/groups/g`);
    const b = await openStream(`${baseUrl}/sse/groups/g`);
    t.after(() => (a.close(), b.close()));
    const third = await fetch(`${baseUrl}/sse/groups/g`);
    assert.equal(third.status, 503);
    assert.equal(((await third.json()) as { error: { code: string } }).error.code, 'too_many_connections');
    assert.equal(app.connections.addresses, 1);
  });

  test('MAX_SUBSCRIPTIONS_PER_CONNECTION on WebSocket and STOMP', async (t) => {
    const { wsUrl } = await startServer(t, { maxSubscriptionsPerConnection: 2 });
    const ws = new WsConnection(wsUrl);
    t.after(() => ws.close());
    await ws.request({ op: 'subscribe', group: 'a' });
    await ws.request({ op: 'subscribe', group: 'b' });
    await ws.request({ op: 'subscribe', group: 'b', since: 0 }); // re-subscribing is not another subscription
    await assert.rejects(ws.request({ op: 'subscribe', group: 'c' }), (e: { code?: string }) => e.code === 'invalid_request');
    const peer = new RawStomp(`${wsUrl}/stomp`);
    await peer.send(connectFrame());
    for (const id of ['1', '2', '3']) await peer.send(`SUBSCRIBE\nid:${id}\ndestination:/topic/groups.g${id}\n\n\0`);
    assert.match((await peer.next('ERROR')).body, /at most 2 subscriptions/);
  });

  test('MAX_LONGPOLLS_PER_GROUP: the poll over the limit is refused, others on other groups are not', async (t) => {
    const { baseUrl, app } = await startServer(t, { maxLongpollsPerGroup: 1 });
    const abort = new AbortController();
    const waiting = fetch(`${baseUrl}/longpoll/groups/g?timeout=5000`, { signal: abort.signal }).catch(() => undefined);
    while (app.connections.count < 1) await new Promise((r) => setTimeout(r, 5));
    const refused = await fetch(`${baseUrl}/longpoll/groups/g?timeout=10`);
    assert.equal(refused.status, 503);
    assert.equal((await fetch(`${baseUrl}/longpoll/groups/other?timeout=10`)).status, 200);
    abort.abort();
    await waiting;
    while (app.connections.count > 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(await metricValue(app, 'rt_connections', { transport: 'long-polling' }), 0);
    assert.equal((await fetch(`${baseUrl}/longpoll/groups/g?timeout=10`)).status, 200, 'the group slot was given back');
  });

  test('WebSocket payloads above the ws ceiling are refused with 1009 (and a 1 MB frame gets an error op)', async (t) => {
    const { wsUrl } = await startServer(t);
    const socket = new WebSocket(`${wsUrl}/ws`);
    const replies: string[] = [];
    socket.on('message', (d) => replies.push(d.toString()));
    await new Promise((r) => socket.once('open', r));
    socket.send('x'.repeat(1_000_000));
    while (replies.length === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(JSON.parse(replies[0]!).code, 'payload_too_large');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send('x'.repeat(2 * 1024 * 1024));
    assert.equal(await closed, 1009);
  });
});
