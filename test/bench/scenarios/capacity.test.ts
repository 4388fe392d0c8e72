// `npm run bench -- capacity`: held connections with the liveness probe, and closed-loop polling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccounted, runScenario } from './harness.js';

test('capacity: 40 held connections per streaming transport and long polling; polling requests/s', async (t) => {
  const report = await runScenario(t, ['capacity', '--clients', '40', '--groups', '4', '--duration', '1', '--poll-clients', '10', '--interval', '50']);
  const s = report.scenarios[0]!;
  assert.equal(s.transports.length, 5);
  for (const r of s.transports) {
    assertAccounted(r);
    if (r.transport === 'short-polling') {
      assert.ok(r.polling!.requestsPerSecond > 0);
      assert.ok((r.extra.serverRequestsPerSecond as number) > 0);
      assert.equal(typeof r.polling!.rttMs.p99, 'number');
      continue;
    }
    assert.equal(r.extra.connected, 40);
    assert.equal(r.accounting.expected, 40, `${r.transport}: one probe event per held connection`);
    assert.equal(r.extra.closedDuringHold, 0);
    assert.equal(typeof r.server!.rssPerConnectionBytes, 'number');
    assert.ok(r.checks.find((c) => c.name.includes('alive'))!.ok);
  }
});
