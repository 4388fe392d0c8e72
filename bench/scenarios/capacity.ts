import type { TransportName } from '../../src/domain/events.js';
import type { MemoryFloorComparison, MemorySide, ScenarioReport, TransportResult } from '../report/model.js';
import { buildResult, check } from '../result.js';
import { ownNofile } from '../env.js';
import { jsMemory, rssWithoutYoung } from '../gc-report.js';
import { fitPerConnection, stepCounts, type MemoryFit } from '../memory-fit.js';
import { median } from '../histogram.js';
import { sharedNow } from '../load/stats.js';
import type { Mark, Phase, RunContext } from './phase.js';
import { runTransport } from './run.js';

/** Parameters of the capacity scenario. */
export interface CapacityParams {
  /** Connections held per streaming (and long-polling) transport. */
  connections: number;
  holdS: number;
  groups: number;
  /** Short polling: keep-alive connections polling back to back. */
  pollClients: number;
  /** Short polling: background publish interval per group (ms). */
  publishIntervalMs: number;
}

export const CAPACITY = {
  name: 'capacity',
  title: 'Capacity: idle connections held with heartbeats; polling requests/s',
  description:
    'A published experiment (20,000 connections against FastAPI + uvicorn, wrk): hold C idle connections per streaming transport ' +
    '(and C waiting long-polls) for the hold time with heartbeats on, then prove each is alive with one event per group; memory per ' +
    'connection is (RSS held - RSS before connecting) / C. Short polling: closed-loop polls on K keep-alive connections, requests/s ' +
    'and round-trip percentiles, with a light background publisher.',
};

/** Target from the issue: KB per held connection for websocket and sse. */
const KB_PER_CONNECTION_TARGET = 16;
const POLL_RPS_TARGET = 20_000;

export function capacityParams(ctx: RunContext): CapacityParams {
  const a = ctx.args;
  return { connections: a.clients ?? 20_000, holdS: a.duration ?? 60, groups: a.groups ?? 100, pollClients: a.pollClients ?? 1000, publishIntervalMs: a.interval ?? 100 };
}

/** Server settings that make heartbeats happen within the hold (the defaults, stated explicitly). */
const HEARTBEATS = { SSE_HEARTBEAT_MS: '15000', WS_PING_MS: '25000', STOMP_HEARTBEAT_MS: '10000', LONGPOLL_TIMEOUT_MS: '25000' };

async function probe(phase: Phase, groups: string[]): Promise<void> {
  // One event per group over plain HTTP: every held connection must receive exactly one.
  await Promise.all(
    groups.map((g) =>
      fetch(`${phase.server.url}/groups/${g}/events?user=probe`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'chat', text: 'are you there', sentAt: sharedNow() }),
      }),
    ),
  );
}

/** Memory of the server process: RSS, and heap + external (what JS objects and Buffers hold). */
function memory(m: Mark): { rss: number; js: number } {
  return { rss: m.sample.rssBytes, js: m.metrics.sum('nodejs_heap_size_used_bytes') + m.metrics.sum('nodejs_external_memory_bytes') };
}

/** Memory reads per run: equal steps of connections, each read after a full GC once RSS settled. */
export const MEMORY_STEPS = 6;

/** One memory read of the server (bytes) at a number of open connections. */
export interface MemoryRead {
  connections: number;
  rssBytes: number;
  jsBytes: number;
  /** RSS minus V8's young generation (null when the server cannot report its heap spaces). */
  rssWithoutYoungBytes: number | null;
  /** How long RSS took to settle after the GC (null: not reported, e.g. a remote server). */
  settledMs: number | null;
}

/**
 * A full GC of the server, then its memory once settled: from the GC hook's own report when the
 * bench started the server, else (a remote server) from /proc or /metrics after asking for a GC.
 */
async function readMemory(phase: Phase, connections: number): Promise<MemoryRead> {
  const settled = await phase.server.settledMemory?.();
  if (settled) {
    return { connections, rssBytes: settled.rss, jsBytes: jsMemory(settled), rssWithoutYoungBytes: rssWithoutYoung(settled), settledMs: settled.settledMs };
  }
  await phase.server.collectGarbage();
  const m = memory(await phase.mark());
  return { connections, rssBytes: m.rss, jsBytes: m.js, rssWithoutYoungBytes: null, settledMs: null };
}

