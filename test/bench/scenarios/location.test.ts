// `npm run bench -- location`: a short ramp up and down on every transport; users who leave are owed
// exactly up to the head they read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseStages, usersAt } from '../../../bench/scenarios/location.js';
import { assertAccounted, runScenario } from './harness.js';

test('stages follow k6 semantics', () => {
  const stages = parseStages('20:300,30:peak,10:0', 1000);
  assert.deepEqual(stages, [{ seconds: 20, users: 300 }, { seconds: 30, users: 1000 }, { seconds: 10, users: 0 }]);
  assert.equal(usersAt(stages, 0), 0);
  assert.equal(usersAt(stages, 10_000), 150);
  assert.equal(usersAt(stages, 20_000), 300);
  assert.equal(usersAt(stages, 35_000), 650);
  assert.equal(usersAt(stages, 55_000), 500);
  assert.equal(usersAt(stages, 99_000), 0);
  assert.throws(() => parseStages('20:lots', 1), /seconds:users/);
});

test('location: ramp to 12 users over 3 groups in 2 s and back to 0, on all five transports', async (t) => {
  const report = await runScenario(t, ['location', '--clients', '12', '--groups', '3', '--interval', '300', '--stages', '2:12,1:0', '--poll-interval', '100']);
  const s = report.scenarios[0]!;
  assert.equal(s.transports.length, 5);
  for (const r of s.transports) {
    assertAccounted(r, { exact: false }); // users leaving mid-stream may miss what was written as they closed
    assert.equal(r.extra.openAtEnd, 0, `${r.transport}: every user left`);
    // The ramp is time-driven; on a loaded machine connects lag, so require half the peak, not all of it.
    assert.ok((r.extra.peakConnected as number) >= 6, `${r.transport}: ramped up (${r.extra.peakConnected} connected at the peak)`);
    assert.equal(r.clients.failed, 0);
  }
});
