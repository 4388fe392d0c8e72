// Runs a bench scenario against an in-process server (`--url`), as the CLI would, and checks what
// every scenario's report must hold. The server shares the process with the load workers, so its
// CPU and memory figures are not meaningful here; the accounting is.
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { buildApp } from '../../../src/app.js';
import type { Config } from '../../../src/config.js';
import { parseArgs } from '../../../bench/args.js';
import { runBench } from '../../../bench/cli.js';
import type { BenchReport, TransportResult } from '../../../bench/report/model.js';

/** Runs `npm run bench -- <argv>` against a fresh in-process server; returns the parsed report.json. */
export async function runScenario(t: TestContext, argv: string[], overrides: Partial<Config> = {}): Promise<BenchReport> {
  const app = await buildApp({ logLevel: 'silent', ...overrides });
  await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  const { port } = app.server.address() as { port: number };
  const out = await mkdtemp(path.join(os.tmpdir(), 'bench-e2e-'));
  const args = parseArgs([...argv, '--url', `http://127.0.0.1:${port}`, '--out', out, '--quiet', '--workers', '1']);
  await runBench(args, argv);
  for (const file of ['report.md', 'report.html']) assert.ok((await readFile(path.join(out, file), 'utf8')).length > 1000, `${file} written`);
  return JSON.parse(await readFile(path.join(out, 'report.json'), 'utf8')) as BenchReport;
}

/** What every completed transport run must report, and that the clients' counts match the server's. */
export function assertAccounted(r: TransportResult, options: { exact?: boolean } = {}): void {
  assert.equal(r.status, 'ok', `${r.transport}: ${r.reason ?? ''}`);
  assert.ok(r.accounting.expected > 0, `${r.transport}: something was owed`);
  assert.equal(r.accounting.delivered, r.accounting.expected, `${r.transport}: delivered all owed`);
  assert.equal(r.accounting.gaps, 0, `${r.transport}: no gaps`);
  assert.equal(r.accounting.duplicates, 0, `${r.transport}: no duplicates`);
  for (const p of ['p50', 'p90', 'p99', 'max'] as const) assert.equal(typeof r.latencyMs[p], 'number', `${r.transport}: latency ${p}`);
  assert.ok(r.server, 'server figures');
  assert.ok(r.server.counters.delivered > 0, `${r.transport}: the server counted deliveries`);
  assert.ok(r.server.bytesPerDelivery! > 0, `${r.transport}: wire bytes per delivery`);
  assert.equal(typeof r.server.cpuSecondsPer1kDeliveries, 'number');
  assert.ok(r.agreement, 'agreement');
  // The server counts an event when it hands it to a socket; the clients count what they parsed.
  if (options.exact ?? true) {
    assert.ok(r.agreement.ok, `${r.transport}: ${r.agreement.notes.join('; ')}`);
    assert.equal(r.agreement.serverDelivered, r.agreement.clientReceived, `${r.transport}: server delivered = client received`);
  } else {
    assert.ok(r.agreement.ok || r.agreement.explained, `${r.transport}: ${r.agreement.notes.join('; ')}`);
  }
  if (options.exact ?? true) {
    assert.equal(r.agreement.clientAccepted, r.agreement.serverPublished, `${r.transport}: publishes accepted = server published`);
  } else {
    // Users leaving mid-publish may not see the acknowledgement of what the server accepted.
    assert.ok(r.agreement.clientAccepted <= r.agreement.serverPublished, `${r.transport}: no acknowledgement without a publish`);
  }
  assert.ok(r.timeline.length >= 1, 'a progress line per second');
}
