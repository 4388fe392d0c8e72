import { sharedNow } from '../load/stats.js';
import type { ScenarioReport, TransportResult } from '../report/model.js';
import { buildResult, check } from '../result.js';
import type { Mark, Phase, RunContext } from './phase.js';
import { runTransport } from './run.js';

/** Parameters of the soak. */
export interface SoakParams {
  /** Users cycling at once. */
  clients: number;
  groups: number;
  durationS: number;
  warmupS: number;
  holdMinMs: number;
  holdMaxMs: number;
  /** Background publish interval per group. */
  intervalMs: number;
  pollIntervalMs: number;
}

export const SOAK = {
  name: 'soak',
  title: 'Soak: connect, subscribe, leave, again, for minutes',
  description:
    'A published experiment found memory leaks from handlers left after disconnect. Users connect, subscribe, stay a moment ' +
    'and leave, over and over, while publishers keep their groups busy. Heap, RSS, handles and file descriptors are read ' +
    'after a warm-up and again after the soak (each after a quiet pause), and the connection gauge must return to 0.',
};

export function soakParams(ctx: RunContext): SoakParams {
  const a = ctx.args;
  return {
    clients: a.clients ?? 100,
    groups: a.groups ?? 10,
    durationS: a.duration ?? 60,
    warmupS: Math.min(5, Math.max(1, Math.round((a.duration ?? 60) / 4))),
    holdMinMs: 200,
    holdMaxMs: 1000,
    intervalMs: a.interval ?? 200,
    pollIntervalMs: a.pollInterval ?? 200,
  };
}

/** The leak-relevant readings of a mark. */
function readings(m: Mark, transport: string) {
  return {
    heapUsedBytes: m.metrics.sum('nodejs_heap_size_used_bytes'),
    rssBytes: m.sample.rssBytes,
    activeHandles: m.metrics.sum('nodejs_active_handles_total'),
    fds: m.sample.fds ?? m.metrics.sum('process_open_fds'),
    connections: m.metrics.sum('rt_connections', { transport }),
  };
}

async function soakRun(phase: Phase, p: SoakParams): Promise<TransportResult> {
  const pool = phase.ctx.pool;
  const specs = phase.specs(p.clients, { role: 'cycler', groups: p.groups, pollIntervalMs: p.pollIntervalMs, longPollTimeoutMs: 25_000 });
  const parts = pool.split(specs);
  const cycle = (ms: number) =>
    pool.all<{ cycles: number }>((w) =>
      parts[w]!.length ? { op: 'cycle', specs: parts[w]!, untilMs: sharedNow() + ms, holdMinMs: p.holdMinMs, holdMaxMs: p.holdMaxMs, waitMs: p.pollIntervalMs + 1500 } : undefined,
    );
  await phase.open(phase.specs(p.groups, { role: 'publisher', groups: p.groups, publishOnly: true }));
  const total = (p.warmupS + p.durationS + 10) * 1000;
  // The window (for the accounting) spans everything; the leak readings compare after the warm-up
  // with after the soak, each after a quiet pause and a full GC where the server allows one.
  await phase.startWindow();
  await phase.publish({ roles: ['publisher'], intervalMs: p.intervalMs, kind: 'chat', textLength: 16 }, total);
  const quietMs = Math.min(3000, p.durationS * 500);
  await cycle(p.warmupS * 1000); // JIT, pools and caches settle before "before" is read
  await phase.wait(quietMs);
  const gc = await phase.server.collectGarbage();
  const warm = await phase.mark();
  const replies = await cycle(p.durationS * 1000);
  await phase.stopPublishing();
  await phase.wait(quietMs); // quiet: timers of closed connections fire, sockets finish closing
  // Closing handshakes can take a few more seconds; wait (bounded) for a child's fds to settle.
  for (let i = 0; phase.server.pid !== undefined && i < 10 && ((await phase.server.sample()).fds ?? 0) > (warm.sample.fds ?? Infinity); i++) await phase.wait(1000);
  await phase.server.collectGarbage();
  await phase.endWindow();
  const merged = await phase.finish({});
  const cycles = replies.reduce((a, r) => a + (r?.cycles ?? 0), 0);
  const before = readings(warm, phase.transport);
  const after = readings(phase.after!, phase.transport);
  const heapGrowth = after.heapUsedBytes - before.heapUsedBytes;
  const result = buildResult(phase, merged, {
    parameters: { ...p },
    roles: ['cycler'],
    activeSeconds: p.warmupS + p.durationS,
    closedConnections: merged.cycles,
    extra: {
      cycles,
      heapReadAfterFullGc: gc,
      before,
      after,
      heapGrowthBytes: heapGrowth,
      heapGrowthPer1kCycles: cycles > 0 ? (heapGrowth / cycles) * 1000 : null,
      rssGrowthBytes: after.rssBytes - before.rssBytes,
      handleGrowth: after.activeHandles - before.activeHandles,
      fdGrowth: after.fds - before.fds,
    },
  });
  const a = result.accounting;
  result.checks.push(
    check('connections back to 0', after.connections === 0, `rt_connections{transport="${phase.transport}"} = ${after.connections} after the soak`),
    check('no handle or fd growth', after.activeHandles - before.activeHandles <= 2 && after.fds - before.fds <= 2, `handles ${before.activeHandles} → ${after.activeHandles}, fds ${before.fds} → ${after.fds}`),
    // Short soaks have too few cycles for a per-1,000 rate; then under 1 MB in all passes too.
    check('heap growth < 1 MB per 1,000 cycles', cycles > 0 && ((heapGrowth / cycles) * 1000 < 1024 * 1024 || heapGrowth < 1024 * 1024), `${(heapGrowth / 1048576).toFixed(2)} MB over ${cycles} cycles${gc ? ' (after a full GC)' : ' (no GC possible: an upper bound)'}`),
    check('every cycle got what it was owed', a.gaps === 0 && a.duplicates === 0, `${a.delivered} of ${a.expected}, ${a.duplicates} duplicates`),
  );
  return result;
}

/** The soak, once per transport. */
export async function runSoak(ctx: RunContext): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const p = soakParams(ctx);
  const transports: TransportResult[] = [];
  for (const transport of ctx.args.transports) transports.push(await runTransport(ctx, 'soak', transport, { ...p }, {}, (phase) => soakRun(phase, p)));
  return {
    ...SOAK,
    scenario: SOAK.name,
    parameters: { ...p },
    startedAt,
    finishedAt: new Date().toISOString(),
    transports,
    notes: [
      `${p.clients} users at a time, each staying ${p.holdMinMs}–${p.holdMaxMs} ms per cycle; ${p.groups} groups with one event per ${p.intervalMs} ms each`,
      'heap is read after a full GC of the server child (bench/server-gc-hook.mjs, SIGUSR2); against --url no GC is possible and heap growth is an upper bound; handles, fds and the connection gauge are exact',
    ],
  };
}
