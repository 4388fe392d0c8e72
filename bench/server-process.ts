import { spawnSync, type ChildProcess } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GcLineReader, type GcMemory } from './gc-report.js';
import { MetricsSnapshot } from './server-metrics.js';
import type { PartSample } from './server-group.js';
import { SERVER_NODE_FLAGS } from '../src/node-flags.js';
import { spawnInOwnSession } from './own-session.js';

/** The project root (bench/ sits in it). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on every Linux we run on). */
const CLK_TCK = 100;

/** A point-in-time reading of the server process. */
export interface ProcSample {
  /** ms since epoch. */
  at: number;
  /** user + system CPU seconds since the process started. */
  cpuSeconds: number;
  rssBytes: number;
  /** Open file descriptors (sockets included), when known. */
  fds: number | undefined;
  /** Seconds its threads spent runnable but waiting for a CPU (schedstat; /proc only): host contention. */
  runqueueWaitSeconds?: number;
}

/** The server under test, local child or remote. */
export interface ServerTarget {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** The child's pid when we started it (then CPU and RSS come from /proc). */
  readonly pid: number | undefined;
  /** Reads CPU, RSS and fds: /proc for a child, /metrics otherwise. */
  sample(): Promise<ProcSample>;
  /** Scrapes /metrics. */
  metrics(): Promise<MetricsSnapshot>;
  /** Stops the child (no-op for a remote server). */
  stop(): Promise<void>;
  /** Asks a child to run a full GC (false when that is not possible, e.g. a remote server). */
  collectGarbage(): Promise<boolean>;
  /**
   * A full GC of a child, then its memory once RSS has settled (bench/server-gc-hook.mjs); null when
   * the child did not answer in time. Absent for servers the bench cannot signal.
   */
  settledMemory?(): Promise<GcMemory | null>;
  /** Last lines the child wrote (for error reports). */
  log(): string;
  /** Several instances (`--instances`): where load worker `i` connects is entry `i % length`. */
  targets?(): { host: string; port: number }[];
  /** Several processes (instances, Redis): each read on its own. */
  parts?(): Promise<PartSample[]>;
}

async function scrape(url: string): Promise<MetricsSnapshot> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`GET /metrics answered ${res.status}`);
  return MetricsSnapshot.parse(await res.text());
}

