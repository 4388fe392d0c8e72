import type { TransportName } from '../../src/domain/events.js';
import { median } from '../histogram.js';
import type { FloorComparison, ScenarioReport, SweepResult, SweepStep, TransportResult } from '../report/model.js';
import { compareWithFloor } from './floor.js';
import { buildResult, check } from '../result.js';
import type { Phase, RunContext } from './phase.js';
import { runTransport } from './run.js';

/** Parameters of one room run. */
export interface RoomParams {
  clients: number;
  intervalMs: number;
  durationS: number;
  groups: number;
  pollIntervalMs: number;
  textLength: number;
}

export const ROOM = {
  name: 'room',
  title: 'Room fan-out: N users, everybody receives everything',
  description:
    'A published experiment (many-to-many chat): N users in one group each publish a chat event every I ms for D s; ' +
    'output is N^2/I deliveries per ms. The published run aimed at 100 users x 1 msg/s = 10,000 deliveries/s and got 57 %. ' +
    'Each user publishes on its own transport (WebSocket/STOMP over the connection, the others with POST).',
};

export function roomParams(ctx: RunContext): RoomParams {
  const a = ctx.args;
  return {
    clients: a.clients ?? 100,
    intervalMs: a.interval ?? 1000,
    durationS: a.duration ?? (a.sweep ? 15 : 30),
    groups: a.groups ?? 1,
    pollIntervalMs: a.pollInterval ?? 1000,
    textLength: a.textLength ?? 16,
  };
}

/** Deliveries per second the load offers: each group's members squared, per interval. */
export function offeredPerSecond(p: RoomParams): number {
  const perGroup = p.clients / p.groups;
  return perGroup * perGroup * p.groups * (1000 / p.intervalMs);
}

/** One room run on one transport (a fresh server). */
export async function roomRun(phase: Phase, p: RoomParams): Promise<TransportResult> {
  const specs = phase.specs(p.clients, { role: 'subscriber', groups: p.groups, pollIntervalMs: p.pollIntervalMs, longPollTimeoutMs: 25_000 });
  const baseline = await phase.mark(); // before any client: RSS per connection for the server (and --sample-process)
  const opened = await phase.open(specs);
  if (opened.opened === 0) throw new Error(`no client could connect (${opened.failed} failed)`);
  await phase.startWindow();
  const held = phase.before!;
  // A warm-up (JIT, socket buffers) at full load: counted in the accounting and CPU like the rest,
  // but latency percentiles restart after it so they describe the steady state.
  const warmupMs = Math.round(Math.min(2000, p.durationS * 200));
  const durationMs = p.durationS * 1000;
  await phase.publish({ roles: ['subscriber'], intervalMs: p.intervalMs, kind: 'chat', textLength: p.textLength }, warmupMs + durationMs);
  await phase.wait(warmupMs);
  await phase.ctx.pool.all({ op: 'latency-reset' });
  await phase.wait(durationMs);
  await phase.stopPublishing();
  const groups = Array.from({ length: p.groups }, (_, i) => phase.group(i));
  const drain = await phase.drain(groups, Math.max(5000, 2 * p.pollIntervalMs + 3000));
  await phase.endWindow();
  const merged = await phase.finish(drain.heads);
  const result = buildResult(phase, merged, {
    parameters: { ...p },
    activeSeconds: (warmupMs + durationMs) / 1000,
    connectionsHeld: opened.opened,
    rssBaselineBytes: baseline.sample.rssBytes,
    rssHeldBytes: held.sample.rssBytes,
    ...(baseline.coProcess && held.coProcess ? { coProcessRss: { baselineBytes: baseline.coProcess.rssBytes, heldBytes: held.coProcess.rssBytes } } : {}),
    extra: { warmupMs, offeredDeliveriesPerSecond: offeredPerSecond(p), drainMs: drain.waitedMs, drainComplete: drain.complete },
  });
  const a = result.accounting;
  result.checks.push(
    check('100 % delivery', a.delivered === a.expected && a.expected > 0, `${a.delivered} of ${a.expected}`),
    check('no gaps or duplicates', a.gaps === 0 && a.duplicates === 0, `${a.gaps} gaps, ${a.duplicates} duplicates, ${a.outOfOrder} out of order`),
  );
  const lag = result.cluster?.deliveryLagMs;
  if (lag && lag.count > 0) result.checks.push(check('accept → arrival from Redis p99 < 5 ms (every instance)', lag.p99 !== null && lag.p99 < 5, `p99 ${lag.p99} ms over ${lag.count} arrivals`));
  return result;
}

