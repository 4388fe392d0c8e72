// `npm run bench -- reconnect`: everybody drops at once and resumes by cursor: nothing lost, nothing twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccounted, runScenario } from './harness.js';

test('reconnect: 20 subscribers drop and resume on all five transports with 0 lost and 0 duplicated', async (t) => {
  const report = await runScenario(t, ['reconnect', '--clients', '20', '--groups', '2', '--interval', '50', '--duration', '1', '--poll-interval', '100']);
  const s = report.scenarios[0]!;
  assert.equal(s.transports.length, 5);
  for (const r of s.transports) {
    assertAccounted(r, { exact: false }); // events written to the dropped sockets count on the server only
    assert.equal(r.extra.dropped, 20, r.transport);
    assert.equal(r.extra.back, 20, r.transport);
    assert.equal(typeof r.extra.allBackMs, 'number');
    assert.ok(r.checks.find((c) => c.name === '0 events lost')!.ok);
    assert.ok(r.checks.find((c) => c.name === '0 duplicates')!.ok);
  }
});
