/**
 * A mergeable latency histogram in milliseconds. Workers record into their own and ship the counts;
 * the main thread adds them up, so percentiles over all clients are computed from all samples rather
 * than averaged from per-worker percentiles (which would be wrong for p99).
 *
 * Buckets: 10 µs wide below 1 ms (loopback latencies live there), then 1 % wide up to ~10 minutes,
 * so any reported percentile is within 0.5 % of a real sample (plus the exact min and max).
 */

const LINEAR_BUCKETS = 100; // [0, 1) ms in 0.01 ms steps
const LINEAR_STEP = 0.01;
const GROWTH = 1.01;
const LOG_GROWTH = Math.log(GROWTH);
const MAX_MS = 600_000;
const BUCKETS = LINEAR_BUCKETS + Math.ceil(Math.log(MAX_MS) / LOG_GROWTH) + 1;

/** The wire form of a histogram: sparse `[bucket, count]` pairs plus exact count/sum/min/max. */
export interface HistogramData {
  buckets: [number, number][];
  count: number;
  sum: number;
  min: number;
  max: number;
}

/** Percentiles every report shows (ms); `null` when there were no samples. */
export interface Percentiles {
  count: number;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

function bucketOf(ms: number): number {
  if (!(ms > 0)) return 0; // negative (clock step) and NaN land in the first bucket; min keeps the truth
  if (ms < 1) return Math.floor(ms / LINEAR_STEP);
  const i = LINEAR_BUCKETS + Math.floor(Math.log(ms) / LOG_GROWTH);
  return i < BUCKETS ? i : BUCKETS - 1;
}

/** A representative value of a bucket: its middle (geometric middle above 1 ms). */
function valueOf(bucket: number): number {
  if (bucket < LINEAR_BUCKETS) return (bucket + 0.5) * LINEAR_STEP;
  return Math.pow(GROWTH, bucket - LINEAR_BUCKETS + 0.5);
}

/** Latency histogram (ms). */
export class Histogram {
  private counts = new Uint32Array(BUCKETS);
  count = 0;
  sum = 0;
  min = Infinity;
  max = -Infinity;

  /** Records one sample in ms. */
  record(ms: number): void {
    this.counts[bucketOf(ms)]!++;
    this.count++;
    this.sum += ms;
    if (ms < this.min) this.min = ms;
    if (ms > this.max) this.max = ms;
  }

  /** Adds another histogram (or its wire form) into this one. */
  merge(other: Histogram | HistogramData): this {
    if (other instanceof Histogram) {
      // Bucket by bucket, without the wire form (folds run every second on the load workers).
      if (other.count === 0) return this;
      for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
      this.count += other.count;
      this.sum += other.sum;
      this.min = Math.min(this.min, other.min);
      this.max = Math.max(this.max, other.max);
      return this;
    }
    const data = other;
    for (const [bucket, n] of data.buckets) this.counts[bucket]! += n;
    this.count += data.count;
    this.sum += data.sum;
    if (data.count > 0) {
      this.min = Math.min(this.min, data.min);
      this.max = Math.max(this.max, data.max);
    }
    return this;
  }

  /**
   * The value below which `p` percent of samples fall (nearest rank), clamped to [min, max].
   * @returns null when empty
   */
  percentile(p: number): number | null {
    if (this.count === 0) return null;
    if (p >= 100) return this.max;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    if (rank === 1) return this.min; // the extremes are known exactly
    if (rank >= this.count) return this.max;
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, valueOf(i)));
    }
    return this.max;
  }

  /** p50/p90/p99/max/mean, rounded to 0.01 ms. */
  summary(): Percentiles {
    const r = (v: number | null) => (v === null ? null : Math.round(v * 100) / 100);
    return {
      count: this.count,
      p50: r(this.percentile(50)),
      p90: r(this.percentile(90)),
      p99: r(this.percentile(99)),
      max: r(this.count ? this.max : null),
      mean: r(this.count ? this.sum / this.count : null),
    };
  }

  /** Clears all samples (per-second windows reuse one instance). */
  reset(): void {
    if (this.count === 0) return;
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  /** Sparse wire form (a few hundred pairs at most), cheap to post between threads. */
  toJSON(): HistogramData {
    const buckets: [number, number][] = [];
    for (let i = 0; i < BUCKETS; i++) if (this.counts[i]) buckets.push([i, this.counts[i]!]);
    return { buckets, count: this.count, sum: this.sum, min: this.min, max: this.max };
  }

  /** Rebuilds from the wire form. */
  static from(data: HistogramData): Histogram {
    return new Histogram().merge(data);
  }
}

/** Median of a list (NaN-free); used for repeated runs and per-second series. */
export function median(values: readonly number[]): number | null {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid]! : (v[mid - 1]! + v[mid]!) / 2;
}