/** Per-connection fits of one run's reads (null when there are too few reads). */
export interface MemoryFits {
  rss: MemoryFit | null;
  js: MemoryFit | null;
  rssWithoutYoung: MemoryFit | null;
}

export function fitReads(reads: readonly MemoryRead[]): MemoryFits {
  const fit = (pick: (r: MemoryRead) => number | null) => {
    const points = reads.flatMap((r) => {
      const bytes = pick(r);
      return bytes === null ? [] : [{ connections: r.connections, bytes }];
    });
    return points.length === reads.length ? fitPerConnection(points) : null;
  };
  return { rss: fit((r) => r.rssBytes), js: fit((r) => r.jsBytes), rssWithoutYoung: fit((r) => r.rssWithoutYoungBytes) };
}

/**
 * Connections both sides can hold: each needs a descriptor per connection, and neither can go past
 * its RLIMIT_NOFILE (a sandbox without CAP_SYS_RESOURCE cannot raise the hard limit). Keeps a margin
 * for listening sockets, the publish pool, /proc reads and the metrics scrapes.
 */
export function holdable(requested: number, ownNofile: number | undefined, serverMaxFds: number): { connections: number; cappedBy?: string } {
  const own = ownNofile === undefined || !Number.isFinite(ownNofile) ? Infinity : ownNofile - 300;
  const server = serverMaxFds > 0 ? serverMaxFds - 100 : Infinity;
  const connections = Math.max(1, Math.min(requested, own, server));
  if (connections === requested) return { connections };
  const cappedBy = own <= server ? `the load generator's open-files limit (${ownNofile})` : `the server's open-files limit (${serverMaxFds})`;
  return { connections, cappedBy };
}

