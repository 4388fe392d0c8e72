import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { createSigner } from 'fast-jwt';
import { mintToken } from '../src/auth.js';
import { startServer, until } from './support/server.js';
import { openStream } from './support/raw-http.js';
import { RawStomp, connectFrame } from './support/raw-stomp.js';

const SECRET = 'plugin-secret';
const token = (groups = ['g1', 'team-*'], ttlSeconds?: number) => mintToken(SECRET, { sub: 'alice', groups, ttlSeconds });
const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
const codeOf = async (res: Response) => ((await res.json()) as { error: { code: string } }).error.code;
const expiredToken = () => createSigner({ key: SECRET, algorithm: 'HS256' })({ sub: 'alice', groups: ['g1'], exp: Math.floor(Date.now() / 1000) - 5 });

describe('authentication and authorization (AUTH_SECRET set)', () => {
  test('HTTP routes: no, malformed, expired or wrongly signed token -> 401; group outside the token -> 403', async (t) => {
    const { baseUrl } = await startServer(t, { authSecret: SECRET });
    const paths = ['/poll/groups/g1', '/longpoll/groups/g1?timeout=10', '/groups/g1/snapshot', '/location/cur/g1', '/sse/groups/g1?limit=1&timeout=10'];
    for (const path of paths) {
      assert.equal((await fetch(baseUrl + path)).status, 401, path);
      for (const bad of ['garbage', expiredToken(), mintToken('wrong', { sub: 'alice', groups: ['g1'] })]) {
        const res = await fetch(baseUrl + path, { headers: bearer(bad) });
        assert.equal(res.status, 401, path);
        assert.equal(await codeOf(res), 'unauthorized');
      }
      const forbidden = await fetch(baseUrl + path.replace('g1', 'g2'), { headers: bearer(token()) });
      assert.equal(forbidden.status, 403, path);
      assert.equal(await codeOf(forbidden), 'forbidden');
      assert.equal((await fetch(baseUrl + path, { headers: bearer(token()) })).status, 200, path);
    }
    assert.equal((await fetch(`${baseUrl}/poll/groups/team-red?access_token=${token()}`)).status, 200, 'prefix pattern, query token');
  });

  test('health, readiness, metrics and the demo page need no token', async (t) => {
    const { baseUrl } = await startServer(t, { authSecret: SECRET });
    for (const path of ['/healthz', '/readyz', '/metrics', '/']) assert.equal((await fetch(baseUrl + path)).status, 200, path);
  });

  test('a publish is attributed to the token: a body user cannot impersonate', async (t) => {
    const { baseUrl } = await startServer(t, { authSecret: SECRET });
    const res = await fetch(`${baseUrl}/groups/g1/events?user=bob`, {
      method: 'POST',
      headers: { ...bearer(token()), 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'chat', text: 'hi', user: 'mallory' }),
    });
    assert.equal(res.status, 202);
    const events = ((await (await fetch(`${baseUrl}/poll/groups/g1?since=0`, { headers: bearer(token()) })).json()) as { events: { user: string }[] }).events;
    assert.equal(events[0]!.user, 'alice');
    const notify = await fetch(`${baseUrl}/location/sse/share`, { method: 'POST', headers: bearer(token()) });
    assert.equal(notify.status, 403, 'the compat share route serves group default');
  });

  test('SSE: the stream closes with event: error unauthorized when the token expires', async (t) => {
    const { baseUrl, app } = await startServer(t, { authSecret: SECRET });
    const stream = await openStream(`${baseUrl}/sse/groups/g1?access_token=${token(['g1'], 1)}`);
    assert.equal(stream.status, 200);
    await stream.ended;
    assert.match(stream.text(), /event: error\ndata: \{"code":"unauthorized","message":"the token has expired"\}/);
    await until(() => app.connections.count === 0, 2000, 'released');
  });

  test('WebSocket: upgrade needs a token; ops check the group; publishes carry the token user; expiry closes 4001', async (t) => {
    const { wsUrl } = await startServer(t, { authSecret: SECRET });
    const refused = new WebSocket(`${wsUrl}/ws`);
    refused.on('error', () => {}); // terminating a refused handshake reports an error; expected here
    const status = await new Promise<number>((resolve) => refused.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)));
    assert.equal(status, 401);
    refused.terminate();

    const socket = new WebSocket(`${wsUrl}/ws?user=mallory&access_token=${token(['g1'], 2)}`);
    const replies: { op: string; code?: string; event?: { user: string }; seq?: number }[] = [];
    socket.on('message', (d) => replies.push(JSON.parse(d.toString())));
    const closed = new Promise<[number, string]>((resolve) => socket.once('close', (c, r) => resolve([c, r.toString()])));
    await new Promise((r) => socket.once('open', r));
    socket.send(JSON.stringify({ op: 'subscribe', group: 'g2', ref: 'a' }));
    socket.send(JSON.stringify({ op: 'publish', group: 'g2', event: { type: 'chat', text: 'x' }, ref: 'b' }));
    await until(() => replies.length === 2, 2000, 'two errors');
    assert.deepEqual(replies.map((r) => r.code), ['forbidden', 'forbidden']);
    socket.send(JSON.stringify({ op: 'subscribe', group: 'g1' }));
    await until(() => replies.length === 3, 2000, 'subscribed');
    socket.send(JSON.stringify({ op: 'publish', group: 'g1', event: { type: 'chat', text: 'x', user: 'mallory' } }));
    await until(() => replies.some((r) => r.op === 'event'), 2000, 'own event');
    assert.equal(replies.find((r) => r.op === 'event')!.event!.user, 'alice');
    assert.deepEqual(await closed, [4001, 'unauthorized']);
    assert.equal(replies.at(-1)!.code, 'unauthorized');
  });

  test('STOMP: the token may come as CONNECT passcode or Authorization; none -> ERROR unauthorized', async (t) => {
    const { wsUrl, app } = await startServer(t, { authSecret: SECRET });
    const anonymous = new RawStomp(`${wsUrl}/stomp`);
    await anonymous.send(connectFrame());
    assert.equal((await anonymous.next('ERROR')).headers.get('message'), 'unauthorized');
    await anonymous.closed;

    const bad = new RawStomp(`${wsUrl}/stomp`);
    await bad.send(connectFrame(`accept-version:1.2\nlogin:alice\npasscode:${expiredToken()}`));
    assert.equal((await bad.next('ERROR')).headers.get('message'), 'unauthorized');

    const peer = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => peer.close());
    await peer.send(connectFrame(`accept-version:1.2\nlogin:whoever\npasscode:${token()}`));
    await peer.next('CONNECTED');
    await peer.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.g1\nreceipt:r\n\n\0');
    await peer.next('RECEIPT');
    await peer.send('SEND\ndestination:/app/groups/g1\n\n{"type":"chat","text":"x","user":"mallory"}\0');
    assert.equal(JSON.parse((await peer.next('MESSAGE')).body).user, 'alice');

    const viaHeader = new RawStomp(`${wsUrl}/stomp`);
    await viaHeader.send(connectFrame(`accept-version:1.2\nAuthorization:Bearer ${token()}`));
    await viaHeader.next('CONNECTED');
    await viaHeader.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.g2\n\n\0');
    assert.equal((await viaHeader.next('ERROR')).headers.get('message'), 'forbidden');
    await viaHeader.closed;
    await until(() => app.connections.count === 1, 2000, 'only the good peer left');
  });

  test('STOMP: an upgrade token is used when CONNECT carries none, and expiry ends the session', async (t) => {
    const { wsUrl } = await startServer(t, { authSecret: SECRET });
    const peer = new RawStomp(`${wsUrl}/stomp?access_token=${token(['g1'], 1)}`);
    await peer.send(connectFrame());
    await peer.next('CONNECTED');
    const error = await peer.next('ERROR', 0, 3000);
    assert.equal(error.headers.get('message'), 'unauthorized');
    assert.match(error.body, /expired/);
  });
});
