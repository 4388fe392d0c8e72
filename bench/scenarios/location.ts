import type { ClientSpec } from '../clients/types.js';
import { UsageError } from '../args.js';
import type { ScenarioReport, TransportResult } from '../report/model.js';
import { buildResult, check } from '../result.js';
import { sleep, type Phase, type RunContext } from './phase.js';
import { runTransport } from './run.js';

/** A ramp stage: reach `users` linearly over `seconds` (k6 `stages` semantics). */
export interface Stage {
  seconds: number;
  users: number;
}

/** Parameters of the location scenario. */
export interface LocationParams {
  peak: number;
  groups: number;
  intervalMs: number;
  stages: Stage[];
  pollIntervalMs: number;
}

export const LOCATION = {
  name: 'location',
  title: 'Location sharing ramp: users come and go, each shares its position every 3 s',
  description:
    'A published experiment (Spring, k6, Prometheus): ramp to 300 users in 20 s, to the peak over 30 s, down to 0 in 10 s; ' +
    '10 groups; every user shares its location every 3 s and receives its group\'s. Published at 10,000 users: WebSocket ' +
    'connect p95 25.8 s, STOMP 30 s, long polling 33 % failed checks. A leaving user reads its group\'s head and is owed exactly up to it.',
};

/** Parses `20:300,30:peak,10:0`. @throws UsageError */
export function parseStages(text: string, peak: number): Stage[] {
  const stages = text.split(',').map((part) => {
    const m = /^\s*(\d+)\s*:\s*(\d+|peak)\s*$/.exec(part);
    if (!m) throw new UsageError(`--stages: '${part}' is not seconds:users (users may be 'peak')`);
    return { seconds: Number(m[1]), users: m[2] === 'peak' ? peak : Number(m[2]) };
  });
  if (stages.some((s) => s.seconds <= 0)) throw new UsageError('--stages: every stage needs seconds > 0');
  return stages;
}

/** Users wanted at `ms` into the ramp (linear within each stage, starting from 0). */
export function usersAt(stages: readonly Stage[], ms: number): number {
  let from = 0;
  let t = ms / 1000;
  for (const stage of stages) {
    if (t <= stage.seconds) return Math.round(from + ((stage.users - from) * t) / stage.seconds);
    t -= stage.seconds;
    from = stage.users;
  }
  return from;
}

export function locationParams(ctx: RunContext): LocationParams {
  const a = ctx.args;
  const peak = a.clients ?? 1000;
  return {
    peak,
    groups: a.groups ?? 10,
    intervalMs: a.interval ?? 3000,
    stages: parseStages(a.stages ?? (a.duration ? `${Math.max(1, Math.round(a.duration / 3))}:300,${Math.max(1, Math.round(a.duration / 2))}:peak,${Math.max(1, Math.round(a.duration / 6))}:0` : '20:300,30:peak,10:0'), peak),
    pollIntervalMs: a.pollInterval ?? 1000,
  };
}

/** Drives the ramp: opens and retires users every 250 ms to follow the stages. */
async function ramp(phase: Phase, p: LocationParams): Promise<{ peakConnected: number; openFailed: number }> {
  const pool = phase.ctx.pool;
  const live = new Array<number>(pool.size).fill(0);
  const pending = new Set<Promise<unknown>>();
  let inFlight = 0;
  let openFailed = 0;
  let peakConnected = 0;
  const totalMs = p.stages.reduce((s, st) => s + st.seconds, 0) * 1000;
  const waitMs = phase.transport === 'short-polling' ? p.pollIntervalMs + 1500 : 1500;
  const track = (promise: Promise<unknown>) => {
    pending.add(promise);
    void promise.finally(() => pending.delete(promise));
  };
  const started = Date.now();
  for (let elapsed = 0; elapsed <= totalMs + 250; elapsed = Date.now() - started) {
    const target = usersAt(p.stages, Math.min(elapsed, totalMs));
    const current = live.reduce((a, b) => a + b, 0);
    peakConnected = Math.max(peakConnected, current);
    if (target > current + inFlight) {
      const specs = phase.specs(target - current - inFlight, { role: 'subscriber', groups: p.groups, pollIntervalMs: p.pollIntervalMs, longPollTimeoutMs: 25_000 });
      pool.split(specs).forEach((part: ClientSpec[], w) => {
        if (part.length === 0) return;
        inFlight += part.length;
        track(
          pool.call<{ opened: number; failed: number }>(w, { op: 'open', specs: part, concurrency: phase.ctx.args.concurrency }).then((r) => {
            inFlight -= part.length;
            live[w]! += r.opened;
            openFailed += r.failed;
          }),
        );
      });
    } else if (target < current) {
      let excess = current - target;
      // Retire from the workers holding the most users, so every worker keeps its share.
      for (let w = 0; excess > 0 && w < pool.size * 2; w++) {
        const busiest = live.indexOf(Math.max(...live));
        const n = Math.min(excess, Math.ceil(excess / pool.size), live[busiest]!);
        if (n <= 0) break;
        live[busiest]! -= n;
        excess -= n;
        track(pool.call(busiest, { op: 'leave', role: 'subscriber', count: n, waitMs }));
      }
    }
    if (elapsed > totalMs && inFlight === 0 && live.every((n) => n === 0)) break;
    await sleep(250);
  }
  await Promise.all(pending);
  // Whoever is still there (opens that finished after the last stage) leaves now.
  await pool.all((w) => (live[w]! > 0 ? { op: 'leave', role: 'subscriber', count: live[w]!, waitMs } : undefined));
  return { peakConnected, openFailed };
}

async function locationRun(phase: Phase, p: LocationParams): Promise<TransportResult> {
  const totalMs = p.stages.reduce((s, st) => s + st.seconds, 0) * 1000;
  await phase.startWindow();
  await phase.publish({ roles: ['subscriber'], intervalMs: p.intervalMs, kind: 'location', textLength: 0 }, totalMs + 10_000);
  const r = await ramp(phase, p);
  await phase.stopPublishing();
  await phase.endWindow();
  const merged = await phase.finish({});
  const result = buildResult(phase, merged, {
    parameters: { ...p },
    activeSeconds: totalMs / 1000,
    closedConnections: [...merged.roles.values()].reduce((n, r) => n + r.opened, 0),
    extra: { openAtEnd: merged.openAtFinish, peakConnected: r.peakConnected, peakWanted: Math.max(...p.stages.map((s) => s.users)) },
  });
  const a = result.accounting;
  result.checks.push(
    check('every user connected', result.clients.failed === 0, `${result.clients.opened} connected, ${result.clients.failed} failed`),
    check('100 % delivery to connected users', a.delivered === a.expected, `${a.delivered} of ${a.expected}, ${a.gaps} gaps, ${a.duplicates} duplicates`),
  );
  return result;
}

/** The location scenario, one ramp per transport. */
export async function runLocation(ctx: RunContext): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const p = locationParams(ctx);
  const transports: TransportResult[] = [];
  for (const transport of ctx.args.transports) transports.push(await runTransport(ctx, 'location', transport, { ...p }, {}, (phase) => locationRun(phase, p)));
  return {
    ...LOCATION,
    scenario: LOCATION.name,
    parameters: { ...p },
    startedAt,
    finishedAt: new Date().toISOString(),
    transports,
    notes: [
      `stages: ${p.stages.map((s) => `${s.seconds}s→${s.users}`).join(', ')}; ${p.groups} groups; a location every ${p.intervalMs} ms per user`,
      'connect time is from starting the connection to subscribed (short polling: first answer; long polling: the first answer of a timeout=1 poll)',
    ],
  };
}
