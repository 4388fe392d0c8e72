import type { TransportName } from '../../src/domain/events.js';
import { median } from '../histogram.js';
import type { FloorComparison, FloorSide, TransportResult } from '../report/model.js';

const cpuOf = (r: TransportResult): number | null => (r.status === 'ok' ? (r.server?.cpuSecondsPer1kDeliveries ?? null) : null);

function medianOf(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v));
  return known.length ? median(known) : null;
}

function side(runs: readonly TransportResult[]): FloorSide {
  const ok = runs.filter((r) => r.status === 'ok');
  return {
    cpuSecondsPer1kDeliveries: medianOf(runs.map(cpuOf)),
    p50Ms: medianOf(ok.map((r) => r.latencyMs.p50)),
    p99Ms: medianOf(ok.map((r) => r.latencyMs.p99)),
    deliveryRatio: medianOf(ok.map((r) => r.accounting.deliveryRatio)),
    deliveredPerSecond: medianOf(ok.map((r) => r.throughput.deliveredPerSecond)),
    runs: runs.map(cpuOf),
  };
}

const ratio = (a: number | null, b: number | null): number | null => (a === null || b === null || b <= 0 ? null : a / b);

/**
 * The overhead of the product over its floor from interleaved runs of both: the ratio of the median
 * CPU-seconds per 1,000 deliveries, plus the ratio of each (product, floor) pair for the spread.
 * @param floorResult the floor run to show whole (its median run)
 */
export function compareWithFloor(transport: TransportName, productRuns: readonly TransportResult[], floorRuns: readonly TransportResult[], floorResult: TransportResult): FloorComparison {
  const product = side(productRuns);
  const floor = side(floorRuns);
  return {
    transport,
    product,
    floor,
    overheadOverFloor: ratio(product.cpuSecondsPer1kDeliveries, floor.cpuSecondsPer1kDeliveries),
    pairRatios: productRuns.map((r, i) => ratio(cpuOf(r), floorRuns[i] ? cpuOf(floorRuns[i]!) : null)),
    floorResult,
  };
}
