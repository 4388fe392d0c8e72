import path from 'node:path';
import type { TransportName } from '../../src/domain/events.js';
import { readBusiestProfile } from '../report/profile.js';
import type { TransportResult } from '../report/model.js';
import { unfinishedResult } from '../result.js';
import type { ServerTarget } from '../server-process.js';
import { Phase, type RunContext } from './phase.js';

/**
 * Runs one transport of a scenario against a fresh server (or the `--url` one): whatever happens,
 * the workers' clients are closed and the server is stopped, and a failure becomes a `failed`
 * result carrying the error and the server's last log lines instead of aborting the whole run.
 */
export async function runTransport(
  ctx: RunContext,
  scenario: string,
  transport: TransportName,
  parameters: Record<string, unknown>,
  serverEnv: Record<string, string>,
  body: (phase: Phase) => Promise<TransportResult>,
  label?: string,
  /** Run against the floor server instead of the product. */
  floor = false,
): Promise<TransportResult> {
  const name = `${scenario}-${transport}${floor ? '-floor' : ''}${label ? `-${label.replace(/[^a-z0-9]+/gi, '-')}` : ''}`;
  let server: ServerTarget | undefined;
  let result: TransportResult;
  try {
    const relay: Record<string, string> = transport === 'stomp-relay' && ctx.args.relayUrl ? { STOMP_RELAY_URL: ctx.args.relayUrl } : {};
    server = await ctx.startServer({ ...serverEnv, ...relay }, name, floor);
    const shown = [transport, floor ? 'floor' : '', label ?? ''].filter(Boolean).join(' ');
    const phase = new Phase(ctx, scenario, transport, server, `${scenario} ${shown}`);
    // With several instances, load worker i connects to instance i % N (clients are split by worker).
    const targets = server.targets?.() ?? [{ host: server.host, port: server.port }];
    await ctx.pool.all((i) => ({ op: 'begin', target: targets[i % targets.length]! }));
    result = await body(phase);
  } catch (err) {
    await ctx.pool.all({ op: 'finish', heads: {} }).catch(() => undefined); // close whatever clients are left
    const log = server?.log();
    result = unfinishedResult(transport, 'failed', `${(err as Error).message}${log ? `\nserver log:\n${log}` : ''}`, parameters);
    ctx.log(`[${scenario} ${transport}] failed: ${(err as Error).message}`);
  } finally {
    await server?.stop().catch(() => undefined);
  }
  if (ctx.args.profile && !ctx.args.url) {
    const summary = await readBusiestProfile(path.join(ctx.outDir, 'profiles', name));
    if (summary) result.profile = { file: path.relative(ctx.outDir, summary.file), top: summary.top };
  }
  return result;
}
