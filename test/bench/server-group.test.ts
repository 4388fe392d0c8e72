// `npm run bench -- room --broker redis --instances 2` end to end, small: two server children on a
// redis-server the bench starts, clients spread over both, and the report's per-process figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from '../../bench/args.js';
import { runBench } from '../../bench/cli.js';
import { noRedisServer } from '../support/redis-server.js';
import { assertAccounted } from './scenarios/harness.js';

test('room on two instances behind one Redis: every subscriber on both got every event once; per-instance and Redis figures', { skip: noRedisServer }, async () => {
  const out = await mkdtemp(path.join(os.tmpdir(), 'bench-instances-'));
  const argv = ['room', '--transports', 'websocket', '--clients', '6', '--interval', '200', '--duration', '1', '--broker', 'redis', '--instances', '2', '--quiet', '--out', out];
  const { report } = await runBench(parseArgs(argv), argv);
  const r = report.scenarios[0]!.transports[0]!;
  assertAccounted(r);
  assert.deepEqual(report.scenarios[0]!.parameters.instances, 2);
  const c = r.cluster!;
  assert.deepEqual(c.instances.map((p) => p.name), ['instance 1', 'instance 2']);
  assert.deepEqual(c.instances.map((p) => p.connectionsAtEnd), [3, 3], 'clients spread evenly');
  for (const p of c.instances) {
    assert.ok(p.published! > 0, `${p.name}: publishers on every instance`);
    assert.ok(p.cpuSeconds > 0 && p.rssAfterBytes > 0);
  }
  assert.equal(c.instances.reduce((n, p) => n + p.delivered!, 0), r.server!.counters.delivered, 'the headline adds up the instances');
  assert.equal(c.instances.reduce((n, p) => n + p.published!, 0), r.publish.accepted);
  assert.ok(c.redis && c.redis.rssAfterBytes > 0, 'Redis read from /proc');
  assert.equal(c.brokerPublishMs.count, r.publish.accepted, 'every publish timed');
  assert.equal(c.deliveryLagMs.count, r.publish.accepted * 2, 'every event arrived once on each instance');
  assert.equal(typeof c.deliveryLagMs.p99, 'number');
  assert.ok(c.deliveryLagMs.p999! >= c.deliveryLagMs.p99!, 'p99.9 is reported and not below p99');
  const md = await readFile(path.join(out, 'report.md'), 'utf8');
  assert.match(md, /### Instances and Redis/);
  assert.match(md, /\| websocket \| redis /);
  assert.match(await readFile(path.join(out, 'report.html'), 'utf8'), /<h3>Instances and Redis<\/h3>/);
});
