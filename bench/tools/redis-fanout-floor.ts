/**
 * The floor under the room bench's cross-instance lag (`room --broker redis --instances 2`): the same
 * process layout and the same work per event, without Fastify, ws, the Hub, metrics or presence.
 *
 * N "instance" children (pinned like the bench's servers) each hold a RedisBroker (the product's: its
 * Lua publish script and its subscriber connection) and a plain TCP server. The parent (pinned like the
 * load generator) opens `--clients` sockets spread over the instances and, for each user once per
 * `--interval-ms` at a random phase, writes one byte on that user's socket: the instance publishes a
 * ~170-byte event on reading it (as the product does for a WebSocket publish frame) and acknowledges it.
 * Every instance writes every event it receives from Redis to each of its sockets, corked per turn like
 * the product's streams. Each instance measures accept (the trigger read) → arrival from Redis with
 * `performance.timeOrigin + performance.now()`, on the same clock across processes, twice: as the
 * product measures it (accept in whole ms, as an event's `at`, taken as the middle of its millisecond:
 * each sample within ±0.5 ms; the `all:` line) and exactly (the `all, exact accept time:` line).
 *
 *   npx tsx bench/tools/redis-fanout-floor.ts [--instances 2] [--clients 150] [--duration 15]
 *     [--interval-ms 1000] [--fanout on|off] [--server-cpus 0] [--load-cpus 1] [--redis-cpus 0]
 *     [--redis-url redis://127.0.0.1:PORT]   # default: a redis-server of its own on a free port
 *
 * Prints one line per instance and one for all: p50 / p99 / p99.9 / max and the share over 5 ms.
 */
import { execFileSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { spawnInOwnSession } from '../own-session.js';
import { buildServerOnce, compiledEntry, freePort, ROOT } from '../server-process.js';
import { pings } from '../server-group.js';
import { SERVER_NODE_FLAGS } from '../../src/node-flags.js';
import { RedisBroker } from '../../src/broker/redis.js';
import type { EventDraft } from '../../src/domain/events.js';

const hr = (): number => performance.timeOrigin + performance.now();
const GROUP = 'floor';
/** Upper bounds: this is a bench tool, but a typo must not open 10^6 sockets or run for a day. */
const MAX_CLIENTS = 5000;
const MAX_DURATION_S = 120;

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

if (process.argv[2] === '--child') await child();
else await parent();

/** One instance: broker + TCP server; reports its lag samples to stdout as JSON at the end. */
async function child(): Promise<void> {
  const url = process.env.FLOOR_REDIS_URL!;
  const fanout = process.env.FLOOR_FANOUT !== 'off';
  const broker = await RedisBroker.connect({ url, historySize: 1000, groupIdleMs: 60_000, maxGroups: 10, keyPrefix: `rt-floor-${process.env.FLOOR_RUN}` });
  const sockets = new Set<net.Socket>();
  const lags: number[] = [];
  const exact: number[] = [];
  const corked = new Set<net.Socket>();
  let scheduled = false;
  const uncorkAll = () => {
    scheduled = false;
    for (const s of corked) if (!s.destroyed) s.uncork();
    corked.clear();
  };
  let recording = false;
  broker.setHandler((event) => {
    const at = (event.event as { sentAt?: number }).sentAt;
    if (recording && at !== undefined && lags.length < 1_000_000) {
      const arrived = hr();
      lags.push(arrived - (Math.floor(at) + 0.5));
      exact.push(arrived - at);
    }
    if (!fanout) return;
    const frame = Buffer.from(`\x81${String.fromCharCode(Math.min(125, event.json.length))}${event.json}`);
    for (const s of sockets) {
      if (!corked.has(s)) {
        s.cork();
        corked.add(s);
      }
      s.write(frame);
    }
    if (!scheduled) {
      scheduled = true;
      setImmediate(uncorkAll);
    }
  });
  await broker.subscribe(GROUP);
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (let i = 0; i < chunk.length; i++) {
        const sentAt = hr();
        const draft: EventDraft = { group: GROUP, type: 'chat', user: `u${chunk[i]}`, at: Date.now(), sentAt, data: { text: 'hello from the floor, about as long as a chat line' } };
        broker.publish(draft).then(() => socket.write('a'), () => socket.write('e'));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + '\n');
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', async (line: string) => {
    if (line.includes('record')) recording = true;
    if (line.includes('stop')) {
      recording = false;
      process.stdout.write(JSON.stringify({ lags, exact }) + '\n');
      for (const s of sockets) s.destroy();
      server.close();
      await broker.close();
      process.exit(0);
    }
  });
}

