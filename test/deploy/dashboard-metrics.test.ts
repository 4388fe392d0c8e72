// The dashboard and the recording rules may only read metrics the server really exports: a renamed
// metric would otherwise leave an empty panel that nobody notices until a load test is wasted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { dashboard, dashboardExprs, exposedNames, k6SeriesNames, metricNames, readRepo, recordingRules } from './promql.js';

/** Names in GET /metrics of a freshly built app (labelled metrics have only HELP/TYPE lines yet). */
async function exportedNames(): Promise<Set<string>> {
  const app = await buildApp({ logLevel: 'silent', broker: 'memory' });
  try {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    assert.equal(res.statusCode, 200);
    return exposedNames(res.body);
  } finally {
    await app.close();
  }
}

test('dashboard and recording rules read only metrics the server exports', async () => {
  const exported = await exportedNames();
  const records = recordingRules().map((r) => r.record);
  const known = new Set([...exported, ...records]);
  const unknown: string[] = [];
  for (const rule of recordingRules()) {
    for (const name of metricNames(rule.expr)) if (!known.has(name)) unknown.push(`rules.yml ${rule.record}: ${name}`);
  }
  const k6 = k6SeriesNames(readRepo('k6/lib/metrics.js'), readRepo('docker-compose.yml'));
  for (const expr of dashboardExprs(dashboard())) {
    for (const name of metricNames(expr)) {
      if (name.startsWith('k6_') ? !k6.has(name) : !known.has(name)) unknown.push(`dashboard: ${name} in ${expr}`);
    }
  }
  assert.deepEqual(unknown, [], `not exported by GET /metrics nor remote-written by the k6 scripts:\n${unknown.join('\n')}`);
});

test('the dashboard has k6 panels, and k6SeriesNames derives the remote-written names', () => {
  const exprs = dashboardExprs(dashboard());
  for (const n of ['k6_rt_e2e_latency_p99', 'k6_rt_events_received_total', 'k6_rt_gaps_total', 'k6_rt_errors_total']) {
    assert.ok(exprs.some((e) => metricNames(e).includes(n)), `a panel reads ${n}`);
  }
  const names = k6SeriesNames("const a = new Counter('rt_x'); const b = new Trend('rt_t', true);", 'K6_PROMETHEUS_RW_TREND_STATS: p(50),max\n');
  assert.deepEqual([...names].sort(), ['k6_rt_t_max', 'k6_rt_t_p50', 'k6_rt_x_total']);
});
