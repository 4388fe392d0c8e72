// The dashboard and the recording rules may only read metrics the server really exports: a renamed
// metric would otherwise leave an empty panel that nobody notices until a load test is wasted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.js';
import { dashboard, dashboardExprs, exposedNames, metricNames, recordingRules } from './promql.js';

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
  for (const expr of dashboardExprs(dashboard())) {
    for (const name of metricNames(expr)) if (!known.has(name)) unknown.push(`dashboard: ${name} in ${expr}`);
  }
  assert.deepEqual(unknown, [], `not exported by GET /metrics:\n${unknown.join('\n')}`);
});
