// Real Redis for the suites: the machine's 127.0.0.1:6379 when it answers, else a redis-server of our
// own on a free port. Fault tests always start their own (they kill it), and a cluster is three of them.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { skipNotice } from './skip-notice.js';

const run = promisify(execFile);

/** A reason to skip when redis-server is not installed, else false. */
export const noRedisServer: string | false = skipNotice(await run('redis-server', ['--version']).then(
  () => false as const,
  () => 'redis-server not installed (Debian package redis-server)',
));

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True when a Redis answers PING on the port within `timeoutMs`. */
export async function pings(port: number, timeoutMs = 300): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}

async function until(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A redis-server process of our own. */
export class OwnRedis {
  readonly url: string;
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly args: string[],
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  /** Starts (or restarts) the server and waits until it answers PING. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...this.args], {
      stdio: 'ignore',
    });
    this.child = child;
    await until(async () => child.exitCode === null && (await pings(this.port)), 5000, `redis-server on ${this.port}`);
  }

  /** SIGKILL, like a crash, and waits for the process to be gone. */
  async kill(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills the server and removes its directory. */
  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * Starts a redis-server on a free port in a temp directory. `persistent` turns on an fsync-always
 * append-only file, so the data survives `kill()` + `start()` as a production Redis' would.
 */
export async function startRedis(options: { persistent?: boolean; port?: number; args?: string[] } = {}): Promise<OwnRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'rt-redis-'));
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const server = new OwnRedis(options.port ?? (await freePort()), dir, ['--save', '', ...persistence, ...(options.args ?? [])]);
  await server.start();
  return server;
}

/** A Redis to run suites against: 127.0.0.1:6379 when it answers, else our own (stopped by `stop`). */
export async function sharedRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  if (await pings(6379)) return { url: 'redis://127.0.0.1:6379', stop: async () => {} };
  const own = await startRedis();
  return { url: own.url, stop: () => own.stop() };
}

/** A port whose cluster bus port (+10000) is free too. */
async function clusterPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 10000 < 65536 && !(await pings(port + 10000, 50))) return port;
  }
}

/**
 * Three masters with `cluster-enabled yes`, joined by `redis-cli --cluster create`, and ready
 * (`cluster_state:ok` on every node). `url` names the first node.
 */
export async function startCluster(masters = 3): Promise<{ url: string; nodes: OwnRedis[]; stop(): Promise<void> }> {
  const nodes: OwnRedis[] = [];
  const stop = async () => void (await Promise.all(nodes.map((n) => n.stop())));
  try {
    for (let i = 0; i < masters; i++) {
      const port = await clusterPort();
      const dir = mkdtempSync(join(tmpdir(), 'rt-cluster-'));
      nodes.push(new OwnRedis(port, dir, ['--save', '', '--appendonly', 'no', '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, 'nodes.conf'), '--cluster-node-timeout', '2000']));
    }
    await Promise.all(nodes.map((n) => n.start()));
    await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 15000,
    });
    const clusterOk = async (port: number) =>
      (await run('redis-cli', ['-p', String(port), 'cluster', 'info'])).stdout.includes('cluster_state:ok');
    for (const n of nodes) await until(() => clusterOk(n.port), 10000, `cluster_state:ok on ${n.port}`);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: nodes[0]!.url, nodes, stop };
}