async function holdRun(phase: Phase, requested: CapacityParams): Promise<TransportResult> {
  const groups = Array.from({ length: requested.groups }, (_, i) => phase.group(i));
  await phase.server.collectGarbage();
  await phase.startWindow();
  const start = phase.before!;
  const limit = holdable(requested.connections, ownNofile(), start.metrics.sum('process_max_fds'));
  const p = { ...requested, connections: limit.connections };
  const half = Math.floor(p.connections / 2);
  const spec = { role: 'subscriber', groups: p.groups, since: 0, longPollTimeoutMs: 25_000 };
  // Connections are opened in equal steps with a settled memory read after each: the slope through
  // the reads is the per-connection figure. The half is one of the steps' ends (its read is the old
  // two-point method's baseline, kept for comparison).
  const counts = [...new Set([...stepCounts(p.connections, MEMORY_STEPS), half])].filter((n) => n > 0).sort((a, b) => a - b);
  const opened = { opened: 0, failed: 0 };
  const reads: MemoryRead[] = [];
  let asked = 0;
  let mid: Mark | undefined;
  let openedAtHalf = 0;
  for (const count of counts) {
    const step = await phase.open(phase.specs(count - asked, spec));
    asked = count;
    opened.opened += step.opened;
    opened.failed += step.failed;
    reads.push(await readMemory(phase, opened.opened));
    if (count === half) {
      mid = await phase.mark();
      openedAtHalf = opened.opened;
    }
  }
  const connected = await phase.mark();
  await phase.wait(p.holdS * 1000);
  const heldRead = await readMemory(phase, opened.opened);
  const held = await phase.mark();
  await probe(phase, groups);
  const drain = await phase.drain(groups, 10_000);
  await phase.endWindow();
  const merged = await phase.finish(drain.heads);

  const [m0, m1, m2] = [memory(start), memory(mid ?? start), memory(held)];
  const secondHalf = opened.opened - openedAtHalf;
  const perConn = (a: number, b: number) => (secondHalf > 0 ? (b - a) / secondHalf : null);
  const transport = { transport: phase.transport };
  const holdBytes = held.metrics.sum('rt_bytes_sent_total', transport) - connected.metrics.sum('rt_bytes_sent_total', transport);
  // A long-poll answered at its timeout (or with an event) closes by design; anything else is a loss.
  const closedBy = (m: Mark) => m.metrics.byLabel('rt_connections_closed_total', 'reason', transport);
  const closedNow = closedBy(held);
  const closedBefore = closedBy(connected);
  const closedDuringHold = Object.entries(closedNow)
    .filter(([reason]) => reason !== 'timeout' && reason !== 'answered')
    .reduce((n, [reason, v]) => n + v - (closedBefore[reason] ?? 0), 0);
  const fits = fitReads(reads);
  // The headline is RSS without V8's young generation when the server reports its heap spaces: the
  // young generation is a buffer of up to 32 MB that V8 grows during the connect bursts and shrinks
  // when the server idles, which at 3,283 connections a step moves a raw RSS read by up to ~10 KB
  // per connection. The raw RSS slope is kept beside it.
  const rssPerConnection = fits.rssWithoutYoung?.slope ?? fits.rss?.slope ?? null;
  const jsPerConnection = fits.js?.slope ?? null;
  const last = reads[reads.length - 1];
  const result = buildResult(phase, merged, {
    parameters: { connections: p.connections, requestedConnections: requested.connections, holdS: p.holdS, groups: p.groups, memorySteps: counts.length, ...HEARTBEATS },
    connectionsHeld: secondHalf,
    rssBaselineBytes: m1.rss,
    rssHeldBytes: m2.rss,
    externalPublishes: groups.length,
    extra: {
      connected: opened.opened,
      cappedBy: limit.cappedBy ?? null,
      connectFailed: opened.failed,
      rssPerConnectionBytes: rssPerConnection,
      rssPerConnectionBasis: fits.rssWithoutYoung ? 'RSS without the young generation' : 'RSS',
      rssRawPerConnectionBytes: fits.rss?.slope ?? null,
      jsHeapAndExternalPerConnectionBytes: jsPerConnection,
      rssWithoutYoungPerConnectionBytes: fits.rssWithoutYoung?.slope ?? null,
      memoryFit: fits,
      memoryReads: reads,
      memoryReadAfterHold: heldRead,
      rssDriftDuringHoldBytes: last ? heldRead.rssBytes - last.rssBytes : null,
      // What the hold (heartbeats, pings) added per connection beyond the young generation.
      rssWithoutYoungDriftDuringHoldPerConnectionBytes:
        last && last.rssWithoutYoungBytes !== null && heldRead.rssWithoutYoungBytes !== null && last.connections > 0 ? (heldRead.rssWithoutYoungBytes - last.rssWithoutYoungBytes) / last.connections : null,
      // The method before the fit: two reads, at C/2 and after the hold at C.
      rssPerConnectionHalfToHeldBytes: perConn(m1.rss, m2.rss),
      jsPerConnectionHalfToHeldBytes: perConn(m1.js, m2.js),
      rssPerConnectionFromStartBytes: opened.opened > 0 ? (m2.rss - m0.rss) / opened.opened : null,
      rssStartBytes: m0.rss,
      rssHalfBytes: m1.rss,
      rssHeldBytes: m2.rss,
      fdsHeld: held.sample.fds ?? null,
      serverConnectionsGauge: held.metrics.sum('rt_connections', transport),
      bytesSentDuringHold: holdBytes,
      heartbeatBytesPerConnectionPerMinute: opened.opened > 0 ? (holdBytes / opened.opened) * (60 / p.holdS) : null,
      closedDuringHold,
    },
  });
  // The headline figure is the fitted slope, not the two-point difference buildResult computes.
  if (result.server) result.server.rssPerConnectionBytes = rssPerConnection;
  // The check takes the larger of RSS and live JS memory: heap growing into pages already resident
  // makes RSS alone understate what a connection costs.
  const kb = rssPerConnection === null ? null : Math.max(rssPerConnection, jsPerConnection ?? 0) / 1024;
  const fitDetail = fits.rss ? `least squares over ${fits.rss.points} reads from ${reads[0]!.connections} to ${last!.connections} connections, each after a full GC` : 'no fit';
  result.checks.push(
    check(
      `${requested.connections} connections held`,
      opened.opened === requested.connections && closedDuringHold === 0,
      `${opened.opened} connected, ${opened.failed} failed, ${closedDuringHold} closed during the hold` +
        (limit.cappedBy ? `; only ${p.connections} attempted: capped by ${limit.cappedBy}, which this process cannot raise` : ''),
    ),
    check('every held connection alive at the end', result.accounting.delivered === result.accounting.expected, `${result.accounting.delivered} of ${result.accounting.expected} probe events`),
  );
  if (phase.transport === 'websocket' || phase.transport === 'sse') {
    result.checks.push(check(`≤ ${KB_PER_CONNECTION_TARGET} KB per connection`, kb !== null && kb <= KB_PER_CONNECTION_TARGET, `${kb === null ? '-' : kb.toFixed(1)} KB (max of RSS ${((rssPerConnection ?? 0) / 1024).toFixed(1)} KB and JS heap+external ${((jsPerConnection ?? 0) / 1024).toFixed(1)} KB per connection; ${fitDetail})`));
  }
  return result;
}

