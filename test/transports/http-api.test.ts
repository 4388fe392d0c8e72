import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, metricValue } from '../support/server.js';

const json = { 'content-type': 'application/json' };

describe('HTTP publish and snapshot', () => {
  test('POST /groups/:group/events answers 202 {seq} and seq rises by one per group', async (t) => {
    const app = await buildTestApp(t);
    for (const [group, expected] of [['a', 1], ['a', 2], ['b', 1], ['a', 3]] as const) {
      const res = await app.inject({ method: 'POST', url: `/groups/${group}/events`, headers: json, payload: { type: 'chat', text: 'x' } });
      assert.equal(res.statusCode, 202);
      assert.deepEqual(res.json(), { seq: expected });
    }
    assert.equal(await metricValue(app, 'rt_events_published_total', { transport: 'http', type: 'chat' }), 4);
  });

  test('the user comes from the body, else ?user=, else anonymous; sentAt is copied', async (t) => {
    const app = await buildTestApp(t);
    await app.inject({ method: 'POST', url: '/groups/g/events?user=q', headers: json, payload: { type: 'chat', text: 'a', user: 'b', sentAt: 5 } });
    await app.inject({ method: 'POST', url: '/groups/g/events?user=q', headers: json, payload: { type: 'chat', text: 'b' } });
    await app.inject({ method: 'POST', url: '/groups/g/events', headers: json, payload: { type: 'chat', text: 'c' } });
    const events = (await app.inject({ url: '/poll/groups/g?since=0' })).json().events;
    assert.deepEqual(events.map((e: { user: string }) => e.user), ['b', 'q', 'anonymous']);
    assert.equal(events[0].sentAt, 5);
    assert.equal('sentAt' in events[1], false);
  });

  const bad: [string, unknown, string, number, RegExp][] = [
    ['out-of-range lat', { type: 'location', lat: 90.5, lng: 0 }, 'invalid_event', 400, /lat/],
    ['heading 360', { type: 'location', lat: 0, lng: 0, heading: 360 }, 'invalid_event', 400, /heading/],
    ['a string lat', { type: 'location', lat: '1', lng: 0 }, 'invalid_event', 400, /lat/],
    ['an unknown field', { type: 'chat', text: 'x', admin: true }, 'invalid_event', 400, /admin/],
    ['an unknown type', { type: 'poke' }, 'invalid_event', 400, /type/],
    ['an empty text', { type: 'chat', text: '' }, 'invalid_event', 400, /text/],
    ['a long text', { type: 'chat', text: 'x'.repeat(1001) }, 'invalid_event', 400, /text/],
    ['a bad clientId', { type: 'chat', text: 'x', clientId: 'a b' }, 'invalid_event', 400, /clientId/],
    ['a bad user', { type: 'chat', text: 'x', user: 'ü' }, 'invalid_user', 400, /user/],
    ['an array', [1, 2], 'invalid_event', 400, /./],
  ];
  for (const [name, payload, code, status, message] of bad) {
    test(`rejects ${name} with ${code}`, async (t) => {
      const app = await buildTestApp(t);
      const res = await app.inject({ method: 'POST', url: '/groups/g/events', headers: json, payload: JSON.stringify(payload) });
      assert.equal(res.statusCode, status);
      assert.equal(res.json().error.code, code);
      assert.match(res.json().error.message, message);
    });
  }

  test('malformed JSON, an empty body, a wrong media type, an oversized body and a bad group', async (t) => {
    const app = await buildTestApp(t, { maxBodyBytes: 512 });
    const cases = [
      { payload: '{"type":', headers: json, status: 400, code: 'invalid_event' },
      { payload: '', headers: json, status: 400, code: 'invalid_event' },
      { payload: 'type=chat', headers: { 'content-type': 'application/x-www-form-urlencoded' }, status: 415, code: 'unsupported_media_type' },
      { payload: JSON.stringify({ type: 'chat', text: 'x'.repeat(600) }), headers: json, status: 413, code: 'payload_too_large' },
    ];
    for (const c of cases) {
      const res = await app.inject({ method: 'POST', url: '/groups/g/events', headers: c.headers, payload: c.payload });
      assert.equal(res.statusCode, c.status, c.code);
      assert.equal(res.json().error.code, c.code);
    }
    const badGroup = await app.inject({ method: 'POST', url: `/groups/${'x'.repeat(65)}/events`, headers: json, payload: { type: 'chat', text: 'x' } });
    assert.equal(badGroup.json().error.code, 'invalid_group');
    const nothingAccepted = await app.inject({ url: '/poll/groups/g?since=0' });
    assert.deepEqual(nothingAccepted.json(), { events: [], next: 0 });
  });

  test('snapshot: latest location per user, last 50 chats oldest first, seq', async (t) => {
    const app = await buildTestApp(t);
    const post = (payload: object) => app.inject({ method: 'POST', url: '/groups/s/events', headers: json, payload });
    await post({ type: 'location', lat: 1, lng: 1, user: 'u1' });
    await post({ type: 'location', lat: 2, lng: 2, user: 'u2' });
    await post({ type: 'location', lat: 3, lng: 3, user: 'u1' });
    for (let i = 0; i < 55; i++) await post({ type: 'chat', text: `c${i}`, user: 'u3' });
    const snapshot = (await app.inject({ url: '/groups/s/snapshot' })).json();
    assert.equal(snapshot.group, 's');
    assert.equal(snapshot.seq, 58);
    assert.deepEqual(snapshot.members.map((m: { user: string; data: { lat: number } }) => [m.user, m.data.lat]).sort(), [['u1', 3], ['u2', 2]]);
    assert.equal(snapshot.chat.length, 50);
    assert.equal(snapshot.chat[0].data.text, 'c5');
    assert.equal(snapshot.chat[49].data.text, 'c54');
    assert.deepEqual(snapshot.online, []);
    const empty = (await app.inject({ url: '/groups/none/snapshot' })).json();
    assert.deepEqual(empty, { group: 'none', seq: 0, members: [], chat: [], online: [] });
  });
});
