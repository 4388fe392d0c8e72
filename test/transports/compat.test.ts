import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, until } from '../support/server.js';
import { openStream } from '../support/raw-http.js';
import { RawStomp } from '../support/raw-stomp.js';

// The paths of the published Spring comparison app, exercised the way its k6 script does.

describe('Spring comparison compatibility', () => {
  test('GET /location/cur/:id and /cur/:id answer the snapshot (200 even when empty)', async (t) => {
    const { baseUrl, app } = await startServer(t);
    for (const path of ['/location/cur/1', '/cur/1']) {
      const res = await fetch(baseUrl + path);
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { group: '1', seq: 0, members: [] });
    }
    await app.hub.publish('1', { type: 'location', lat: 1, lng: 2 }, 'u1', 'http');
    const body = (await (await fetch(`${baseUrl}/cur/1`)).json()) as { members: { user: string }[]; seq: number };
    assert.deepEqual([body.seq, body.members.map((m) => m.user)], [1, ['u1']]);
  });

  test('long poll + notify: notify without a body publishes a random location for anonymous', async (t) => {
    const { baseUrl } = await startServer(t);
    const waiting = fetch(`${baseUrl}/location/long/7`, { headers: { accept: 'text/html' } });
    await new Promise((r) => setTimeout(r, 50));
    const notified = await fetch(`${baseUrl}/location/long/7/notify`, { method: 'POST' });
    assert.equal(notified.status, 200);
    const res = await waiting;
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /application\/json/);
    const body = (await res.json()) as { events: { type: string; user: string; data: { lat: number; lng: number } }[]; next: number };
    assert.equal(body.events.length, 1);
    const [event] = body.events;
    assert.deepEqual([event!.type, event!.user, body.next], ['location', 'anonymous', 1]);
    assert.ok(Math.abs(event!.data.lat) <= 90 && Math.abs(event!.data.lng) <= 180);
  });

  test('notify accepts an empty JSON body, a publish command, or {"content"}; rejects a bad one', async (t) => {
    const { baseUrl } = await startServer(t);
    const post = (body?: string, type = 'application/json') =>
      fetch(`${baseUrl}/location/long/7/notify`, { method: 'POST', headers: body === undefined ? {} : { 'content-type': type }, body });
    assert.equal((await post('')).status, 200);
    assert.deepEqual(await (await post(JSON.stringify({ type: 'chat', text: 'hi', user: 'kim' }))).json(), { seq: 2 });
    assert.equal((await post(JSON.stringify({ content: 'hello' }))).status, 200);
    const bad = await post(JSON.stringify({ type: 'location', lat: 300, lng: 0 }));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as { error: { code: string } }).error.code, 'invalid_event');
    const events = ((await (await fetch(`${baseUrl}/poll/groups/7?since=0`)).json()) as { events: { user: string; data: { text?: string } }[] }).events;
    assert.deepEqual(events.map((e) => [e.user, e.data.text]), [['anonymous', undefined], ['kim', 'hi'], ['anonymous', 'hello']]);
  });

  test('the long poll takes the same strict cursor', async (t) => {
    const { baseUrl } = await startServer(t);
    for (const since of ['%20', '0x1', '1e3', '%2B1', '1.0']) {
      const res = await fetch(`${baseUrl}/location/long/g1?since=${since}`);
      assert.equal(res.status, 400, since);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_cursor', since);
    }
  });

  test('the long poll times out after 10 s with an empty answer', { timeout: 15000 }, async (t) => {
    const { baseUrl } = await startServer(t);
    const started = Date.now();
    const body = await (await fetch(`${baseUrl}/location/long/8`)).json();
    assert.deepEqual(body, { events: [], next: 0 });
    assert.ok(Date.now() - started >= 9900);
  });

  test('SSE connect delivers the next event on group default and completes; share publishes there', async (t) => {
    const { baseUrl } = await startServer(t);
    const stream = await openStream(`${baseUrl}/location/sse/connect`);
    assert.equal(stream.status, 200);
    const shared = await fetch(`${baseUrl}/location/sse/share`, { method: 'POST' });
    assert.equal(shared.status, 200);
    await stream.ended;
    assert.match(stream.text(), /^retry: 3000\n\nid: 1\nevent: location\ndata: \{"seq":1,"group":"default"/);
  });

  test('WebSocket /ws accepts plain-text frames without closing', async (t) => {
    const { wsUrl } = await startServer(t);
    const socket = new WebSocket(`${wsUrl}/ws`);
    t.after(() => socket.close());
    const replies: string[] = [];
    socket.on('message', (d) => replies.push(d.toString()));
    await new Promise((r) => socket.once('open', r));
    socket.send('{"lat":37.1,"lng":127.2}');
    socket.send('hello');
    await until(() => replies.length === 2, 2000, 'two replies');
    assert.ok(replies.every((r) => JSON.parse(r).code === 'unknown_op'));
    assert.equal(socket.readyState, WebSocket.OPEN);
  });

  test('STOMP /location: /sub/location/<id> receives what /pub/share/<id> sends ({"content"} is chat)', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const peer = new RawStomp(`${wsUrl}/location`, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
    t.after(() => peer.close());
    await peer.send('CONNECT\naccept-version:1.1,1.0\nheart-beat:10000,10000\n\n\0');
    assert.equal((await peer.next('CONNECTED')).headers.get('version'), '1.1');
    await peer.send('SUBSCRIBE\nid:sub-0\ndestination:/sub/location/3\n\n\0');
    await until(() => app.hub.stats().subscriptions === 1, 2000, 'subscribed');
    await peer.send('SEND\ndestination:/pub/share/3\ncontent-type:application/json\n\n{"content":"hi from k6"}\0');
    const message = await peer.next('MESSAGE');
    assert.equal(message.headers.get('destination'), '/sub/location/3');
    assert.equal(message.headers.get('subscription'), 'sub-0');
    const event = JSON.parse(message.body);
    assert.deepEqual([event.group, event.type, event.data.text], ['3', 'chat', 'hi from k6']);
  });
});
