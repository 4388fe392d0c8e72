// `npm run bench -- soak`: connect/subscribe/leave cycles, then the server's before/after readings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccounted, runScenario } from './harness.js';

test('soak: cycles on two transports, every cycle accounted, connections back to 0', async (t) => {
  const report = await runScenario(t, ['soak', '--transports', 'websocket,long-polling', '--clients', '10', '--groups', '2', '--duration', '1', '--interval', '50', '--poll-interval', '50']);
  const s = report.scenarios[0]!;
  assert.equal(s.transports.length, 2);
  for (const r of s.transports) {
    assertAccounted(r, { exact: false });
    assert.ok((r.extra.cycles as number) >= 5, `${r.transport}: cycled (${r.extra.cycles})`);
    const after = r.extra.after as { connections: number; heapUsedBytes: number; activeHandles: number };
    assert.equal(after.connections, 0, `${r.transport}: rt_connections back to 0`);
    assert.equal(typeof after.heapUsedBytes, 'number');
    assert.equal(typeof r.extra.handleGrowth, 'number');
    assert.ok(r.checks.find((c) => c.name === 'connections back to 0')!.ok);
  }
});