async function pollRun(phase: Phase, p: CapacityParams): Promise<TransportResult> {
  const groups = Math.min(p.groups, 10);
  const groupNames = Array.from({ length: groups }, (_, i) => phase.group(i));
  const publishers = phase.specs(groups, { role: 'publisher', groups, publishOnly: true });
  // Connected first, polling only from the window's start: pollers already hammering the server
  // would starve the connects of the rest (and the connect times would measure that).
  const pollers = phase.specs(p.pollClients, { role: 'subscriber', groups, pollIntervalMs: 0, startPaused: true });
  await phase.open(publishers);
  const opened = await phase.open(pollers);
  await phase.startWindow();
  await phase.ctx.pool.all({ op: 'resume', roles: ['subscriber'], reopen: false });
  await phase.publish({ roles: ['publisher'], intervalMs: p.publishIntervalMs, kind: 'chat', textLength: 16 }, p.holdS * 1000);
  await phase.wait(p.holdS * 1000);
  await phase.stopPublishing();
  const drain = await phase.drain(groupNames, 5000);
  await phase.endWindow();
  const merged = await phase.finish(drain.heads);
  const result = buildResult(phase, merged, {
    parameters: { pollClients: p.pollClients, durationS: p.holdS, groups, publishIntervalMs: p.publishIntervalMs },
    activeSeconds: p.holdS,
  });
  const serverPolls = Object.values(result.server?.counters.polls ?? {}).reduce((a, b) => a + b, 0);
  const serverRps = serverPolls / result.windowSeconds;
  result.extra = { connections: opened.opened, serverRequestsPerSecond: serverRps, serverCpuPercent: result.server?.cpuPercent ?? null };
  result.checks.push(
    check(`≥ ${POLL_RPS_TARGET.toLocaleString('en-US')} requests/s on one server core`, serverRps >= POLL_RPS_TARGET, `${Math.round(serverRps).toLocaleString('en-US')} requests/s at ${opened.opened} keep-alive connections`),
  );
  return result;
}

/** The extra figures of a hold run the memory comparison reads (null when the run failed). */
function memoryOf(r: TransportResult): { rss: number | null; js: number | null; rssWithoutYoung: number | null } {
  const num = (v: unknown) => (r.status === 'ok' && typeof v === 'number' && Number.isFinite(v) ? v : null);
  return { rss: num(r.extra.rssPerConnectionBytes), js: num(r.extra.jsHeapAndExternalPerConnectionBytes), rssWithoutYoung: num(r.extra.rssWithoutYoungPerConnectionBytes) };
}

function medianOf(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length ? median(known) : null;
}

/** Medians of a side's runs. */
export function memorySide(runs: readonly TransportResult[]): MemorySide {
  const m = runs.map(memoryOf);
  return {
    rssPerConnectionBytes: medianOf(m.map((x) => x.rss)),
    jsPerConnectionBytes: medianOf(m.map((x) => x.js)),
    rssWithoutYoungPerConnectionBytes: medianOf(m.map((x) => x.rssWithoutYoung)),
    runs: m.map((x) => x.rss),
  };
}

/** The product's memory per connection against the floor's, from interleaved runs of both. */
export function compareMemory(transport: TransportName, productRuns: readonly TransportResult[], floorRuns: readonly TransportResult[]): MemoryFloorComparison {
  const product = memorySide(productRuns);
  const floor = memorySide(floorRuns);
  const diff = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    transport,
    product,
    floor,
    rssOverFloorBytes: diff(product.rssPerConnectionBytes, floor.rssPerConnectionBytes),
    jsOverFloorBytes: diff(product.jsPerConnectionBytes, floor.jsPerConnectionBytes),
  };
}

