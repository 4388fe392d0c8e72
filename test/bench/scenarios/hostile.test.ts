// `npm run bench -- hostile`: attacks against a server while bystanders on all five transports measure delivery.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './harness.js';

test('hostile: each HTTP-side attack is cut, and the bystanders on every transport get everything', { timeout: 120_000 }, async (t) => {
  const report = await runScenario(t, ['hostile', '--clients', '5', '--duration', '1', '--attacks', 'pipelined-polls,trickled-bodies,loose-cursors'], { maxConnectionsPerIp: 100 });
  const s = report.scenarios[0]!;
  assert.deepEqual(s.attacks!.map((a) => a.attack), ['pipelined-polls', 'trickled-bodies', 'loose-cursors']);
  for (const a of s.attacks!) {
    assert.equal(a.cut, true, `${a.attack}: ${a.detail}`);
    assert.ok(a.bystanders && a.bystanders.expected > 0, `${a.attack}: bystanders were owed events`);
    assert.equal(a.bystanders!.delivered, a.bystanders!.expected, `${a.attack}: bystanders got everything`);
    assert.equal(a.bystanders!.gaps, 0);
    assert.equal(typeof a.p99Ms, 'number');
    assert.ok(a.rssPeakBytes > 0);
  }
  for (const r of s.transports) {
    assert.equal(r.status, 'ok', r.reason);
    for (const transport of ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp']) assert.ok(r.roles[`bystander ${transport}`], `a ${transport} bystander role`);
  }
});
