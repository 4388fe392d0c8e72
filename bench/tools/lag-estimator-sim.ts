/**
 * How the cross-instance lag's reading (`rt_broker_delivery_lag_seconds`, src/timers.ts msSinceWholeMs)
 * errs, on simulated lags with a known answer: lognormal lags (p50 `scale` ms, a tail like the bench's),
 * accepts at random sub-ms phases, 5,100 samples per run (one 15 s two-instance room run), the p99 read
 * from the metric's own buckets as the bench reads it (bench/server-metrics.ts bucketQuantile).
 * Compares: the exact p99; `Date.now()` at both ends (the reading until 2026-12-02); arrival below the ms
 * against `at + 0.5` (the reading now). A fixed-seed generator, so the output is the same every time.
 *
 *   npx tsx bench/tools/lag-estimator-sim.ts
 */
import { bucketQuantile } from '../server-metrics.js';

/** The metric's bucket bounds in ms (src/metrics.ts BROKER_LAG_BUCKETS up to 100 ms). */
const BOUNDS_MS = [0.5, 1, 1.5, 2, 2.5, 3, 4, 5, 6, 7.5, 10, 25, 50, 100];
const SAMPLES = 5100;

let seed = 20261202;
/** Park–Miller minimal standard generator: uniform in (0, 1). */
const uniform = () => (seed = (seed * 48271) % 2147483647) / 2147483647;

function histogram(xs: number[]): [number, number][] {
  const buckets = BOUNDS_MS.map((b) => [b, xs.filter((x) => x <= b).length] as [number, number]);
  return [...buckets, [Infinity, xs.length]];
}

for (const p50 of [0.7, 0.9, 1.1]) {
  for (let run = 1; run <= 3; run++) {
    const exact: number[] = [], bothWhole: number[] = [], midpoint: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const normal = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
      const lag = p50 * Math.exp(0.75 * normal);
      const accept = 1e12 + uniform() * 1000;
      const arrival = accept + lag;
      exact.push(lag);
      bothWhole.push(Math.floor(arrival) - Math.floor(accept));
      midpoint.push(arrival - (Math.floor(accept) + 0.5));
    }
    const sorted = [...exact].sort((a, b) => a - b);
    const p99 = (xs: number[]) => bucketQuantile(0.99, histogram(xs))!.toFixed(2);
    console.log(`p50 ${p50} ms, run ${run}: p99 exact ${sorted[Math.floor(SAMPLES * 0.99)]!.toFixed(2)}, from buckets: exact ${p99(exact)}, Date.now() both ends ${p99(bothWhole)}, at + 0.5 ${p99(midpoint)} ms`);
  }
}
