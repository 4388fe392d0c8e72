import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

// 20,000 connect/subscribe/disconnect cycles across all five transports (test/support/leak-cycles.ts,
// in a child process with --expose-gc): heap and handles return to within 10 % of the baseline taken
// after warm-up, and no Hub group, subscription or connection slot is left behind.
test('20,000 connect/subscribe/disconnect cycles leave nothing behind', { timeout: 180_000 }, () => {
  const output = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', 'test/support/leak-cycles.ts', '20000'], { encoding: 'utf8', timeout: 170_000 });
  const result = JSON.parse(output.trim().split('\n').at(-1)!) as {
    cycles: number;
    before: { heap: number; handles: number };
    after: { heap: number; handles: number };
    hub: { groups: number; subscriptions: number };
    connections: number;
  };
  assert.equal(result.cycles, 20000);
  assert.deepEqual(result.hub, { groups: 0, subscriptions: 0 });
  assert.equal(result.connections, 0);
  assert.ok(result.after.heap <= result.before.heap * 1.1, `heap ${result.before.heap} -> ${result.after.heap}`);
  assert.ok(result.after.handles <= Math.ceil(result.before.handles * 1.1), `handles ${result.before.handles} -> ${result.after.handles}`);
});
