import { execFile, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';
import { MetricsSnapshot } from './server-metrics.js';
import { LocalServer, freePort, procSample, type LocalServerOptions, type ProcSample, type ServerTarget } from './server-process.js';
import { spawnInOwnSession } from './own-session.js';

const run = promisify(execFile);

/** One process of a multi-instance run, read at one instant. */
export interface PartSample extends ProcSample {
  /** `instance 1`, `instance 2`, ... or `redis`. */
  name: string;
  pid: number | undefined;
  /** The instance's own scrape (none for Redis). */
  metrics?: MetricsSnapshot;
}

/** Options of a server group. */
export interface ServerGroupOptions extends LocalServerOptions {
  /** Server instances to start, all with the same configuration. */
  instances: number;
  /** `BROKER=redis`: the Redis to share; undefined starts a redis-server of our own for the run. */
  redisUrl?: string;
  /** CPUs of the redis-server started for the run (default: `cpus`, the servers'). */
  redisCpus?: string;
}

/**
 * N server instances behind one Redis (or one instance with BROKER=redis) as one bench target: CPU,
 * RSS and fds are the instances' sums, `/metrics` is every instance's scrape added up (so the
 * server-side counters and the three-way agreement cover all of them), and `parts()` reads each
 * instance and Redis on its own. Clients spread over `targets()`, one per load worker in turn.
 */
export class ServerGroup implements ServerTarget {
  private constructor(
    private readonly servers: LocalServer[],
    private readonly redis: OwnedRedis | ForeignRedis | undefined,
  ) {}

  /** Starts Redis (unless given) and the instances; stops whatever started when one fails. */
  static async start(options: ServerGroupOptions): Promise<ServerGroup> {
    const broker = options.env.BROKER ?? 'memory';
    let redis: OwnedRedis | ForeignRedis | undefined;
    const servers: LocalServer[] = [];
    try {
      if (broker === 'redis') redis = options.redisUrl ? await ForeignRedis.find(options.redisUrl) : await OwnedRedis.start(options.redisCpus ?? options.cpus);
      const env = redis ? { ...options.env, REDIS_URL: redis.url } : options.env;
      for (let i = 0; i < options.instances; i++) {
        const profileDir = options.profileDir && (i === 0 ? options.profileDir : `${options.profileDir}-${i + 1}`);
        servers.push(await LocalServer.start({ ...options, env, profileDir }));
      }
    } catch (err) {
      await Promise.all(servers.map((s) => s.stop()));
      await redis?.stop();
      throw err;
    }
    return new ServerGroup(servers, redis);
  }

  get url(): string {
    return this.servers[0]!.url;
  }
  get host(): string {
    return this.servers[0]!.host;
  }
  get port(): number {
    return this.servers[0]!.port;
  }
  get pid(): number | undefined {
    return this.servers[0]!.pid;
  }

  /** Where load worker `i` connects: instance `i % instances`. */
  targets(): { host: string; port: number }[] {
    return this.servers.map((s) => ({ host: s.host, port: s.port }));
  }

  async sample(): Promise<ProcSample> {
    const samples = await Promise.all(this.servers.map((s) => s.sample()));
    return samples.reduce((a, s) => ({
      at: Math.max(a.at, s.at),
      cpuSeconds: a.cpuSeconds + s.cpuSeconds,
      rssBytes: a.rssBytes + s.rssBytes,
      fds: a.fds === undefined || s.fds === undefined ? undefined : a.fds + s.fds,
    }));
  }

  async metrics(): Promise<MetricsSnapshot> {
    const scrapes = await Promise.all(this.servers.map((s) => s.metrics()));
    return new MetricsSnapshot(scrapes.flatMap((m) => m.samples), Math.max(...scrapes.map((m) => m.at)));
  }

  /** Each instance (with its scrape) and Redis (when its pid is readable), read now. */
  async parts(): Promise<PartSample[]> {
    const instances = this.servers.map(async (s, i): Promise<PartSample> => {
      const [sample, metrics] = await Promise.all([s.sample(), s.metrics()]);
      return { ...sample, name: `instance ${i + 1}`, pid: s.pid, metrics };
    });
    const redisPid = this.redis?.pid;
    const redis = redisPid === undefined ? [] : [procSample(redisPid).then((s): PartSample => ({ ...s, name: 'redis', pid: redisPid }), () => undefined)];
    return (await Promise.all([...instances, ...redis])).filter((p): p is PartSample => p !== undefined);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    await this.redis?.stop();
  }

  async collectGarbage(): Promise<boolean> {
    return (await Promise.all(this.servers.map((s) => s.collectGarbage()))).every(Boolean);
  }

  log(): string {
    return this.servers.map((s, i) => `[instance ${i + 1}]\n${s.log()}`).join('\n');
  }
}

/** A redis-server started for one run, pinned with the servers (or to `--redis-cpus`), without persistence. */
class OwnedRedis {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(cpus: string | undefined): Promise<OwnedRedis> {
    const port = await freePort();
    const pin = cpus !== undefined ? `taskset -c ${cpus} ` : '';
    // `exec` keeps the pid, so /proc/<pid> is redis-server itself.
    const child = spawnInOwnSession('sh', ['-c', `exec ${pin}redis-server --port ${port} --bind 127.0.0.1 --save '' --appendonly no`], { stdio: 'ignore' });
    const redis = new OwnedRedis(child, `redis://127.0.0.1:${port}`);
    const deadline = Date.now() + 10_000;
    while (!(await pings(port))) {
      if (child.exitCode !== null || Date.now() > deadline) {
        await redis.stop();
        throw new Error(`redis-server on ${port} did not start (is the redis-server package installed?)`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    return redis;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL'); // nothing to keep: no persistence
    await exited;
  }
}

/** A Redis somebody else runs (`--redis-url`): its CPU is read when its pid is on this machine. */
class ForeignRedis {
  private constructor(
    readonly url: string,
    readonly pid: number | undefined,
  ) {}

  static async find(url: string): Promise<ForeignRedis> {
    const u = new URL(url);
    const info = await run('redis-cli', ['-h', u.hostname, '-p', u.port || '6379', 'INFO', 'server'], { timeout: 5000 }).then((r) => r.stdout, () => '');
    const pid = /process_id:(\d+)/.exec(info)?.[1];
    const readable = pid !== undefined && (await procSample(Number(pid)).then(() => true, () => false));
    return new ForeignRedis(url, readable ? Number(pid) : undefined);
  }

  async stop(): Promise<void> {}
}

/** Whether a Redis answers PING on 127.0.0.1:`port` within 300 ms. */
export function pings(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const done = (ok: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => done(data.toString().startsWith('+PONG')));
  });
}
