/**
 * `npm run bench -- <scenario|all> [options]`: starts the load workers, runs the scenario(s) with a
 * fresh server child per transport run (or against `--url`), writes report.json / report.md /
 * report.html and prints a summary table.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs, SCENARIOS, UsageError, type BenchArgs } from './args.js';
import { defaultPinning, environment, pinSelf, raiseNofile } from './env.js';
import { WorkerPool } from './pool.js';
import type { BenchReport, ScenarioReport } from './report/model.js';
import { writeReports } from './report/write.js';
import { summaryTable } from './report/summary.js';
import type { RunContext } from './scenarios/phase.js';
import { SCENARIO_RUNNERS } from './scenarios/index.js';
import { FLOOR_ENTRY, InProcessFloor } from './floors/target.js';
import { LocalServer, RemoteServer, ROOT, type ServerTarget } from './server-process.js';
import { ServerGroup } from './server-group.js';

/** File-descriptor limit asked for the server child and for ourselves (both hold every connection). */
const NOFILE = 200_000;
/** Loopback source addresses the clients spread over (the whole 127/8 routes to lo on Linux). */
const SOURCE_ADDRESSES = Array.from({ length: 16 }, (_, i) => `127.0.0.${i + 1}`);

function stamp(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, '').replace(/[:T]/g, '-');
}

/** Runs the scenarios of `args` and returns the report (also used by the tests). */
export async function runBench(args: BenchArgs, argv: readonly string[] = []): Promise<{ report: BenchReport; outDir: string }> {
  const started = new Date();
  const pinning = args.url ? { server: undefined, loadGenerator: undefined } : defaultPinning();
  const pinned = pinning.loadGenerator !== undefined && pinSelf(pinning.loadGenerator);
  raiseNofile(NOFILE);
  const outDir = path.resolve(args.out ?? path.join(ROOT, 'reports', `${args.scenario}-${stamp(started)}`));
  await mkdir(outDir, { recursive: true });
  if (args.profile) await mkdir(path.join(outDir, 'profiles'), { recursive: true });
  const loadGeneratorCpus = pinned ? pinning.loadGenerator!.split(/[,-]/).length : (await import('node:os')).availableParallelism();
  const pool = await WorkerPool.start(args.workers, { stompHeartbeatMs: 10_000, poolSize: 16, addresses: SOURCE_ADDRESSES });
  const remote = args.url ? new RemoteServer(args.url) : undefined;
  const ctx: RunContext = {
    args,
    pool,
    runId: started.getTime().toString(36).slice(-6),
    outDir,
    loadGeneratorCpus,
    addresses: SOURCE_ADDRESSES,
    log: (line) => {
      if (!args.quiet) process.stderr.write(line + '\n');
    },
    startServer: async (env, name, floor = false): Promise<ServerTarget> => {
      if (floor && remote) return InProcessFloor.start();
      if (remote) return remote;
      if (!floor && (args.broker === 'redis' || args.instances > 1)) {
        return ServerGroup.start({
          env: { ...env, ...args.serverEnv, BROKER: args.broker },
          cpus: pinning.server,
          nofile: NOFILE,
          profileDir: args.profile ? path.join(outDir, 'profiles', name) : undefined,
          instances: args.instances,
          redisUrl: args.redisUrl,
          redisCpus: args.redisCpus,
        });
      }
      return LocalServer.start({
        env: floor ? {} : { ...env, ...args.serverEnv },
        cpus: pinning.server,
        nofile: NOFILE,
        profileDir: args.profile ? path.join(outDir, 'profiles', name) : undefined,
        entry: floor ? FLOOR_ENTRY : undefined,
      });
    },
  };
  const scenarios: ScenarioReport[] = [];
  try {
    const names = args.scenario === 'all' ? [...SCENARIOS] : [args.scenario];
    for (const name of names) {
      ctx.log(`== ${name} ==`);
      scenarios.push(await SCENARIO_RUNNERS[name as (typeof SCENARIOS)[number]](ctx));
    }
  } finally {
    await pool.close();
  }
  const report: BenchReport = {
    tool: 'realtime-arena bench',
    command: `npm run bench -- ${argv.join(' ')}`.trim(),
    startedAt: started.toISOString(),
    finishedAt: new Date().toISOString(),
    environment: environment({
      pinning: { ...pinning, taskset: pinned },
      server: { mode: remote ? 'external' : 'child', url: args.url },
      workers: args.workers,
    }),
    scenarios,
  };
  await writeReports(report, outDir);
  return { report, outDir };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let args: BenchArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(err.message.endsWith('\n') ? err.message : `${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const { report, outDir } = await runBench(args, argv);
  process.stdout.write(`\n${summaryTable(report)}\nreports: ${outDir}/report.{json,md,html}\n`);
  const missed = missedChecks(report);
  if (missed.length > 0) {
    process.stdout.write(`exit 3: ${missed.length} check(s) missed (listed above)\n`);
    process.exitCode = 3; // 1 = the bench itself failed, 2 = usage
  }
}

/** Every check that did not hold, as `scenario transport: name (detail)`; the bench exits 3 when any did. */
export function missedChecks(report: BenchReport): string[] {
  return report.scenarios.flatMap((s) =>
    s.transports.flatMap((t) => (t.checks ?? []).filter((c) => !c.ok).map((c) => `${s.scenario} ${t.transport}: ${c.name} (${c.detail})`)),
  );
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('bench/cli.ts')) {
  main().then(
    () => process.exit(process.exitCode ?? 0),
    (err: unknown) => {
      process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
