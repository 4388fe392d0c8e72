import type { TransportName } from '../src/domain/events.js';

/** One sample of the Prometheus text format. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** A parsed scrape of `/metrics`. */
export class MetricsSnapshot {
  constructor(
    readonly samples: readonly Sample[],
    /** When it was taken (ms since epoch). */
    readonly at: number,
  ) {}

  /** Parses the Prometheus text exposition format (comments and blank lines skipped). */
  static parse(text: string, at = Date.now()): MetricsSnapshot {
    const samples: Sample[] = [];
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue;
      const m = LINE.exec(line);
      if (!m) continue;
      const labels: Record<string, string> = {};
      if (m[2]) for (const l of m[2].matchAll(LABEL)) labels[l[1]!] = l[2]!;
      const value = m[3] === '+Inf' ? Infinity : m[3] === '-Inf' ? -Infinity : Number(m[3]);
      samples.push({ name: m[1]!, labels, value });
    }
    return new MetricsSnapshot(samples, at);
  }

  /** Sum of a metric's samples whose labels include `match`. */
  sum(name: string, match: Record<string, string> = {}): number {
    let total = 0;
    for (const s of this.samples) if (s.name === name && matches(s.labels, match)) total += s.value;
    return total;
  }

  /** Whether the metric exists at all. */
  has(name: string): boolean {
    return this.samples.some((s) => s.name === name);
  }

  /** Sums of a metric grouped by one label, for samples matching `match`. */
  byLabel(name: string, label: string, match: Record<string, string> = {}): Record<string, number> {
    const out: Record<string, number> = {};
    for (const s of this.samples) {
      if (s.name !== name || !matches(s.labels, match)) continue;
      const key = s.labels[label] ?? '';
      out[key] = (out[key] ?? 0) + s.value;
    }
    return out;
  }

  /** Cumulative histogram buckets `[le, count]` of a metric, sorted by le. */
  buckets(name: string, match: Record<string, string> = {}): [number, number][] {
    const byLe = new Map<number, number>();
    for (const s of this.samples) {
      if (s.name !== `${name}_bucket` || !matches(s.labels, match)) continue;
      const le = s.labels.le === '+Inf' ? Infinity : Number(s.labels.le);
      byLe.set(le, (byLe.get(le) ?? 0) + s.value);
    }
    return [...byLe.entries()].sort((a, b) => a[0] - b[0]);
  }
}

function matches(labels: Record<string, string>, match: Record<string, string>): boolean {
  for (const key in match) if (labels[key] !== match[key]) return false;
  return true;
}

/** Subtracts label-grouped counters: after - before, per key. */
function diffRecord(after: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(after)) {
    const d = value - (before[key] ?? 0);
    if (d !== 0) out[key] = d;
  }
  return out;
}

/**
 * A quantile from Prometheus histogram buckets (linear inside the bucket, as histogram_quantile
 * does). Buckets are cumulative deltas over the window. @returns seconds, or null when empty
 */
export function bucketQuantile(q: number, buckets: readonly [number, number][]): number | null {
  const total = buckets.at(-1)?.[1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let prevLe = 0;
  let prevCount = 0;
  for (const [le, count] of buckets) {
    if (count >= rank) {
      if (le === Infinity) return prevLe;
      const inBucket = count - prevCount;
      return inBucket > 0 ? prevLe + ((le - prevLe) * (rank - prevCount)) / inBucket : le;
    }
    prevLe = le;
    prevCount = count;
  }
  return prevLe;
}

/** What the server's own counters say about one transport over a window. */
export interface TransportCounters {
  delivered: number;
  published: number;
  publishedBySource: Record<string, number>;
  bytesSent: number;
  polls: Record<string, number>;
  dropped: Record<string, number>;
  closed: Record<string, number>;
  opened: number;
  /** `rt_connections` at the end of the window (a gauge). */
  connectionsAtEnd: number;
  /** Server-side accept -> written latency (ms), from its histogram over the window. */
  serverLatencyMs: { p50: number | null; p99: number | null };
  /** process_cpu_seconds_total over the window (cross-check of /proc). */
  processCpuSeconds: number;
}

/** The counters of `transport` between two scrapes. */
export function transportCounters(before: MetricsSnapshot, after: MetricsSnapshot, transport: TransportName): TransportCounters {
  const t = { transport };
  const delta = (name: string, match: Record<string, string> = t) => after.sum(name, match) - before.sum(name, match);
  const latencyBuckets = after.buckets('rt_delivery_latency_seconds', t).map(([le, n]): [number, number] => {
    const prev = before.buckets('rt_delivery_latency_seconds', t).find(([l]) => l === le)?.[1] ?? 0;
    return [le, n - prev];
  });
  const ms = (v: number | null) => (v === null ? null : Math.round(v * 100_000) / 100);
  return {
    delivered: delta('rt_events_delivered_total'),
    published: delta('rt_events_published_total', {}),
    publishedBySource: diffRecord(after.byLabel('rt_events_published_total', 'transport'), before.byLabel('rt_events_published_total', 'transport')),
    bytesSent: delta('rt_bytes_sent_total'),
    polls: diffRecord(after.byLabel('rt_poll_requests_total', 'result', t), before.byLabel('rt_poll_requests_total', 'result', t)),
    dropped: diffRecord(after.byLabel('rt_dropped_events_total', 'reason', t), before.byLabel('rt_dropped_events_total', 'reason', t)),
    closed: diffRecord(after.byLabel('rt_connections_closed_total', 'reason', t), before.byLabel('rt_connections_closed_total', 'reason', t)),
    opened: delta('rt_connections_opened_total'),
    connectionsAtEnd: after.sum('rt_connections', t),
    serverLatencyMs: { p50: ms(bucketQuantile(0.5, latencyBuckets)), p99: ms(bucketQuantile(0.99, latencyBuckets)) },
    processCpuSeconds: delta('process_cpu_seconds_total', {}),
  };
}
