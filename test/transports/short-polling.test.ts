import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, metricValue } from '../support/server.js';

async function publish(app: Awaited<ReturnType<typeof buildTestApp>>, group: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await app.inject({ method: 'POST', url: `/groups/${group}/events`, headers: { 'content-type': 'application/json' }, payload: { type: 'chat', text: `m${i}` } });
  }
}

describe('short polling', () => {
  test('no since = from now; since=N returns the events after N and next', async (t) => {
    const app = await buildTestApp(t);
    await publish(app, 'g', 3);
    assert.deepEqual((await app.inject({ url: '/poll/groups/g' })).json(), { events: [], next: 3 });
    const body = (await app.inject({ url: '/poll/groups/g?since=1' })).json();
    assert.deepEqual(body.events.map((e: { seq: number }) => e.seq), [2, 3]);
    assert.equal(body.next, 3);
    assert.equal('truncated' in body, false);
    assert.deepEqual((await app.inject({ url: '/poll/groups/g?since=3' })).json(), { events: [], next: 3 });
  });

  test('a cursor older than history, or ahead of head, is answered with what is kept and truncated', async (t) => {
    const app = await buildTestApp(t, { historySize: 3 });
    await publish(app, 'g', 6);
    const old = (await app.inject({ url: '/poll/groups/g?since=1' })).json();
    assert.deepEqual(old.events.map((e: { seq: number }) => e.seq), [4, 5, 6]);
    assert.equal(old.truncated, true);
    const exact = (await app.inject({ url: '/poll/groups/g?since=3' })).json();
    assert.equal(exact.truncated, undefined, 'since=3 needs 4..6, all kept');
    const ahead = (await app.inject({ url: '/poll/groups/g?since=99' })).json();
    assert.deepEqual([ahead.events.length, ahead.next, ahead.truncated], [3, 6, true]);
    const unknown = (await app.inject({ url: '/poll/groups/never?since=7' })).json();
    assert.deepEqual(unknown, { events: [], next: 0, truncated: true });
  });

  test('POLL_MAX_EVENTS caps one answer; next tells where to go on, and nothing is lost', async (t) => {
    const app = await buildTestApp(t, { pollMaxEvents: 4 });
    await publish(app, 'g', 10);
    const seen: number[] = [];
    let since = 0;
    for (let i = 0; i < 5 && seen.length < 10; i++) {
      const body = (await app.inject({ url: `/poll/groups/g?since=${since}` })).json();
      assert.ok(body.events.length <= 4);
      seen.push(...body.events.map((e: { seq: number }) => e.seq));
      since = body.next;
    }
    assert.deepEqual(seen, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('malformed cursors and groups get the error shape', async (t) => {
    const app = await buildTestApp(t);
    for (const since of ['-1', 'abc', '1.5', '99999999999999999999', '%20', '%09', '%0A', '', '0x1', '0b11', '0o3', '1e3', '%2B1', '1.0', '1&since=2']) {
      const res = await app.inject({ url: `/poll/groups/g?since=${since}` });
      assert.equal(res.statusCode, 400, since);
      assert.equal(res.json().error.code, 'invalid_cursor', since);
    }
    assert.equal((await app.inject({ url: '/poll/groups/bad%20group' })).json().error.code, 'invalid_group');
  });

  test('counts polls by result, delivered events and response bytes', async (t) => {
    const app = await buildTestApp(t);
    await publish(app, 'g', 2);
    await app.inject({ url: '/poll/groups/g?since=0' });
    await app.inject({ url: '/poll/groups/g?since=2' });
    assert.equal(await metricValue(app, 'rt_poll_requests_total', { transport: 'short-polling', result: 'events' }), 1);
    assert.equal(await metricValue(app, 'rt_poll_requests_total', { transport: 'short-polling', result: 'empty' }), 1);
    assert.equal(await metricValue(app, 'rt_events_delivered_total', { transport: 'short-polling' }), 2);
  });
});
