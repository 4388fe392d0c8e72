import type { AttackRow, ScenarioReport, SweepResult, TransportResult } from './model.js';
import { bytes, fixed, int, ms, pct } from './format.js';
import { HEADLINE_HEADER, headlineRow } from './summary.js';

/**
 * The report's tables as data (header + rows of formatted cells), shared by the Markdown and the
 * HTML writer so both show the same figures.
 */
export interface Table {
  header: string[];
  rows: string[][];
}

const tab = (header: string[], rows: string[][]): Table => ({ header, rows });

/** The headline table of a scenario. */
export function headlineTable(s: ScenarioReport): Table {
  return tab(HEADLINE_HEADER, s.transports.map((r) => headlineRow(s.scenario, r)));
}

/** The steps of one transport's sweep. */
export function sweepTable(w: SweepResult): Table {
  return tab(
    ['N', 'offered/s', 'delivered/s', 'delivery', 'p99 ms', 'CPU s/1k', 'server CPU %', 'server waited for CPU %', 'generator CPU %', 'generator µs/event', 'generator loop delay ms', 'generator waited for CPU %', 'generator saturated', 'pass'],
    w.steps.map((st) => [
      String(st.clients),
      int(st.offeredDeliveriesPerSecond),
      int(st.deliveredPerSecond),
      pct(st.deliveryRatio),
      ms(st.p99Ms),
      fixed(st.cpuSecondsPer1kDeliveries, 4),
      int(st.serverCpuPercent),
      fixed(st.serverRunqueueWaitPercent ?? null, 0),
      int(st.loadGeneratorCpuPercent ?? null),
      fixed(st.loadGeneratorMicrosPerEvent ?? null, 2),
      fixed(st.loadGeneratorLoopDelayMs ?? null, 0),
      fixed(st.loadGeneratorRunqueueWaitPercent ?? null, 0),
      st.loadGeneratorSaturated ? 'yes' : 'no',
      st.ok ? 'yes' : 'no',
    ]),
  );
}

export const FLOOR_HEADER = [
  'transport', 'product CPU s/1k', 'floor CPU s/1k', 'overhead over floor', 'pair ratios', 'product p50/p99 ms', 'floor p50/p99 ms', 'floor delivery', 'floor deliveries/s',
];

/** Each transport against its floor server (`--floor`), or undefined when the run had none. */
export function floorTable(s: ScenarioReport): Table | undefined {
  if (!s.floor?.length) return undefined;
  return tab(
    FLOOR_HEADER,
    s.floor.map((f) => [
      f.transport,
      fixed(f.product.cpuSecondsPer1kDeliveries, 4),
      fixed(f.floor.cpuSecondsPer1kDeliveries, 4),
      fixed(f.overheadOverFloor, 2),
      f.pairRatios.map((r) => fixed(r, 2)).join(' '),
      `${ms(f.product.p50Ms)}/${ms(f.product.p99Ms)}`,
      `${ms(f.floor.p50Ms)}/${ms(f.floor.p99Ms)}`,
      f.floor.deliveryRatio === null ? '-' : pct(f.floor.deliveryRatio),
      int(f.floor.deliveredPerSecond),
    ]),
  );
}

export const MEMORY_TITLE = 'Memory per held connection (least-squares slope over reads after a full GC; medians of runs; floor beside)';

export const MEMORY_HEADER = [
  'transport', 'RSS / conn', 'basis', '± (std error)', 'R²', 'raw RSS / conn', 'JS heap+external / conn', 'added by the hold / conn', 'RSS / conn (C/2 → held, old method)', 'runs (RSS / conn)',
  'floor RSS / conn', 'floor JS / conn', 'RSS over floor', 'JS over floor',
];

interface FitLike {
  slopeStdError: number | null;
  r2: number | null;
}

const kb = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? `${(v / 1024).toFixed(2)} KB` : '-');

