import { TRANSPORTS } from '../../src/domain/events.js';
import { ATTACKS, type Attack, type AttackOutcome } from '../attacks/index.js';
import type { AttackRow, ScenarioReport, TransportResult } from '../report/model.js';
import { buildResult, check, unfinishedResult } from '../result.js';
import type { Phase, RunContext } from './phase.js';
import { runTransport } from './run.js';

/** Parameters of the hostile scenario. */
export interface HostileParams {
  /** Legitimate subscribers, spread evenly over the five transports. */
  bystanders: number;
  /** Seconds each attack runs. */
  attackS: number;
  /** ms between two publishes of each of the two publishers. */
  intervalMs: number;
  attacks: string[];
  maxConnectionsPerIp: number;
}

export const HOSTILE = {
  name: 'hostile',
  title: 'Hostile clients: one attacker must not crash the server or starve the others',
  description:
    'Each attack runs for a fixed time against a fresh server while bystanders subscribed on all five transports take a ' +
    'steady stream of chat events. Measured per attack: the server\'s RSS peak and CPU, the bystanders\' delivery (must be ' +
    '100 %, no gaps) and p99 latency, and whether the server cut (or refused) the attacker.',
};

export function hostileParams(ctx: RunContext): HostileParams {
  const a = ctx.args;
  return {
    bystanders: a.clients ?? 100,
    attackS: a.duration ?? 10,
    intervalMs: a.interval ?? 100,
    attacks: a.attacks ?? ATTACKS.map((x) => x.name),
    maxConnectionsPerIp: 100,
  };
}

async function attackRun(phase: Phase, attack: Attack, p: HostileParams, rows: AttackRow[]): Promise<TransportResult> {
  const target = { host: phase.server.host, port: phase.server.port, url: phase.server.url };
  await attack.prepare?.(target);
  const withBystanders = attack.bystanders !== false;
  const group = phase.group(0);
  if (withBystanders) {
    await phase.open(phase.specs(2, { role: 'publisher', groups: 1, publishOnly: true }));
    const per = Math.max(1, Math.round(p.bystanders / TRANSPORTS.length));
    for (const transport of TRANSPORTS) {
      await phase.open(phase.specs(per, { role: `bystander ${transport}`, groups: 1 }).map((s) => ({ ...s, transport })));
    }
  }
  await phase.startWindow();
  const durationMs = p.attackS * 1000;
  if (withBystanders) await phase.publish({ roles: ['publisher'], intervalMs: p.intervalMs, kind: 'chat', textLength: 100 }, durationMs);
  let outcome: AttackOutcome;
  try {
    outcome = await attack.run(target, durationMs);
  } catch (err) {
    outcome = { cut: false, detail: `attack failed: ${(err as Error).message}`, figures: {} };
  }
  if (withBystanders) await phase.stopPublishing();
  const drain = withBystanders ? await phase.drain([group], 15_000, 300, 3000) : { heads: {} };
  await phase.endWindow();
  const merged = await phase.finish(drain.heads);
  const before = phase.before!;
  const after = phase.after!;
  const cpuPercent = ((after.sample.cpuSeconds - before.sample.cpuSeconds) / ((after.at - before.at) / 1000)) * 100;
  const rssPeakBytes = Math.max(phase.progress.peakRssBytes, after.sample.rssBytes, before.sample.rssBytes);

  const result = withBystanders
    ? buildResult(phase, merged, { parameters: { ...p, attack: attack.name }, roles: TRANSPORTS.map((t) => `bystander ${t}`), activeSeconds: p.attackS, extra: { attack: attack.name, ...outcome.figures } })
    : unfinishedResult(attack.transport, 'skipped', `${attack.name}: no bystanders (AUTH_SECRET is on and the bench clients carry no token); ${outcome.detail}`, { ...p, attack: attack.name });
  const a = withBystanders ? result.accounting : undefined;
  // The server's counters are per transport and the bystanders use all five: the three-way
  // agreement check of one transport does not apply here.
  result.agreement = null;
  result.checks = result.checks.filter((c) => !c.name.startsWith('client, server and expected'));
  const p99Of = (names: readonly string[]) => {
    const values = names.map((t) => result.roles[`bystander ${t}`]?.latencyMs.p99).filter((v): v is number => typeof v === 'number');
    return values.length ? Math.max(...values) : null;
  };
  rows.push({
    attack: attack.name,
    title: attack.title,
    transport: attack.transport,
    seconds: p.attackS,
    rssBeforeBytes: before.sample.rssBytes,
    rssPeakBytes,
    cpuPercent,
    bystanders: a ? { expected: a.expected, delivered: a.delivered, gaps: a.gaps, duplicates: a.duplicates, ratio: a.deliveryRatio } : null,
    p99Ms: p99Of(['sse', 'websocket', 'stomp']),
    pollP99Ms: p99Of(['short-polling', 'long-polling']),
    cut: outcome.cut,
    detail: outcome.detail,
  });
  result.checks.push(check(`${attack.name}: attacker cut or refused`, outcome.cut, outcome.detail));
  if (a) {
    result.checks.push(check(`${attack.name}: bystanders got everything`, a.delivered === a.expected && a.gaps === 0 && a.expected > 0, `${a.delivered} of ${a.expected}, ${a.gaps} gaps`));
  }
  return result;
}

/** Every attack against its own fresh server, bystanders on all five transports. */
export async function runHostile(ctx: RunContext): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const p = hostileParams(ctx);
  const rows: AttackRow[] = [];
  const transports: TransportResult[] = [];
  for (const attack of ATTACKS.filter((x) => p.attacks.includes(x.name))) {
    const env = { MAX_CONNECTIONS_PER_IP: String(p.maxConnectionsPerIp), ...attack.serverEnv };
    transports.push(await runTransport(ctx, HOSTILE.name, attack.transport, { ...p, attack: attack.name }, env, (phase) => attackRun(phase, attack, p, rows), attack.name));
  }
  return {
    ...HOSTILE,
    scenario: HOSTILE.name,
    parameters: { ...p },
    startedAt,
    finishedAt: new Date().toISOString(),
    transports,
    attacks: rows,
    notes: [
      `${p.bystanders} bystanders (${Math.max(1, Math.round(p.bystanders / TRANSPORTS.length))} per transport) in one group; 2 publishers, a 100-character chat every ${p.intervalMs} ms each`,
      'the tables below the attacks have one row per attack, in the order of the attack table, named by the transport the attacker abuses',
      'bystanders\' p99 is the worst of the stream transports (SSE, WebSocket, STOMP) and, apart, of the two polling ones (a short poll asks once a second, so its latency is up to that interval); each transport is in "By role"',
      'attackers use their own source addresses (127.0.0.201-205), bystanders 127.0.0.1-16; MAX_CONNECTIONS_PER_IP=100',
      'an attack counts as cut when the server closed the attacker\'s connections or refused what it asked (see each detail)',
    ],
  };
}
