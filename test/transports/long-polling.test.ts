import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { buildTestApp, startServer, metricValue, until } from '../support/server.js';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { historyHoldMs } from '../../transports/long-polling.js';

async function post(baseUrl: string, group: string, text = 'x'): Promise<number> {
  const res = await fetch(`${baseUrl}/groups/${group}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'chat', text }) });
  return ((await res.json()) as { seq: number }).seq;
}

/** Lets pending I/O and immediates run (no timers involved, so it works under mocked timers). */
async function turns(predicate: () => boolean = () => false, max = 200): Promise<void> {
  for (let i = 0; i < max && !predicate(); i++) await new Promise((resolve) => setImmediate(resolve));
}

function publishBurst(app: FastifyInstance, group: string, count: number) {
  return Promise.all(Array.from({ length: count }, (_, i) => app.hub.publish(group, { type: 'chat', text: `b${i}` }, 'u1', 'http')));
}

describe('long polling', () => {
  test('waits, then answers as soon as an event after the cursor exists', async (t) => {
    const { baseUrl, app } = await startServer(t);
    await post(baseUrl, 'g');
    const started = Date.now();
    const pending = fetch(`${baseUrl}/longpoll/groups/g?since=1&timeout=5000`).then((r) => r.json());
    await until(() => app.connections.count === 1, 2000, 'the poll to wait');
    assert.equal(await metricValue(app, 'rt_connections', { transport: 'long-polling' }), 1);
    await post(baseUrl, 'g', 'second');
    const body = (await pending) as { events: { seq: number; data: { text: string } }[]; next: number };
    assert.ok(Date.now() - started < 4000);
    assert.deepEqual([body.events.map((e) => e.seq), body.next, body.events[0]!.data.text], [[2], 2, 'second']);
    await until(() => app.connections.count === 0, 2000, 'the slot to be released');
    assert.equal(await metricValue(app, 'rt_connections', { transport: 'long-polling' }), 0);
  });

  test('answers at once when events after the cursor exist; with no since, waits for the next event', async (t) => {
    const { baseUrl } = await startServer(t);
    await post(baseUrl, 'g');
    await post(baseUrl, 'g');
    const now = (await (await fetch(`${baseUrl}/longpoll/groups/g?since=0&timeout=5000`)).json()) as { events: unknown[]; next: number };
    assert.deepEqual([now.events.length, now.next], [2, 2]);
    const pending = fetch(`${baseUrl}/longpoll/groups/g?timeout=5000`).then((r) => r.json());
    await new Promise((r) => setTimeout(r, 50));
    await post(baseUrl, 'g');
    const next = (await pending) as { events: { seq: number }[]; next: number };
    assert.deepEqual(next.events.map((e) => e.seq), [3]);
  });

  test('times out with no events, the cursor unchanged, counted as timeout', async (t) => {
    const { baseUrl, app } = await startServer(t);
    await post(baseUrl, 'g');
    const body = await (await fetch(`${baseUrl}/longpoll/groups/g?since=1&timeout=100`)).json();
    assert.deepEqual(body, { events: [], next: 1 });
    assert.equal(await metricValue(app, 'rt_poll_requests_total', { transport: 'long-polling', result: 'timeout' }), 1);
  });

  test('timeout is bounded to 1..60000 and defaults to LONGPOLL_TIMEOUT_MS', async (t) => {
    const { baseUrl } = await startServer(t, { longpollTimeoutMs: 80 });
    for (const timeout of ['0', '60001', 'x']) {
      const res = await fetch(`${baseUrl}/longpoll/groups/g?timeout=${timeout}`);
      assert.equal(res.status, 400, timeout);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_request');
    }
    const started = Date.now();
    assert.deepEqual(await (await fetch(`${baseUrl}/longpoll/groups/g`)).json(), { events: [], next: 0 });
    assert.ok(Date.now() - started < 2000);
  });

  test('POLL_MAX_EVENTS caps an answer from history; next goes on from the last event carried', async (t) => {
    const { baseUrl } = await startServer(t, { pollMaxEvents: 3 });
    for (let i = 0; i < 7; i++) await post(baseUrl, 'g');
    const first = (await (await fetch(`${baseUrl}/longpoll/groups/g?since=0`)).json()) as { events: { seq: number }[]; next: number };
    assert.deepEqual([first.events.map((e) => e.seq), first.next], [[1, 2, 3], 3]);
    const second = (await (await fetch(`${baseUrl}/longpoll/groups/g?since=${first.next}`)).json()) as { events: { seq: number }[]; next: number };
    assert.deepEqual([second.events.map((e) => e.seq), second.next], [[4, 5, 6], 6]);
    const compat = (await (await fetch(`${baseUrl}/location/long/g?since=0`)).json()) as { events: unknown[]; next: number };
    assert.deepEqual([compat.events.length, compat.next], [3, 3], 'the compatibility long poll too');
  });

  test('a loose cursor is invalid_cursor, never a full replay', async (t) => {
    const { baseUrl } = await startServer(t);
    await post(baseUrl, 'g');
    for (const since of ['%20', '%0A', '0x1', '0b11', '0o3', '1e3', '%2B1', '1.0', '']) {
      const res = await fetch(`${baseUrl}/longpoll/groups/g?since=${since}&timeout=50`);
      assert.equal(res.status, 400, since);
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_cursor', since);
    }
  });

  test('a client that goes away releases its slot and subscription', async (t) => {
    const { baseUrl, app } = await startServer(t);
    const abort = new AbortController();
    const pending = fetch(`${baseUrl}/longpoll/groups/g?timeout=10000`, { signal: abort.signal }).catch(() => 'aborted');
    await until(() => app.hub.stats().subscriptions === 1, 2000, 'the poll to subscribe');
    abort.abort();
    assert.equal(await pending, 'aborted');
    await until(() => app.hub.stats().subscriptions === 0 && app.connections.count === 0, 2000, 'release');
    assert.equal(await metricValue(app, 'rt_connections_closed_total', { transport: 'long-polling', reason: 'client' }), 1);
  });

  test('shutdown answers waiting polls at once with no events', async (t) => {
    const { baseUrl, app } = await startServer(t);
    const pending = fetch(`${baseUrl}/longpoll/groups/g?timeout=30000`).then((r) => r.json());
    await until(() => app.connections.count === 1, 2000, 'the poll to wait');
    const started = Date.now();
    await app.close();
    assert.deepEqual(await pending, { events: [], next: 0 });
    assert.ok(Date.now() - started < 3000);
  });

  test('a waiter woken by a burst answers with every event after its cursor, next at the last', async (t) => {
    const app = await buildTestApp(t, { longpollBatchMs: 0 });
    await publishBurst(app, 'g', 2);
    const pending = app.inject({ url: '/longpoll/groups/g?since=2&timeout=10000' });
    await turns(() => app.hub.stats().subscriptions === 1);
    assert.equal(app.hub.stats().subscriptions, 1);
    await publishBurst(app, 'g', 5);
    const body = (await pending).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([body.events.map((e) => e.seq), body.next], [[3, 4, 5, 6, 7], 7]);
    assert.equal(await metricValue(app, 'rt_events_delivered_total', { transport: 'long-polling' }), 5);
  });

  test('an answer carries at most POLL_MAX_EVENTS; the re-ask gets the rest from history', async (t) => {
    const app = await buildTestApp(t, { longpollBatchMs: 0, pollMaxEvents: 3 });
    const pending = app.inject({ url: '/longpoll/groups/g?since=0&timeout=10000' });
    await turns(() => app.hub.stats().subscriptions === 1);
    await publishBurst(app, 'g', 5);
    const first = (await pending).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([first.events.map((e) => e.seq), first.next], [[1, 2, 3], 3]);
    const rest = (await app.inject({ url: `/longpoll/groups/g?since=${first.next}` })).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([rest.events.map((e) => e.seq), rest.next], [[4, 5], 5]);
    const old = (await app.inject({ url: '/longpoll/groups/g?since=0' })).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([old.events.map((e) => e.seq), old.next], [[1, 2, 3], 3]);
  });

  test('a cursor with history is answered at once without registering a subscription', async (t) => {
    const app = await buildTestApp(t);
    await publishBurst(app, 'g', 3);
    const subscribe = t.mock.method(app.hub, 'subscribe');
    const body = (await app.inject({ url: '/longpoll/groups/g?since=1&timeout=10000' })).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([body.events.map((e) => e.seq), body.next], [[2, 3], 3]);
    const truncated = (await app.inject({ url: '/longpoll/groups/g?since=99' })).json() as { truncated?: boolean; next: number };
    assert.deepEqual([truncated.truncated, truncated.next], [true, 3]);
    assert.equal(subscribe.mock.callCount(), 0);
    assert.deepEqual(app.hub.stats(), { groups: 0, subscriptions: 0 });
    assert.equal(await metricValue(app, 'rt_connections_opened_total', { transport: 'long-polling' }), 0);
    // A cursor at the head must wait, so it registers.
    const pending = app.inject({ url: '/longpoll/groups/g?since=3&timeout=10000' });
    await turns(() => app.hub.stats().subscriptions === 1);
    assert.deepEqual([subscribe.mock.callCount(), app.hub.stats().subscriptions], [1, 1]);
    await publishBurst(app, 'g', 1);
    assert.deepEqual(((await pending).json() as { next: number }).next, 4);
  });

  test('the linger holds the answer LONGPOLL_BATCH_MS after the first event, and not much longer', async (t) => {
    // Real timers with generous bounds: a timer never fires early (allow 1 ms of rounding) and the
    // answer must come far sooner than the poll's own 30 s timeout.
    const app = await buildTestApp(t, { longpollBatchMs: 300 });
    let answeredAt = 0;
    const pending = app.inject({ url: '/longpoll/groups/g?since=0&timeout=30000' }).then((res) => {
      answeredAt = performance.now();
      return res;
    });
    await turns(() => app.hub.stats().subscriptions === 1);
    await publishBurst(app, 'g', 1);
    const firstAt = performance.now();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await publishBurst(app, 'g', 2);
    const body = (await pending).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([body.events.map((e) => e.seq), body.next], [[1, 2, 3], 3]);
    assert.ok(answeredAt - firstAt >= 299, `answered ${answeredAt - firstAt} ms after the first event`);
    assert.ok(answeredAt - firstAt < 10_000, `answered ${answeredAt - firstAt} ms after the first event`);
  });

  test('a re-ask owed only fresh events is held for the rest of the linger, still without a subscription', async (t) => {
    const app = await buildTestApp(t, { longpollBatchMs: 300 });
    await publishBurst(app, 'g', 1);
    const firstAt = performance.now();
    const subscribe = t.mock.method(app.hub, 'subscribe');
    const pending = app.inject({ url: '/longpoll/groups/g?since=0&timeout=30000' });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await publishBurst(app, 'g', 2);
    const body = (await pending).json() as { events: { seq: number }[]; next: number };
    const answeredAfter = performance.now() - firstAt;
    assert.deepEqual([body.events.map((e) => e.seq), body.next], [[1, 2, 3], 3]);
    assert.ok(answeredAfter >= 250, `answered ${answeredAfter} ms after the first event`);
    assert.equal(subscribe.mock.callCount(), 0);
  });

  test('historyHoldMs: the rest of the linger after the first owed event, else 0', () => {
    const read = (at: number[], truncated = false) => ({ events: at.map((t) => ({ event: { at: t } })), next: at.length, truncated }) as never;
    assert.equal(historyHoldMs(read([1000, 1010]), 50, 1000, 1020), 30);
    assert.equal(historyHoldMs(read([1000]), 50, 1000, 1060), 0, 'the linger has passed');
    assert.equal(historyHoldMs(read([1000]), 0, 1000, 1000), 0, 'no linger');
    assert.equal(historyHoldMs(read([1000], true), 50, 1000, 1000), 0, 'a cut answer goes at once');
    assert.equal(historyHoldMs(read([1000, 1001]), 50, 2, 1001), 0, 'a full answer goes at once');
    assert.equal(historyHoldMs(read([5000]), 50, 1000, 1000), 50, 'a clock ahead is held no longer than the linger');
  });

  test('shutdown answers a lingering waiter with the events it holds', async () => {
    const app = await buildApp({ logLevel: 'silent', longpollBatchMs: 10_000 }, { defaultMetrics: false });
    const pending = app.inject({ url: '/longpoll/groups/g?since=0&timeout=30000' });
    await turns(() => app.hub.stats().subscriptions === 1);
    await publishBurst(app, 'g', 2);
    const started = Date.now();
    await app.close();
    const body = (await pending).json() as { events: { seq: number }[]; next: number };
    assert.deepEqual([body.events.map((e) => e.seq), body.next], [[1, 2], 2]);
    assert.ok(Date.now() - started < 5000);
  });
});
