// `npm run bench -- capacity`: held connections with the liveness probe, and closed-loop polling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertAccounted, runScenario } from './harness.js';
import { compareMemory, fitReads, medianMemoryRun, type MemoryRead } from '../../../bench/scenarios/capacity.js';
import { unfinishedResult } from '../../../bench/result.js';
import type { TransportResult } from '../../../bench/report/model.js';

test('capacity: 40 held connections per streaming transport and long polling; polling requests/s', async (t) => {
  const report = await runScenario(t, ['capacity', '--clients', '40', '--groups', '4', '--duration', '1', '--poll-clients', '10', '--interval', '50']);
  const s = report.scenarios[0]!;
  assert.equal(s.transports.length, 5);
  for (const r of s.transports) {
    assertAccounted(r);
    if (r.transport === 'short-polling') {
      assert.ok(r.polling!.requestsPerSecond > 0);
      assert.ok((r.extra.serverRequestsPerSecond as number) > 0);
      assert.equal(typeof r.polling!.rttMs.p99, 'number');
      continue;
    }
    assert.equal(r.extra.connected, 40);
    assert.equal(r.accounting.expected, 40, `${r.transport}: one probe event per held connection`);
    assert.equal(r.extra.closedDuringHold, 0);
    assert.equal(typeof r.server!.rssPerConnectionBytes, 'number');
    // Memory is read at several connection counts (here from /metrics: `--url` has no GC hook to ask).
    const reads = r.extra.memoryReads as MemoryRead[];
    assert.ok(reads.length >= 3, `${r.transport}: ${reads.length} reads`);
    assert.deepEqual(reads.map((x) => x.connections), [...reads.map((x) => x.connections)].sort((a, b) => a - b));
    assert.equal(reads.at(-1)!.connections, 40);
    for (const read of reads) assert.ok(read.rssBytes > 0 && read.jsBytes > 0, `${r.transport}: a read`);
    assert.equal(r.server!.rssPerConnectionBytes, r.extra.rssPerConnectionBytes);
    assert.equal(typeof r.extra.rssPerConnectionHalfToHeldBytes, 'number');
    assert.ok(r.checks.find((c) => c.name.includes('alive'))!.ok);
  }
});

const read = (connections: number, rss: number, js: number, young: number | null): MemoryRead => ({
  connections,
  rssBytes: rss,
  jsBytes: js,
  rssWithoutYoungBytes: young,
  settledMs: 100,
});

test('fitted per-connection figures: the slopes of RSS, JS and RSS without the young generation', () => {
  const reads = [1000, 2000, 3000].map((c) => read(c, 1e8 + 5000 * c, 1e7 + 4000 * c, 7e7 + 4500 * c));
  const fits = fitReads(reads);
  assert.ok(Math.abs(fits.rss!.slope - 5000) < 1e-6);
  assert.ok(Math.abs(fits.js!.slope - 4000) < 1e-6);
  assert.ok(Math.abs(fits.rssWithoutYoung!.slope - 4500) < 1e-6);
  // A read without heap spaces (a remote server) leaves that fit out rather than fitting fewer points.
  assert.equal(fitReads([...reads.slice(0, 2), read(3000, 1e8, 1e7, null)]).rssWithoutYoung, null);
});

function held(rss: number | null, js: number | null = null): TransportResult {
  const r = unfinishedResult('websocket', 'failed', 'x', {});
  if (rss === null) return r;
  return { ...r, status: 'ok', extra: { rssPerConnectionBytes: rss, jsHeapAndExternalPerConnectionBytes: js, rssWithoutYoungPerConnectionBytes: rss - 100 } };
}

test('memory over floor: product − floor of the medians; a failed run is left out', () => {
  const c = compareMemory('websocket', [held(5000, 4000), held(3000, 3500), held(null)], [held(1000, 2000), held(2000, 3000)]);
  assert.equal(c.product.rssPerConnectionBytes, 4000);
  assert.equal(c.floor.rssPerConnectionBytes, 1500);
  assert.equal(c.rssOverFloorBytes, 2500);
  assert.equal(c.jsOverFloorBytes, 3750 - 2500);
  assert.deepEqual(c.product.runs, [5000, 3000, null]);
  assert.equal(compareMemory('sse', [held(1000)], [held(null)]).rssOverFloorBytes, null);
});

test('repeats: the median run is kept, every run and the medians listed in its extra', () => {
  const runs = [held(5000, 1), held(3000, 2), held(4000, 3)];
  const chosen = medianMemoryRun(runs);
  assert.equal(chosen, runs[2]);
  assert.deepEqual(chosen.extra.medians, { rssPerConnectionBytes: 4000, jsHeapAndExternalPerConnectionBytes: 2, rssWithoutYoungPerConnectionBytes: 3900 });
  assert.deepEqual((chosen.extra.repeats as { rssPerConnectionBytes: number }[]).map((r) => r.rssPerConnectionBytes), [5000, 3000, 4000]);
  const one = held(1);
  assert.equal(medianMemoryRun([one]), one);
  assert.equal(one.extra.repeats, undefined);
});