/**
 * Memory per held connection (capacity): the fitted slopes, the old two-point figure, each repeat,
 * and with `--floor` the floor server's figures beside the product's. Undefined when no run read
 * memory at several connection counts.
 */
export function memoryTable(s: ScenarioReport): Table | undefined {
  const held = ok(s.transports).filter((r) => r.extra.memoryFit);
  if (held.length === 0) return undefined;
  return tab(
    MEMORY_HEADER,
    held.map((r) => {
      const e = r.extra;
      const fits = e.memoryFit as { rss: FitLike | null; rssWithoutYoung?: FitLike | null };
      const fit = fits.rssWithoutYoung ?? fits.rss;
      const medians = e.medians as Record<string, unknown> | undefined;
      const repeats = e.repeats as { rssPerConnectionBytes: number | null }[] | undefined;
      const f = s.memoryFloor?.find((m) => m.transport === r.transport);
      return [
        r.transport,
        kb(medians?.rssPerConnectionBytes ?? e.rssPerConnectionBytes),
        typeof e.rssPerConnectionBasis === 'string' ? e.rssPerConnectionBasis : 'RSS',
        kb(fit?.slopeStdError),
        fixed(fit?.r2 ?? null, 4),
        kb(e.rssRawPerConnectionBytes),
        kb(medians?.jsHeapAndExternalPerConnectionBytes ?? e.jsHeapAndExternalPerConnectionBytes),
        kb(e.rssWithoutYoungDriftDuringHoldPerConnectionBytes),
        kb(e.rssPerConnectionHalfToHeldBytes),
        repeats ? repeats.map((x) => kb(x.rssPerConnectionBytes)).join(' / ') : '1 run',
        kb(f?.floor.rssPerConnectionBytes),
        kb(f?.floor.jsPerConnectionBytes),
        kb(f?.rssOverFloorBytes),
        kb(f?.jsOverFloorBytes),
      ];
    }),
  );
}

/** Top functions of a CPU profile. */
export function profileTable(r: TransportResult): Table {
  return tab(['self %', 'function'], (r.profile?.top ?? []).map((t) => [fixed(t.selfPercent, 1), t.fn]));
}

export const ok = (rs: TransportResult[]) => rs.filter((r) => r.status === 'ok');

export function reasons(record: Record<string, number>): string {
  const entries = Object.entries(record);
  return entries.length ? entries.map(([k, v]) => `${k}=${int(v)}`).join(', ') : '-';
}

export function accountingTable(rs: TransportResult[]): Table {
  return tab(
    ['transport', 'expected', 'delivered', 'received', 'duplicates', 'gaps', 'out of order', 'after end', 'truncated signals', 'delivery'],
    ok(rs).map((r) => {
      const a = r.accounting;
      return [r.transport, int(a.expected), int(a.delivered), int(a.received), int(a.duplicates), int(a.gaps), int(a.outOfOrder), int(a.beyond), int(a.truncatedSignals), pct(a.deliveryRatio)];
    }),
  );
}

export function latencyTable(rs: TransportResult[]): Table {
  return tab(
    ['transport', 'p50', 'p90', 'p99', 'max', 'server accept→write p50/p99', 'connect p50', 'connect p99', 'connect max'],
    ok(rs).map((r) => [
      r.transport,
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p90),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      r.server ? `${ms(r.server.counters.serverLatencyMs.p50)} / ${ms(r.server.counters.serverLatencyMs.p99)}` : '-',
      ms(r.clients.connectMs.p50),
      ms(r.clients.connectMs.p99),
      ms(r.clients.connectMs.max),
    ]),
  );
}

