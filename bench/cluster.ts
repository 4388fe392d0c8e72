import type { TransportName } from '../src/domain/events.js';
import type { ClusterReport, ProcessReport } from './report/model.js';
import type { PartSample } from './server-group.js';
import { bucketQuantile, transportCounters, type MetricsSnapshot } from './server-metrics.js';

/** A histogram's buckets over a window: after - before, per `le`. */
function windowBuckets(before: MetricsSnapshot[], after: MetricsSnapshot[], name: string): [number, number][] {
  const add = (snaps: MetricsSnapshot[]) => {
    const byLe = new Map<number, number>();
    for (const m of snaps) for (const [le, n] of m.buckets(name)) byLe.set(le, (byLe.get(le) ?? 0) + n);
    return byLe;
  };
  const b = add(before);
  return [...add(after)].map(([le, n]): [number, number] => [le, n - (b.get(le) ?? 0)]).sort((x, y) => x[0] - y[0]);
}

function histogramMs(before: MetricsSnapshot[], after: MetricsSnapshot[], name: string): ClusterReport['brokerPublishMs'] {
  const buckets = windowBuckets(before, after, name);
  const count = buckets.at(-1)?.[1] ?? 0;
  const ms = (q: number) => {
    const v = bucketQuantile(q, buckets);
    return v === null ? null : Math.round(v * 100_000) / 100;
  };
  return { count, p50: ms(0.5), p99: ms(0.99), p999: ms(0.999) };
}

/**
 * Per-process figures of a multi-instance run: each instance's CPU, RSS and its own deliveries and
 * accepted publishes, Redis's CPU and RSS (from /proc), and the broker histograms summed over instances.
 */
export function clusterReport(before: PartSample[], after: PartSample[], windowSeconds: number, transport: TransportName): ClusterReport {
  const instances: ProcessReport[] = [];
  let delivered = 0;
  for (const end of after) {
    const start = before.find((p) => p.name === end.name);
    if (!start || !start.metrics || !end.metrics) continue;
    const c = transportCounters(start.metrics, end.metrics, transport);
    delivered += c.delivered;
    instances.push(processReport(start, end, windowSeconds, c.delivered, { delivered: c.delivered, published: c.published, connectionsAtEnd: c.connectionsAtEnd }));
  }
  const redisStart = before.find((p) => p.name === 'redis');
  const redisEnd = after.find((p) => p.name === 'redis');
  const redis = redisStart && redisEnd ? processReport(redisStart, redisEnd, windowSeconds, delivered, {}) : null;
  const scrapes = (parts: PartSample[]) => parts.flatMap((p) => (p.metrics ? [p.metrics] : []));
  return {
    instances,
    redis,
    brokerPublishMs: histogramMs(scrapes(before), scrapes(after), 'rt_broker_publish_seconds'),
    deliveryLagMs: histogramMs(scrapes(before), scrapes(after), 'rt_broker_delivery_lag_seconds'),
  };
}

function processReport(start: PartSample, end: PartSample, windowSeconds: number, deliveries: number, own: Partial<ProcessReport>): ProcessReport {
  const cpuSeconds = end.cpuSeconds - start.cpuSeconds;
  return {
    name: end.name,
    cpuSeconds,
    cpuPercent: (cpuSeconds / windowSeconds) * 100,
    cpuSecondsPer1kDeliveries: deliveries > 0 ? (cpuSeconds / deliveries) * 1000 : null,
    rssAfterBytes: end.rssBytes,
    delivered: own.delivered ?? null,
    published: own.published ?? null,
    connectionsAtEnd: own.connectionsAtEnd ?? null,
  };
}
