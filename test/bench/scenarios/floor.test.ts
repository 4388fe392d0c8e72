import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareWithFloor } from '../../../bench/scenarios/floor.js';
import { unfinishedResult } from '../../../bench/result.js';
import type { TransportResult } from '../../../bench/report/model.js';

function run(cpuPer1k: number | null): TransportResult {
  const r = unfinishedResult('websocket', 'failed', 'x', {});
  if (cpuPer1k === null) return r;
  return { ...r, status: 'ok', server: { cpuSecondsPer1kDeliveries: cpuPer1k } as TransportResult['server'] };
}

test('overhead over floor is the ratio of the medians; pairs give the spread; a failed run is left out', () => {
  const c = compareWithFloor('websocket', [run(3), run(1), run(2)], [run(1), run(2), run(null)], run(1));
  assert.equal(c.product.cpuSecondsPer1kDeliveries, 2);
  assert.equal(c.floor.cpuSecondsPer1kDeliveries, 1.5);
  assert.equal(c.overheadOverFloor, 2 / 1.5);
  assert.deepEqual(c.pairRatios, [3, 0.5, null]);
  assert.deepEqual(c.floor.runs, [1, 2, null]);
});

test('no figure on either side: no overhead', () => {
  assert.equal(compareWithFloor('sse', [run(null)], [run(1)], run(1)).overheadOverFloor, null);
  assert.equal(compareWithFloor('sse', [run(1)], [run(null)], run(null)).overheadOverFloor, null);
});
