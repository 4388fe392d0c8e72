import type { BenchReport, TransportResult } from './model.js';
import { bytes, fixed, int, ms, pct, table } from './format.js';
import { floorTable } from './tables.js';

/** The one-line-per-transport row every report starts with. */
export function headlineRow(scenario: string, r: TransportResult): string[] {
  if (r.status !== 'ok') return [scenario, r.transport, r.status, r.reason?.split('\n')[0]?.slice(0, 60) ?? '', '', '', '', '', '', '', '', '', ''];
  const a = r.accounting;
  const perConn = r.server?.rssPerConnectionBytes;
  return [
    scenario,
    r.transport,
    r.checks.every((c) => c.ok) ? 'ok' : 'MISS',
    `${int(a.delivered)}/${int(a.expected)}`,
    pct(a.deliveryRatio),
    `${int(a.gaps)}/${int(a.duplicates)}/${int(a.outOfOrder)}`,
    `${ms(r.latencyMs.p50)}/${ms(r.latencyMs.p99)}/${ms(r.latencyMs.max)}`,
    int(r.throughput.deliveredPerSecond),
    fixed(r.server?.cpuSecondsPer1kDeliveries ?? null, 4),
    fixed(r.server?.bytesPerDelivery ?? null, 0),
    perConn === null || perConn === undefined ? '-' : bytes(perConn),
    r.server ? bytes(r.server.rssPeakBytes) : '-',
    r.agreement ? (r.agreement.ok ? 'yes' : r.agreement.explained ? 'explained' : 'NO') : '-',
  ];
}

export const HEADLINE_HEADER = [
  'scenario', 'transport', 'checks', 'delivered/expected', 'delivery', 'gaps/dups/ooo', 'p50/p99/max ms', 'deliveries/s',
  'CPU s/1k', 'bytes/evt', 'RSS/conn', 'RSS peak', 'agree',
];

/** The table printed at the end of a run. */
export function summaryTable(report: BenchReport): string {
  const rows = report.scenarios.flatMap((s) => s.transports.map((r) => headlineRow(s.scenario, r)));
  const misses = report.scenarios.flatMap((s) =>
    s.transports.flatMap((r) => r.checks.filter((c) => !c.ok).map((c) => `  ${s.scenario}/${r.transport}: ${c.name} — ${c.detail}`)),
  );
  const knees = report.scenarios.flatMap((s) =>
    (s.sweep?.results ?? []).map((w) => `  knee ${w.transport}: ${w.knee ? `N=${w.knee.clients}, ${int(w.knee.deliveriesPerSecond)} deliveries/s` : 'none'} (${w.stoppedBecause})`),
  );
  const floors = report.scenarios.flatMap((s) => {
    const t = floorTable(s);
    return t ? [`overhead over floor (${s.scenario}):`, table(t.header, t.rows)] : [];
  });
  return [table(HEADLINE_HEADER, rows), ...floors, ...(knees.length ? ['sweep:', ...knees] : []), ...(misses.length ? ['missed checks:', ...misses] : [])].join('\n');
}