/** Runs `repeat` times and keeps the median run (by CPU per 1k deliveries), listing all runs. */
async function repeated(ctx: RunContext, transport: TransportName, p: RoomParams, label?: string): Promise<TransportResult> {
  const runs: TransportResult[] = [];
  for (let i = 0; i < ctx.args.repeat; i++) runs.push(await runTransport(ctx, 'room', transport, { ...p }, {}, (phase) => roomRun(phase, p), label));
  return medianRun(runs);
}

/** `repeat` product runs and as many floor runs, interleaved (product, floor, product, ...). */
async function againstFloor(ctx: RunContext, transport: TransportName, p: RoomParams): Promise<{ result: TransportResult; comparison: FloorComparison }> {
  const product: TransportResult[] = [];
  const floor: TransportResult[] = [];
  for (let i = 0; i < ctx.args.repeat; i++) {
    product.push(await runTransport(ctx, 'room', transport, { ...p }, {}, (phase) => roomRun(phase, p)));
    floor.push(await runTransport(ctx, 'room', transport, { ...p, floor: true }, {}, (phase) => roomRun(phase, p), undefined, true));
  }
  const result = medianRun([...product]);
  return { result, comparison: compareWithFloor(transport, product, floor, medianRun([...floor])) };
}

/** The median run by CPU per 1k deliveries; with several runs, its `extra` lists all of them. */
function medianRun(runs: TransportResult[]): TransportResult {
  if (runs.length === 1) return runs[0]!;
  const ok = runs.filter((r) => r.status === 'ok');
  const key = (r: TransportResult) => r.server?.cpuSecondsPer1kDeliveries ?? Infinity;
  const sorted = [...(ok.length ? ok : runs)].sort((x, y) => key(x) - key(y));
  const chosen = sorted[(sorted.length - 1) >> 1]!;
  chosen.extra.repeats = runs.map((r) => ({ cpuSecondsPer1kDeliveries: r.server?.cpuSecondsPer1kDeliveries ?? null, p99Ms: r.latencyMs.p99, deliveryRatio: r.accounting.deliveryRatio }));
  chosen.extra.medians = {
    cpuSecondsPer1kDeliveries: median(runs.map((r) => r.server?.cpuSecondsPer1kDeliveries ?? NaN)),
    p99Ms: median(runs.map((r) => r.latencyMs.p99 ?? NaN)),
    p50Ms: median(runs.map((r) => r.latencyMs.p50 ?? NaN)),
  };
  return chosen;
}

function sweepStep(r: TransportResult, p: RoomParams, bound: { deliveryRatio: number; p99Ms: number }): SweepStep {
  const p99 = r.latencyMs.p99;
  const ok = r.status === 'ok' && r.accounting.deliveryRatio >= bound.deliveryRatio && p99 !== null && p99 <= bound.p99Ms;
  return {
    clients: p.clients,
    offeredDeliveriesPerSecond: offeredPerSecond(p),
    deliveredPerSecond: r.throughput.deliveredPerSecond,
    deliveryRatio: r.accounting.deliveryRatio,
    p99Ms: p99,
    cpuSecondsPer1kDeliveries: r.server?.cpuSecondsPer1kDeliveries ?? null,
    serverCpuPercent: r.server ? Math.round(r.server.cpuPercent) : null,
    loadGeneratorSaturated: r.loadGenerator.saturated,
    loadGeneratorCpuPercent: r.loadGenerator.cpuPercent === null ? null : Math.round(r.loadGenerator.cpuPercent),
    loadGeneratorMicrosPerEvent: r.loadGenerator.cpuMicrosPerEvent ?? null,
    loadGeneratorLoopDelayMs: r.loadGenerator.maxLoopDelayMs,
    loadGeneratorRunqueueWaitPercent: r.loadGenerator.runqueueWaitPercent ?? null,
    serverRunqueueWaitPercent: r.server?.runqueueWaitPercent ?? null,
    ok,
  };
}

