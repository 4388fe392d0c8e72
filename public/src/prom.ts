/**
 * The comparison page's live view, kept apart from the DOM so it is unit-tested: parses the server's
 * Prometheus text (`GET /metrics`) and turns two scrapes into per-transport rates and percentiles.
 */

/** One sample line of the text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape and when it was taken (ms, any monotonic clock). */
export interface Scrape {
  at: number;
  samples: Sample[];
}

const LINE = /^([A-Za-z_:][A-Za-z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;
const LABEL = /\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
}

function number(v: string): number {
  if (v === '+Inf') return Infinity;
  if (v === '-Inf') return -Infinity;
  return Number(v);
}

/** Parses the Prometheus text exposition format (comments and malformed lines are skipped). */
export function parsePrometheus(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    if (m[2]) {
      LABEL.lastIndex = 0;
      let l: RegExpExecArray | null;
      while ((l = LABEL.exec(m[2])) !== null) labels[l[1]!] = unescape(l[2]!);
    }
    const value = number(m[3]!);
    if (!Number.isNaN(value)) out.push({ name: m[1]!, labels, value });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sum(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number | null {
  let total: number | null = null;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    total = (total ?? 0) + s.value;
  }
  return total;
}

/** Cumulative bucket counts of a histogram for one label set, by upper bound. */
function buckets(samples: readonly Sample[], name: string, match: Record<string, string>): Map<number, number> {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.name !== `${name}_bucket` || s.labels.le === undefined) continue;
    if (Object.entries(match).some(([k, v]) => s.labels[k] !== v)) continue;
    const le = number(s.labels.le);
    out.set(le, (out.get(le) ?? 0) + s.value);
  }
  return out;
}

/**
 * The q-quantile (0..1) of what a histogram observed between two scrapes, interpolated within the
 * bucket as Prometheus's histogram_quantile does; null when nothing was observed in between.
 */
export function quantileBetween(prev: readonly Sample[], cur: readonly Sample[], name: string, match: Record<string, string>, q: number): number | null {
  const before = buckets(prev, name, match);
  const now = [...buckets(cur, name, match)].sort((a, b) => a[0] - b[0]).map(([le, count]) => [le, count - (before.get(le) ?? 0)] as const);
  const total = now.length ? now[now.length - 1]![1] : 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const [le, count] of now) {
    if (count >= rank) {
      if (le === Infinity) return lower; // the highest finite bound, as histogram_quantile answers
      return lower + (le - lower) * ((rank - below) / Math.max(count - below, 1e-12));
    }
    lower = le;
    below = count;
  }
  return lower;
}

/** One transport's row of the live view. */
export interface LiveRow {
  transport: string;
  /** Events handed to sockets per second. */
  deliveredPerSec: number | null;
  /** Server accept -> written, over the last interval (ms). */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Open streams and waiting long-polls now. */
  connections: number;
  /** Wire bytes written per second. */
  bytesPerSec: number | null;
}

/** The whole live view: a row per transport and the process's CPU and memory. */
export interface LiveFigures {
  rows: LiveRow[];
  /** The server process's CPU over the interval, 100 = one core (the server does not split CPU by transport). */
  cpuPercent: number | null;
  rssBytes: number | null;
}

function rate(prev: readonly Sample[], cur: readonly Sample[], seconds: number, name: string, match: Record<string, string> = {}): number | null {
  const a = sum(prev, name, match);
  const b = sum(cur, name, match);
  if (a === null || b === null || !(seconds > 0)) return null;
  return Math.max(0, b - a) / seconds;
}

/** Figures between two scrapes (rates need `prev`; without it only gauges are known). */
export function liveFigures(prev: Scrape | null, cur: Scrape, transports: readonly string[]): LiveFigures {
  const seconds = prev ? (cur.at - prev.at) / 1000 : 0;
  const p = prev?.samples ?? [];
  const c = cur.samples;
  const rows = transports.map((transport): LiveRow => {
    const t = { transport };
    const q = (x: number) => {
      const v = prev ? quantileBetween(p, c, 'rt_delivery_latency_seconds', t, x) : null;
      return v === null ? null : v * 1000;
    };
    return {
      transport,
      deliveredPerSec: prev ? rate(p, c, seconds, 'rt_events_delivered_total', t) : null,
      p50Ms: q(0.5),
      p99Ms: q(0.99),
      connections: sum(c, 'rt_connections', t) ?? 0, // a gauge with no sample yet: nothing opened
      bytesPerSec: prev ? rate(p, c, seconds, 'rt_bytes_sent_total', t) : null,
    };
  });
  const cpu = prev ? rate(p, c, seconds, 'process_cpu_seconds_total') : null;
  return { rows, cpuPercent: cpu === null ? null : cpu * 100, rssBytes: sum(c, 'process_resident_memory_bytes') };
}
