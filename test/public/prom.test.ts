import { test } from 'node:test';
import assert from 'node:assert/strict';
import { liveFigures, parsePrometheus, quantileBetween, sum } from '../../public/src/prom.js';
import { buildTestApp } from '../support/server.js';

test('parsePrometheus reads names, escaped labels and special values; skips comments and junk', () => {
  const samples = parsePrometheus(['# HELP x y', '# TYPE x counter', 'x_total{a="1",b="q\\"uote\\\\"} 3', 'y 4.5 1700000000', 'z{le="+Inf"} +Inf', 'not a sample line', ''].join('\n'));
  assert.deepEqual(samples, [
    { name: 'x_total', labels: { a: '1', b: 'q"uote\\' }, value: 3 },
    { name: 'y', labels: {}, value: 4.5 },
    { name: 'z', labels: { le: '+Inf' }, value: Infinity },
  ]);
  assert.equal(sum(samples, 'x_total', { a: '1' }), 3);
  assert.equal(sum(samples, 'x_total', { a: '2' }), null);
});

const histogram = (counts: [string, number][]) => parsePrometheus(counts.map(([le, n]) => `h_bucket{le="${le}",transport="sse"} ${n}`).join('\n'));

test('quantileBetween interpolates within the bucket of the interval, like histogram_quantile', () => {
  const before = histogram([['0.1', 10], ['1', 10], ['+Inf', 10]]);
  const after = histogram([['0.1', 20], ['1', 30], ['+Inf', 30]]);
  // 20 new observations: 10 in (0, 0.1], 10 in (0.1, 1]
  assert.equal(quantileBetween(before, after, 'h', { transport: 'sse' }, 0.5), 0.1);
  assert.ok(Math.abs(quantileBetween(before, after, 'h', { transport: 'sse' }, 0.75)! - 0.55) < 1e-9);
  assert.equal(quantileBetween(after, after, 'h', { transport: 'sse' }, 0.5), null);
  const overflow = histogram([['0.1', 0], ['1', 0], ['+Inf', 5]]);
  assert.equal(quantileBetween([], overflow, 'h', { transport: 'sse' }, 0.5), 1);
});

test('liveFigures on the server\'s own /metrics: rates between scrapes, gauges, process CPU', async (t) => {
  const app = await buildTestApp(t, {}, { defaultMetrics: true });
  const first = parsePrometheus((await app.inject({ url: '/metrics' })).body);
  const none = liveFigures(null, { at: 0, samples: first }, ['websocket', 'sse']);
  assert.equal(none.rows[0]!.deliveredPerSec, null);
  assert.equal(none.rows[0]!.connections, 0);
  assert.equal(none.cpuPercent, null);
  assert.ok(none.rssBytes! > 0);
  const shifted = first.map((s) => (s.name === 'rt_events_delivered_total' && s.labels.transport === 'sse' && s.labels.type === 'chat' ? { ...s, value: s.value + 10 } : s.name === 'rt_bytes_sent_total' && s.labels.transport === 'sse' ? { ...s, value: s.value + 2048 } : s));
  const f = liveFigures({ at: 0, samples: first }, { at: 2000, samples: shifted }, ['websocket', 'sse']);
  assert.equal(f.rows[0]!.deliveredPerSec, 0);
  assert.equal(f.rows[1]!.deliveredPerSec, 5);
  assert.equal(f.rows[1]!.bytesPerSec, 1024);
  assert.equal(f.rows[1]!.p50Ms, null);
  assert.equal(f.cpuPercent, 0);
});
