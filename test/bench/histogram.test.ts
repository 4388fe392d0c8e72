// Percentiles of the mergeable histogram against exact nearest-rank percentiles of synthetic samples.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Histogram, median } from '../../bench/histogram.js';

function exact(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Deterministic pseudo-random numbers (no flaky tests). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

test('percentiles are within 1 % (or 0.01 ms) of the exact ones over a wide range', () => {
  const next = rng(7);
  const samples = Array.from({ length: 50_000 }, () => Math.exp(next() * Math.log(20_000)) * 0.05); // 0.05 ms .. 1 s, log-uniform
  const h = new Histogram();
  for (const v of samples) h.record(v);
  for (const p of [50, 90, 99, 99.9]) {
    const want = exact(samples, p);
    const got = h.percentile(p)!;
    assert.ok(Math.abs(got - want) <= Math.max(0.01, want * 0.01), `p${p}: got ${got}, want ${want}`);
  }
  assert.equal(h.percentile(100), Math.max(...samples));
  assert.equal(h.count, samples.length);
});

test('min, max and mean are exact; an empty histogram has no percentiles', () => {
  const h = new Histogram();
  assert.equal(h.percentile(50), null);
  assert.deepEqual(h.summary(), { count: 0, p50: null, p90: null, p99: null, max: null, mean: null });
  for (const v of [3, 1, 2]) h.record(v);
  assert.equal(h.min, 1);
  assert.equal(h.max, 3);
  assert.equal(h.summary().mean, 2);
  assert.equal(h.percentile(0.0001), 1, 'clamped to the exact min');
});

test('merging worker histograms equals recording everything in one', () => {
  const next = rng(3);
  const all = new Histogram();
  const parts = [new Histogram(), new Histogram(), new Histogram()];
  for (let i = 0; i < 9000; i++) {
    const v = next() * 300;
    all.record(v);
    parts[i % 3]!.record(v);
  }
  const merged = new Histogram();
  for (const p of parts) merged.merge(Histogram.from(JSON.parse(JSON.stringify(p.toJSON()))));
  assert.deepEqual(merged.summary(), all.summary());
  assert.deepEqual(merged.toJSON().buckets, all.toJSON().buckets);
});

test('negative samples (a clock step) do not break the histogram', () => {
  const h = new Histogram();
  h.record(-2);
  h.record(5);
  assert.equal(h.min, -2);
  assert.equal(h.percentile(50), -2);
  h.reset();
  assert.equal(h.count, 0);
});

test('median of a list ignores non-finite values', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([NaN, 5]), 5);
  assert.equal(median([]), null);
});
