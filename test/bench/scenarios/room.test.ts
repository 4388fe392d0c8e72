// `npm run bench -- room` end to end on every transport, small: the report's fields and exact
// agreement between the clients' accounting and the server's counters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { offeredPerSecond } from '../../../bench/scenarios/room.js';
import { assertAccounted, runScenario } from './harness.js';

test('room: 6 users x 5 events/s on all five transports, everything delivered and accounted', async (t) => {
  const report = await runScenario(t, ['room', '--clients', '6', '--interval', '200', '--duration', '1', '--poll-interval', '100']);
  const s = report.scenarios[0]!;
  assert.equal(s.scenario, 'room');
  assert.equal(report.environment.server.mode, 'external');
  assert.equal(s.transports.length, 5);
  for (const r of s.transports) {
    assertAccounted(r);
    assert.equal(r.accounting.subscriptions, 6);
    assert.equal(r.accounting.expected, r.publish.accepted * 6, `${r.transport}: everybody owes every event`);
    assert.ok(r.checks.every((c) => c.ok), `${r.transport}: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`);
    if (r.transport.endsWith('polling')) {
      assert.ok(r.polling && r.polling.requests > 0 && r.polling.requestsPerDelivery! > 0);
      assert.equal(typeof r.polling.emptyPollRatio, 'number');
    } else assert.equal(r.polling, null);
  }
});

test('offered load is N^2 per interval, per group', () => {
  assert.equal(offeredPerSecond({ clients: 150, intervalMs: 1000, groups: 1, durationS: 1, pollIntervalMs: 1000, textLength: 1 }), 22_500);
  assert.equal(offeredPerSecond({ clients: 100, intervalMs: 500, groups: 2, durationS: 1, pollIntervalMs: 1000, textLength: 1 }), 10_000);
});