/** Sweep: raise N by `step` until a run misses the bound; the last passing N is the knee. */
async function sweep(ctx: RunContext, transport: TransportName, base: RoomParams): Promise<{ sweep: SweepResult; result: TransportResult }> {
  const bound = { deliveryRatio: ctx.args.boundDelivery, p99Ms: ctx.args.boundP99 };
  const step = ctx.args.step ?? 50;
  const max = ctx.args.maxClients ?? 1000;
  const steps: SweepStep[] = [];
  let last: TransportResult | undefined;
  let lastOk: TransportResult | undefined;
  let stoppedBecause = `reached --max-clients ${max}`;
  for (let n = base.clients; n <= max; n += step) {
    const p = { ...base, clients: n };
    const r = await repeated(ctx, transport, p, `N=${n}`);
    const s = sweepStep(r, p, bound);
    steps.push(s);
    last = r;
    if (!s.ok) {
      stoppedBecause = r.status !== 'ok' ? `run failed at N=${n}: ${r.reason?.split('\n')[0]}` : `N=${n}: delivery ${(s.deliveryRatio * 100).toFixed(2)} %, p99 ${s.p99Ms} ms`;
      break;
    }
    lastOk = r;
    if (s.loadGeneratorSaturated) {
      stoppedBecause = `load generator saturated at N=${n} (the knee is at least this)`;
      break;
    }
  }
  const kneeStep = [...steps].reverse().find((s) => s.ok);
  return {
    sweep: { transport, steps, knee: kneeStep ? { clients: kneeStep.clients, deliveriesPerSecond: kneeStep.deliveredPerSecond } : null, stoppedBecause },
    result: (lastOk ?? last)!,
  };
}

/** The room scenario: one run per transport, or a sweep per transport with `--sweep`. */
export async function runRoom(ctx: RunContext): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const p = roomParams(ctx);
  const transports: TransportResult[] = [];
  const sweeps: SweepResult[] = [];
  const floor: FloorComparison[] = [];
  for (const transport of ctx.args.transports) {
    if (ctx.args.floor && !ctx.args.sweep) {
      const r = await againstFloor(ctx, transport, p);
      transports.push(r.result);
      floor.push(r.comparison);
    } else if (ctx.args.sweep) {
      const s = await sweep(ctx, transport, p);
      sweeps.push(s.sweep);
      transports.push(s.result);
    } else transports.push(await repeated(ctx, transport, p));
  }
  const notes = [
    `offered load: ${offeredPerSecond(p).toLocaleString('en-US')} deliveries/s (${p.clients} users, ${p.groups} group(s), one event per ${p.intervalMs} ms each)`,
    `short polling asks every ${p.pollIntervalMs} ms, so its latency includes up to that wait; delivery is by cursor`,
    ...(floor.length ? ['overhead over floor = product CPU-s per 1k deliveries ÷ floor CPU-s per 1k deliveries (medians of the interleaved runs); the floor (bench/floors/) encodes each event once and writes the same bytes to every subscriber, corked per tick, with no validation, history beyond a short log, metrics or auth'] : []),
    'each run starts with a warm-up at full load (min(2 s, D/5)): its events are accounted, but latency percentiles cover only the D seconds after it',
  ];
  return {
    ...ROOM,
    scenario: ROOM.name,
    parameters: { ...p, sweep: ctx.args.sweep, repeat: ctx.args.repeat, broker: ctx.args.broker, instances: ctx.args.instances, floor: ctx.args.floor },
    startedAt,
    finishedAt: new Date().toISOString(),
    transports,
    sweep: ctx.args.sweep ? { bound: { deliveryRatio: ctx.args.boundDelivery, p99Ms: ctx.args.boundP99 }, results: sweeps } : undefined,
    floor: floor.length ? floor : undefined,
    notes,
  };
}
