import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, metricValue, until } from '../support/server.js';

async function post(baseUrl: string, group: string, text = 'x'): Promise<number> {
  const res = await fetch(`${baseUrl}/groups/${group}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'chat', text }) });
  return ((await res.json()) as { seq: number }).seq;
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
});
