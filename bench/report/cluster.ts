import type { TransportResult } from './model.js';
import { bytes, fixed, int, ms } from './format.js';
import { ok, type Table } from './tables.js';

/**
 * The multi-instance tables (`--broker redis`, `--instances N`): each process' CPU and RSS with its
 * CPU per 1k deliveries, and the broker's publish and cross-instance lag histograms. Null when no run
 * had several processes.
 */
export function clusterTables(rs: TransportResult[]): { processes: Table; broker: Table } | null {
  const runs = ok(rs).filter((r) => r.cluster);
  if (runs.length === 0) return null;
  const processes: Table = {
    header: ['transport', 'process', 'CPU s', 'CPU %', 'CPU s/1k deliveries', 'RSS', 'delivered here', 'accepted here', 'connections'],
    rows: runs.flatMap((r) =>
      [...r.cluster!.instances, ...(r.cluster!.redis ? [r.cluster!.redis] : [])].map((p) => [
        r.transport,
        p.name,
        fixed(p.cpuSeconds, 2),
        int(p.cpuPercent),
        fixed(p.cpuSecondsPer1kDeliveries, 4),
        bytes(p.rssAfterBytes),
        int(p.delivered),
        int(p.published),
        int(p.connectionsAtEnd),
      ]),
    ),
  };
  const broker: Table = {
    header: ['transport', 'instances', 'publishes timed', 'publish p50 ms', 'publish p99 ms', 'arrivals from Redis', 'accept → arrival p50 ms', 'accept → arrival p99 ms', 'accept → arrival p99.9 ms', 'Redis CPU s/1k deliveries'],
    rows: runs.map((r) => {
      const c = r.cluster!;
      return [r.transport, String(c.instances.length), int(c.brokerPublishMs.count), ms(c.brokerPublishMs.p50), ms(c.brokerPublishMs.p99), int(c.deliveryLagMs.count), ms(c.deliveryLagMs.p50), ms(c.deliveryLagMs.p99), ms(c.deliveryLagMs.p999), fixed(c.redis?.cpuSecondsPer1kDeliveries, 4)];
    }),
  };
  return { processes, broker };
}

/** What the multi-instance tables mean, under them. */
export const CLUSTER_NOTE =
  'Instance CPU per 1k deliveries counts that instance’s own deliveries; Redis’s counts every instance’s. ' +
  'Publish and lag are the servers’ own histograms summed over instances (bucket-interpolated, as histogram_quantile): ' +
  'lag is accept on the publishing instance → arrival from Redis on each instance, so it covers the instance’s own events too. ' +
  'The headline, accounting and agreement tables above add up every instance.';