async function parent(): Promise<void> {
  const instances = Math.max(1, Math.min(8, Number(flag('instances', '2'))));
  const clients = Math.max(instances, Math.min(MAX_CLIENTS, Number(flag('clients', '150'))));
  const duration = Math.max(1, Math.min(MAX_DURATION_S, Number(flag('duration', '15'))));
  const intervalMs = Math.max(10, Number(flag('interval-ms', '1000')));
  const fanout = flag('fanout', 'on');
  const serverCpus = flag('server-cpus', '0');
  const loadCpus = flag('load-cpus', '1');
  const redisCpus = flag('redis-cpus', serverCpus);
  execFileSync('taskset', ['-a', '-p', '-c', loadCpus, String(process.pid)], { stdio: 'ignore' });
  const run = `${process.pid}`;
  let redis: ChildProcess | undefined;
  let url = flag('redis-url', '');
  if (!url) {
    const port = await freePort();
    redis = spawnInOwnSession('taskset', ['-c', redisCpus, 'redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !(await pings(port)); i++) await new Promise((r) => setTimeout(r, 50));
  }
  buildServerOnce(); // the children run compiled, as the product's instances do
  const children = Array.from({ length: instances }, () =>
    spawnInOwnSession('taskset', ['-c', serverCpus, process.execPath, ...SERVER_NODE_FLAGS, compiledEntry('bench/tools/redis-fanout-floor.ts'), '--child'], {
      cwd: ROOT,
      env: { ...process.env, FLOOR_REDIS_URL: url, FLOOR_FANOUT: fanout, FLOOR_RUN: run },
      stdio: ['pipe', 'pipe', 'inherit'],
    }),
  );
  const lines = children.map((c) => {
    const queue: string[] = [];
    const waiters: ((l: string) => void)[] = [];
    let buf = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, i);
        buf = buf.slice(i + 1);
        const w = waiters.shift();
        if (w) w(l);
        else queue.push(l);
      }
    });
    return () => new Promise<string>((r) => (queue.length ? r(queue.shift()!) : waiters.push(r)));
  });
  const ports = await Promise.all(lines.map(async (next) => (JSON.parse(await next()) as { port: number }).port));
  const sockets: net.Socket[] = [];
  for (let i = 0; i < clients; i++) {
    const s = net.connect(ports[i % instances]!, '127.0.0.1');
    s.setNoDelay(true);
    s.on('data', () => {}); // drain: the bytes are the client's to read, as in the bench
    s.on('error', () => {});
    await new Promise((r) => s.once('connect', r));
    sockets.push(s);
  }
  // One timer turning every 5 ms, each user at its own phase, like bench/load/scheduler.ts.
  const phase = sockets.map(() => Math.random() * intervalMs);
  const started = performance.now();
  let done = 0;
  const fired = new Array<number>(clients).fill(-1);
  const warmupMs = 2000;
  const wheel = setInterval(() => {
    const now = performance.now() - started;
    for (let i = 0; i < clients; i++) {
      const round = Math.floor((now - phase[i]!) / intervalMs);
      if (round > fired[i]!) {
        fired[i] = round;
        sockets[i]!.write(Buffer.from([i % 256]));
        done++;
      }
    }
  }, 5);
  await new Promise((r) => setTimeout(r, warmupMs));
  for (const c of children) c.stdin!.write('record\n');
  const pids = [...children.map((c) => c.pid!), ...(redis ? [redis.pid!] : [])];
  const cpu0 = pids.map(cpuSeconds);
  await new Promise((r) => setTimeout(r, duration * 1000));
  const cpu = pids.map((pid, i) => ((cpuSeconds(pid) - cpu0[i]!) / duration) * 100);
  for (const c of children) c.stdin!.write('stop\n');
  const reports = await Promise.all(lines.map(async (next) => JSON.parse(await next()) as { lags: number[]; exact: number[] }));
  const results = reports.map((r) => r.lags);
  clearInterval(wheel);
  for (const s of sockets) s.destroy();
  redis?.kill('SIGKILL');
  const line = (name: string, xs: number[]) => {
    xs.sort((a, b) => a - b);
    const q = (p: number) => xs[Math.min(xs.length - 1, Math.floor(xs.length * p))]?.toFixed(2);
    const over = xs.filter((x) => x > 5).length;
    console.log(`${name}: n ${xs.length}  p50 ${q(0.5)}  p99 ${q(0.99)}  p99.9 ${q(0.999)}  max ${xs.at(-1)?.toFixed(2)} ms  over 5 ms ${((over / Math.max(1, xs.length)) * 100).toFixed(2)} %`);
  };
  console.log(`floor: ${instances} instances on CPU ${serverCpus}, Redis on ${redis ? redisCpus : url}, load on CPU ${loadCpus}; ${clients} users × 1 event / ${intervalMs} ms; fan-out ${fanout}; ${duration} s after ${warmupMs / 1000} s warm-up; ${done} publishes`);
  console.log(`  CPU % over the window: ${cpu.map((c, i) => `${i < instances ? `instance ${i + 1}` : 'redis'} ${c.toFixed(1)}`).join(', ')}`);
  results.forEach((xs, i) => line(`  accept → arrival, instance ${i + 1}`, [...xs]));
  line('  accept → arrival, all', results.flat());
  line('  accept → arrival, all, exact accept time', reports.flatMap((r) => r.exact));
}

/** utime + stime of a process (its threads included), in seconds. */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}
