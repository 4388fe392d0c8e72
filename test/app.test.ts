import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket from 'ws';
import { buildApp } from '../src/app.js';
import { ConfigError } from '../src/config.js';
import { buildTestApp, startServer, until } from './support/server.js';
import { openStream } from './support/raw-http.js';
import { RawStomp, connectFrame } from './support/raw-stomp.js';
import { freePort } from './support/redis-server.js';

describe('app', () => {
  test('inject with cookies works on the cookie 1.x that package.json overrides for Node 20', async (t) => {
    const app = await buildTestApp(t);
    const res = await app.inject({ url: '/healthz', cookies: { a: 'b c' } });
    assert.equal(res.statusCode, 200);
  });

  test('/healthz, /readyz, /metrics, the demo page and the 404 shape', async (t) => {
    const app = await buildTestApp(t);
    assert.deepEqual((await app.inject({ url: '/healthz' })).json(), { status: 'ok' });
    assert.deepEqual((await app.inject({ url: '/readyz' })).json(), { status: 'ready', broker: 'memory' });
    const metrics = await app.inject({ url: '/metrics' });
    assert.match(metrics.headers['content-type'] as string, /^text\/plain/);
    assert.match(metrics.body, /# TYPE rt_events_delivered_total counter/);
    const page = await app.inject({ url: '/' });
    assert.equal(page.statusCode, 200);
    assert.match(page.headers['content-type'] as string, /text\/html/);
    const missing = await app.inject({ url: '/nope?x=1' });
    assert.equal(missing.statusCode, 404);
    assert.deepEqual(missing.json(), { error: { code: 'not_found', message: 'no route for GET /nope' } });
  });

  test('an unreachable STOMP relay broker refuses start-up, naming the variable', async () => {
    const port = await freePort();
    await assert.rejects(buildApp({ logLevel: 'silent', stompRelayUrl: `stomp://127.0.0.1:${port}` }), (err: unknown) => err instanceof ConfigError && err.variable === 'STOMP_RELAY_URL');
  });

  test('MAX_CONNECTIONS: a socket past the limit gets 503 too_many_connections, whatever it asks', async (t) => {
    const { baseUrl, wsUrl } = await startServer(t, { maxConnections: 1 });
    const held = await openStream(`${baseUrl}/sse/groups/g`);
    t.after(() => held.close());
    const sse = await fetch(`${baseUrl}/sse/groups/g`);
    assert.equal(sse.status, 503);
    assert.equal(((await sse.json()) as { error: { code: string } }).error.code, 'too_many_connections');
    const longPoll = await fetch(`${baseUrl}/longpoll/groups/g?timeout=10`);
    assert.equal(longPoll.status, 503);
    for (const path of ['/ws', '/stomp']) {
      const ws = new WebSocket(`${wsUrl}${path}`, path === '/stomp' ? ['v12.stomp'] : []);
      ws.on('error', () => {});
      const status = await new Promise<number>((resolve) => ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
      assert.equal(status, 503, `${path}: the upgrade is refused`);
    }
  });

  test('MAX_CONNECTIONS: a stream past the stream limit is refused in its own protocol', async (t) => {
    const { baseUrl, wsUrl, app } = await startServer(t, { maxConnections: 2 });
    const held = await openStream(`${baseUrl}/sse/groups/g`);
    t.after(() => held.close());
    app.connections.acquire('elsewhere'); // the second stream slot, taken without a socket
    t.after(() => app.connections.release('elsewhere'));
    const ws = new WebSocket(`${wsUrl}/ws`);
    const [code, reason] = await new Promise<[number, string]>((resolve) => ws.once('close', (c, r) => resolve([c, r.toString()])));
    assert.deepEqual([code, reason], [1013, 'too_many_connections']);
    await until(() => app.sockets.count === 1, 2000, 'the refused socket released');
    const stomp = new RawStomp(`${wsUrl}/stomp`);
    assert.equal(await stomp.closed, 1013);
    assert.equal(stomp.frames[0]?.headers.get('message'), 'too_many_connections');
  });

  test('graceful close: streams end with a reconnect hint, readiness turns 503, nothing leaks', async (t) => {
    const { baseUrl, wsUrl, app } = await startServer(t);
    const sse = await openStream(`${baseUrl}/sse/groups/g`);
    const ws = new WebSocket(`${wsUrl}/ws`);
    await new Promise((r) => ws.once('open', r));
    ws.send('{"op":"subscribe","group":"g"}');
    const wsClosed = new Promise<[number, string]>((resolve) => ws.once('close', (c, r) => resolve([c, r.toString()])));
    const stomp = new RawStomp(`${wsUrl}/stomp`);
    await stomp.send(connectFrame());
    await stomp.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.g\nreceipt:r\n\n\0');
    await stomp.next('RECEIPT');
    const longPoll = fetch(`${baseUrl}/longpoll/groups/g?timeout=30000`).then((r) => r.json());
    await until(() => app.connections.count === 4, 2000, 'four connections');

    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 3000, 'closed within a few seconds');
    await sse.ended;
    assert.match(sse.text(), /event: error\ndata: \{"code":"shutting_down"/);
    assert.deepEqual(await wsClosed, [1012, 'shutting_down']);
    assert.equal(await stomp.closed, 1012);
    assert.equal((await stomp.next('ERROR')).headers.get('message'), 'shutting_down');
    assert.deepEqual(await longPoll, { events: [], next: 0 });
    assert.deepEqual(app.hub.stats(), { groups: 0, subscriptions: 0 });
    assert.equal(app.connections.count, 0);
  });

  test('an upgrade answered over HTTP (refused, or an HTTP route) closes its socket and does not hold the server open on close', async (t) => {
    const { wsUrl, app } = await startServer(t);
    for (const [path, expected] of [['/ws?user=bad%20user', 400], ['/no-such-path', 404], ['/stomp?user=%00', 400], ['/poll/groups/g1?since=0', 200]] as const) {
      const refused = new WebSocket(wsUrl + path);
      refused.on('error', () => {});
      const answer = await new Promise<{ status: number; closed: Promise<unknown> }>((resolve) =>
        refused.once('unexpected-response', (request, res) => {
          res.resume();
          resolve({ status: res.statusCode ?? 0, closed: once(request.socket!, 'close') });
        }),
      );
      assert.equal(answer.status, expected, path);
      await answer.closed; // the server ended the socket after its answer
    }
    const started = Date.now();
    await app.close();
    assert.ok(Date.now() - started < 1000, 'close does not wait on the refused sockets');
  });

  test('shutdown does not wait on a client that never reads (its socket is destroyed after the close grace)', async (t) => {
    const { wsUrl, app } = await startServer(t);
    for (const path of ['/ws', '/stomp']) {
      const socket = new WebSocket(wsUrl + path, path === '/stomp' ? ['v12.stomp'] : []);
      socket.on('error', () => {});
      await new Promise((r) => socket.once('open', r));
      (socket as unknown as { _socket: { pause(): void } })._socket.pause(); // reads nothing, not even the close frame
    }
    await until(() => app.connections.count === 2, 2000, 'both connected');
    const started = Date.now();
    await app.close();
    const took = Date.now() - started;
    assert.ok(took < 5000, `closed in ${took} ms (ws alone would wait 30 s)`);
  });

  test('while shutting down, /readyz is 503 and publishes answer shutting_down', async (t) => {
    const app = await buildTestApp(t);
    app.hub.beginShutdown();
    const ready = await app.inject({ url: '/readyz' });
    assert.equal(ready.statusCode, 503);
    const publish = await app.inject({ method: 'POST', url: '/groups/g/events', headers: { 'content-type': 'application/json' }, payload: { type: 'chat', text: 'x' } });
    assert.equal(publish.statusCode, 503);
    assert.equal(publish.json().error.code, 'shutting_down');
  });
});