/** Reads CPU seconds and RSS of a pid from /proc. */
export async function procSample(pid: number): Promise<ProcSample> {
  const [stat, statm] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/statm`, 'utf8')]);
  // Fields after the parenthesised command name: utime is field 14, stime 15 (1-based).
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  const rssBytes = Number(statm.split(' ')[1]) * 4096;
  const fds = await readdir(`/proc/${pid}/fd`).then((l) => l.length, () => undefined);
  const runqueueWaitSeconds = await runqueueWait(pid);
  return { at: Date.now(), cpuSeconds, rssBytes, fds, ...(runqueueWaitSeconds === undefined ? {} : { runqueueWaitSeconds }) };
}

/** Sum over a process's threads of the second schedstat field (ns waiting on a run queue), in s. */
async function runqueueWait(pid: number): Promise<number | undefined> {
  try {
    const tids = await readdir(`/proc/${pid}/task`);
    const waits = await Promise.all(tids.map((tid) => readFile(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').then((s) => Number(s.split(' ')[1]), () => 0)));
    return waits.reduce((a, b) => a + b, 0) / 1e9;
  } catch {
    return undefined;
  }
}

/** The pid of the first process whose /proc comm is `name` (e.g. `beam.smp`), or undefined. */
export async function findPid(name: string): Promise<number | undefined> {
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
    if (comm.trim() === name) return Number(entry);
  }
  return undefined;
}

/** A server somebody else runs (`--url`): everything comes from its /metrics. */
export class RemoteServer implements ServerTarget {
  readonly host: string;
  readonly port: number;
  readonly pid = undefined;
  constructor(readonly url: string) {
    const u = new URL(url);
    this.host = u.hostname;
    this.port = Number(u.port || 80);
    this.url = url.replace(/\/$/, '');
  }
  async sample(): Promise<ProcSample> {
    const m = await this.metrics();
    return { at: m.at, cpuSeconds: m.sum('process_cpu_seconds_total'), rssBytes: m.sum('process_resident_memory_bytes'), fds: m.has('process_open_fds') ? m.sum('process_open_fds') : undefined };
  }
  metrics(): Promise<MetricsSnapshot> {
    return scrape(this.url);
  }
  async stop(): Promise<void> {}
  async collectGarbage(): Promise<boolean> {
    return false;
  }
  log(): string {
    return '';
  }
}

/** Options of a local server child. */
export interface LocalServerOptions {
  /** Server configuration (PORT and HOST are chosen here). */
  env: Record<string, string>;
  /** CPU list for taskset (e.g. "0"), or undefined to leave it unpinned. */
  cpus: string | undefined;
  /** Open-files limit raised in the child's shell before exec. */
  nofile: number;
  /** Write V8 CPU profiles into this directory (node --cpu-prof): one file per thread. */
  profileDir?: string;
  /** The script to run, relative to the root (default the product, `src/main.ts`; the floor is `bench/floors/main.ts`). */
  entry?: string;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

let built = false;

/**
 * Transpiles src/, transports/ and bench/ to dist/ (src/build.mjs), once per bench process: server
 * children (product and floors) run the compiled tree, as `npm start` and the Dockerfile's image do,
 * so no tsx loader thread shares the server's core.
 */
export function buildServerOnce(): void {
  if (built) return;
  const run = spawnSync(process.execPath, [path.join(ROOT, 'src', 'build.mjs'), 'src', 'transports', 'bench'], { cwd: ROOT, encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`src/build.mjs failed:\n${run.stderr}`);
  built = true;
}

/** Where src/build.mjs puts a source file's JavaScript: `src/main.ts` → `dist/src/main.js`. */
export function compiledEntry(entry: string): string {
  return path.join('dist', entry.replace(/\.ts$/, '.js'));
}

/** The server as a child process: `node dist/src/main.js` (compiled first), pinned and with a raised fd limit. */
export class LocalServer implements ServerTarget {
  readonly host = '127.0.0.1';
  private lines: string[] = [];
  private exited: Promise<void>;
  private readonly gcLines = new GcLineReader();

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    const keep = (chunk: Buffer) => {
      this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.lines.length > 200) this.lines = this.lines.slice(-100);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.stderr?.on('data', (chunk: Buffer) => this.gcLines.push(chunk.toString('utf8')));
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get url(): string {
    return `http://${this.host}:${this.port}`;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts the child and waits until /readyz answers 200 (at most 30 s). */
  static async start(options: LocalServerOptions): Promise<LocalServer> {
    // BENCH_TSX=1: the TypeScript through tsx's loader instead, as the bench ran servers before
    // 2026-12-02 (kept to compare the two: docs/decisions.md, "The server runs compiled").
    const viaTsx = process.env.BENCH_TSX === '1';
    if (!viaTsx) buildServerOnce();
    const port = await freePort();
    const gcHook = path.join(ROOT, 'bench', 'server-gc-hook.mjs');
    // BENCH_NODE_FLAGS: more flags for the server children (product and floors), to try V8 settings.
    const nodeArgs = [...SERVER_NODE_FLAGS, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--expose-gc', '--import', `"${gcHook}"`, ...(viaTsx ? ['--import', 'tsx'] : [])];
    // No --cpu-prof-name: every thread (a worker, were there one) writes a profile, and one fixed
    // name would leave whichever thread exited last. The directory is per run instead.
    if (options.profileDir) nodeArgs.push('--cpu-prof', `--cpu-prof-dir=${options.profileDir}`);
    const source = options.entry ?? 'src/main.ts';
    const pin = options.cpus !== undefined ? `taskset -c ${options.cpus} ` : '';
    // `exec` keeps one pid from sh to node, so /proc/<pid> is the server itself.
    const script = `ulimit -n ${options.nofile} 2>/dev/null || ulimit -n $(ulimit -Hn); exec ${pin}"${process.execPath}" ${nodeArgs.join(' ')} ${viaTsx ? source : compiledEntry(source)}`;
    const child = spawnInOwnSession('sh', ['-c', script], {
      cwd: ROOT,
      env: { ...process.env, LOG_LEVEL: 'warn', SHUTDOWN_GRACE_MS: '500', ...options.env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new LocalServer(child, port);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`server exited during start-up:\n${server.log()}`);
      const ok = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
      if (ok) return server;
      await new Promise((r) => setTimeout(r, 100));
    }
    await server.stop();
    throw new Error(`server did not become ready in 30 s:\n${server.log()}`);
  }

  sample(): Promise<ProcSample> {
    return procSample(this.child.pid!);
  }

  metrics(): Promise<MetricsSnapshot> {
    return scrape(this.url);
  }

  /** SIGTERM, then SIGKILL if it has not exited within 15 s (a CPU profile needs the clean exit). */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGUSR2 makes the preloaded hook run gc(); it answers once RSS has settled (or gave up waiting). */
  async collectGarbage(): Promise<boolean> {
    if (this.child.exitCode !== null || !this.child.pid) return false;
    await this.settledMemory();
    return true;
  }

  async settledMemory(): Promise<GcMemory | null> {
    if (this.child.exitCode !== null || !this.child.pid) return null;
    // The hook waits at most 3 s for RSS to settle; a full GC of a big heap on a starved core adds some.
    const report = this.gcLines.next(10_000);
    process.kill(this.child.pid, 'SIGUSR2');
    return report;
  }

  log(): string {
    return this.lines.slice(-30).join('\n');
  }
}
