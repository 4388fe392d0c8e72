// Server processes for the cross-instance suites: `node --import tsx src/main.ts`, each on its own
// port, all with BROKER=redis on one REDIS_URL. Stopped (SIGTERM, then SIGKILL) by `stop`.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/redis-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** One running server. */
export interface Instance {
  readonly baseUrl: string;
  /** What the process wrote to stderr (for failure messages). */
  readonly stderr: () => string;
  stop(): Promise<void>;
  /** SIGKILL, like a crash, and waits for the process to be gone. */
  kill(): Promise<void>;
}

/** Starts `count` instances against `redisUrl` and waits until each answers `/readyz` with 200. */
export async function startInstances(count: number, redisUrl: string, env: Record<string, string> = {}): Promise<Instance[]> {
  const instances: Instance[] = [];
  try {
    await Promise.all(
      Array.from({ length: count }, async () => {
        const instance = await startInstance(redisUrl, env);
        instances.push(instance);
      }),
    );
  } catch (err) {
    await Promise.all(instances.map((i) => i.stop()));
    throw err;
  }
  return instances;
}

async function startInstance(redisUrl: string, env: Record<string, string>): Promise<Instance> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', BROKER: 'redis', REDIS_URL: redisUrl, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const forced = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(forced);
  };
  const kill = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`instance on ${port} exited with ${child.exitCode}: ${stderr}`);
    const ready = await fetch(`${baseUrl}/readyz`).then((r) => r.status === 200, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`instance on ${port} not ready after 20 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { baseUrl, stderr: () => stderr, stop, kill };
}

/** The value of one sample of a Prometheus text exposition (0 when absent). */
export async function metric(baseUrl: string, sample: string): Promise<number> {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.slice(sample.length + 1)) : 0;
}