/**
 * The median run by RSS per connection; with several runs, its `extra` lists every run's figures
 * (`repeats`) and the medians (`medians`), and its headline RSS per connection is the median.
 */
export function medianMemoryRun(runs: TransportResult[]): TransportResult {
  if (runs.length === 1) return runs[0]!;
  const ok = runs.filter((r) => r.status === 'ok');
  const key = (r: TransportResult) => memoryOf(r).rss ?? Infinity;
  const sorted = [...(ok.length ? ok : runs)].sort((x, y) => key(x) - key(y));
  const chosen = sorted[(sorted.length - 1) >> 1]!;
  const side = memorySide(runs);
  chosen.extra.repeats = runs.map((r) => {
    const m = memoryOf(r);
    return { status: r.status, ...(r.reason ? { reason: r.reason.split('\n')[0] } : {}), rssPerConnectionBytes: m.rss, jsHeapAndExternalPerConnectionBytes: m.js, rssWithoutYoungPerConnectionBytes: m.rssWithoutYoung };
  });
  chosen.extra.medians = {
    rssPerConnectionBytes: side.rssPerConnectionBytes,
    jsHeapAndExternalPerConnectionBytes: side.jsPerConnectionBytes,
    rssWithoutYoungPerConnectionBytes: side.rssWithoutYoungPerConnectionBytes,
  };
  return chosen;
}

/** Streaming transports (and long polling) hold connections; short polling measures requests/s. */
export async function runCapacity(ctx: RunContext): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const p = capacityParams(ctx);
  const transports: TransportResult[] = [];
  const memoryFloor: MemoryFloorComparison[] = [];
  for (const transport of ctx.args.transports as TransportName[]) {
    if (transport === 'short-polling') {
      transports.push(await runTransport(ctx, 'capacity', transport, { ...p }, HEARTBEATS, (phase) => pollRun(phase, p)));
      continue;
    }
    // `--repeat N`: N product runs; with `--floor`, each followed by a floor run (product, floor, ...).
    const product: TransportResult[] = [];
    const floor: TransportResult[] = [];
    for (let i = 0; i < ctx.args.repeat; i++) {
      product.push(await runTransport(ctx, 'capacity', transport, { ...p }, HEARTBEATS, (phase) => holdRun(phase, p)));
      if (ctx.args.floor) floor.push(await runTransport(ctx, 'capacity', transport, { ...p, floor: true }, {}, (phase) => holdRun(phase, p), undefined, true));
    }
    const chosen = medianMemoryRun(product);
    const median = chosen.extra.medians as { rssPerConnectionBytes: number | null } | undefined;
    if (median && chosen.server) chosen.server.rssPerConnectionBytes = median.rssPerConnectionBytes;
    transports.push(chosen);
    if (ctx.args.floor) memoryFloor.push(compareMemory(transport, product, floor));
  }
  return {
    ...CAPACITY,
    scenario: CAPACITY.name,
    parameters: { ...p, repeat: ctx.args.repeat, floor: ctx.args.floor },
    startedAt,
    finishedAt: new Date().toISOString(),
    transports,
    memoryFloor: memoryFloor.length ? memoryFloor : undefined,
    notes: [
      `memory per connection: the least-squares slope of the server's memory against connections held, read at ${MEMORY_STEPS} equal steps of connections, each read after a full GC once RSS stopped falling (bench/server-gc-hook.mjs); the headline RSS figure leaves out V8's young generation (see below), the raw RSS slope is rssRawPerConnectionBytes; the old two-point figure (C/2 → C after the hold) is kept as rssPerConnectionHalfToHeldBytes`,
      'RSS per connection includes everything the server allocates per connection (socket buffers in user space, ws/STOMP session objects, subscriptions); kernel socket memory is not in RSS',
      'RSS without the young generation subtracts V8\'s new space (physical), a buffer of up to 2 × 16 MB semi-spaces that V8 grows during connect bursts and shrinks when the server idles: it moves with the allocation rate, not with connections, and was the main cause of run-to-run jumps of several KB per connection',
      ...(memoryFloor.length ? ['floor: bench/floors/, the minimal server per transport (fastify + ws, no heartbeats, validation, metrics or auth), measured the same way, interleaved with the product; "over floor" = product − floor per connection'] : []),
      'long polling holds waiting requests (re-asked every 25 s); its memory per connection is per waiting request',
    ],
  };
}