export function serverTable(rs: TransportResult[]): Table {
  return tab(
    ['transport', 'CPU s', 'CPU %', 'CPU s / 1k deliveries', 'RSS before', 'RSS after', 'RSS peak', 'RSS / connection', 'wire bytes / delivery', 'closed', 'dropped'],
    ok(rs)
      .filter((r) => r.server)
      .map((r) => {
        const s = r.server!;
        return [
          r.transport,
          fixed(s.cpuSeconds, 2),
          fixed(s.cpuPercent, 0),
          fixed(s.cpuSecondsPer1kDeliveries, 4),
          bytes(s.rssBeforeBytes),
          bytes(s.rssAfterBytes),
          bytes(s.rssPeakBytes),
          s.rssPerConnectionBytes === null ? '-' : bytes(s.rssPerConnectionBytes),
          fixed(s.bytesPerDelivery, 1),
          reasons(s.counters.closed),
          reasons(s.counters.dropped),
        ];
      }),
  );
}

export function pollingTable(rs: TransportResult[]): Table | undefined {
  const polled = ok(rs).filter((r) => r.polling);
  if (polled.length === 0) return undefined;
  return tab(
    ['transport', 'requests', 'requests/s', 'requests / delivered event', 'empty-poll ratio', 'RTT p50', 'RTT p99', 'server polls'],
    polled.map((r) => {
      const p = r.polling!;
      return [r.transport, int(p.requests), int(p.requestsPerSecond), fixed(p.requestsPerDelivery, 3), pct(p.emptyPollRatio), ms(p.rttMs.p50), ms(p.rttMs.p99), reasons(r.server?.counters.polls ?? {})];
    }),
  );
}

export function agreementTable(rs: TransportResult[]): Table {
  return tab(
    ['transport', 'expected', 'client delivered', 'client received', 'server delivered', 'accepted (client / server)', 'agree', 'why not'],
    ok(rs)
      .filter((r) => r.agreement)
      .map((r) => {
        const a = r.agreement!;
        return [r.transport, int(a.expected), int(a.clientDelivered), int(a.clientReceived), int(a.serverDelivered), `${int(a.clientAccepted)} / ${int(a.serverPublished)}`, a.ok ? 'yes' : a.explained ? 'explained' : 'no', a.notes.join('; ') || '-'];
      }),
  );
}

export function rolesTable(rs: TransportResult[]): Table | undefined {
  const multi = ok(rs).filter((r) => Object.keys(r.roles).length > 1);
  if (multi.length === 0) return undefined;
  const rows = multi.flatMap((r) =>
    Object.entries(r.roles).map(([name, role]) => [
      r.transport,
      name,
      `${int(role.opened)} / ${int(role.failed)}`,
      `${int(role.accounting.delivered)}/${int(role.accounting.expected)}`,
      pct(role.accounting.deliveryRatio),
      `${int(role.accounting.gaps)}/${int(role.accounting.duplicates)}`,
      `${ms(role.latencyMs.p50)} / ${ms(role.latencyMs.p99)} / ${ms(role.latencyMs.max)}`,
    ]),
  );
  return tab(['transport', 'role', 'opened / failed', 'delivered/expected', 'delivery', 'gaps/dups', 'latency p50/p99/max ms'], rows);
}


/** The hostile scenario's attacks: server cost, bystanders' delivery and p99, and whether the attacker was cut. */
export function attackTable(rows: AttackRow[]): Table {
  return tab(
    ['attack', 'abuses', 's', 'RSS before', 'RSS peak', 'server CPU %', 'bystanders delivered', 'gaps', 'p99 streams', 'p99 polling', 'attacker cut', 'what happened'],
    rows.map((r) => [
      r.attack,
      r.transport,
      String(r.seconds),
      bytes(r.rssBeforeBytes),
      bytes(r.rssPeakBytes),
      fixed(r.cpuPercent, 0),
      r.bystanders ? `${int(r.bystanders.delivered)} / ${int(r.bystanders.expected)} (${pct(r.bystanders.ratio)})` : 'n/a',
      r.bystanders ? int(r.bystanders.gaps) : 'n/a',
      ms(r.p99Ms),
      ms(r.pollP99Ms),
      r.cut ? 'yes' : 'NO',
      r.detail,
    ]),
  );
}
