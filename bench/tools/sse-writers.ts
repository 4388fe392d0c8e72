/**
 * Compares the two SSE writers (SSE_WRITER=direct vs plugin) on equal terms: the same server build in a
 * child process pinned to core 0, the same subscribers and publish rate from this process on core 1,
 * alternating A/B runs. Reports server CPU-seconds per 1,000 delivered events and delivery latency.
 *
 *   npx tsx bench/tools/sse-writers.ts [--subscribers 200] [--rate 200] [--seconds 10] [--rounds 3]
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1]!);
const SUBSCRIBERS = Number(args.get('subscribers') ?? 200);
const RATE = Number(args.get('rate') ?? 200); // publishes per second; deliveries = RATE x SUBSCRIBERS
const SECONDS = Number(args.get('seconds') ?? 10);
const ROUNDS = Number(args.get('rounds') ?? 3);
const PORT = 18900;
const CLK_TCK = 100;

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // utime + stime
}

async function startServer(writer: string, pin: boolean): Promise<ChildProcess> {
  const command = pin ? 'taskset' : process.execPath;
  const argv = [...(pin ? ['-c', '0', process.execPath] : []), '--import', 'tsx', 'src/main.ts'];
  const child = spawn(command, argv, { env: { ...process.env, PORT: String(PORT), HOST: '127.0.0.1', SSE_WRITER: writer, LOG_LEVEL: 'warn', MAX_BUFFERED_BYTES: String(64 * 1024 * 1024) }, stdio: 'inherit' });
  for (let i = 0; i < 100; i++) {
    const up = await fetch(`http://127.0.0.1:${PORT}/healthz`).then(() => true, () => false);
    if (up) return child;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('server did not start');
}

interface RunResult {
  writer: string;
  delivered: number;
  expected: number;
  cpuPer1k: number;
  p50: number;
  p99: number;
}

async function run(writer: string, pin: boolean): Promise<RunResult> {
  const server = await startServer(writer, pin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: SUBSCRIBERS + 8 });
  const latencies: number[] = [];
  let delivered = 0;
  const group = `w-${writer}-${Date.now()}`;
  const streams: http.ClientRequest[] = [];
  await Promise.all(
    Array.from({ length: SUBSCRIBERS }, () =>
      new Promise<void>((resolve) => {
        const request = http.get(`http://127.0.0.1:${PORT}/sse/groups/${group}`, { agent }, (response) => {
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => {
            // A cheap read: count blocks and pull sentAt without parsing JSON.
            let at = chunk.indexOf('"sentAt":');
            while (at !== -1) {
              delivered++;
              latencies.push(Date.now() - Number(chunk.slice(at + 9, chunk.indexOf(',', at))));
              at = chunk.indexOf('"sentAt":', at + 9);
            }
          });
          resolve();
        });
        streams.push(request);
      }),
    ),
  );
  const cpuBefore = cpuSeconds(server.pid!);
  const started = Date.now();
  let published = 0;
  while (Date.now() - started < SECONDS * 1000) {
    const due = Math.floor(((Date.now() - started) / 1000) * RATE);
    while (published < due) {
      published++;
      void fetch(`http://127.0.0.1:${PORT}/groups/${group}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'chat', text: 'benchmark message', sentAt: Date.now() }) }).catch(() => {}); // a publish cut by the shutdown at the end
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await new Promise((r) => setTimeout(r, 1000)); // let the tail arrive
  const cpu = cpuSeconds(server.pid!) - cpuBefore;
  for (const s of streams) s.destroy();
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  latencies.sort((a, b) => a - b);
  return {
    writer,
    delivered,
    expected: published * SUBSCRIBERS,
    cpuPer1k: (cpu / delivered) * 1000,
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? NaN,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN,
  };
}

const pin = hasTaskset();
if (pin) execFileSync('taskset', ['-cp', '1', String(process.pid)], { stdio: 'ignore' });
const results: RunResult[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const writer of round % 2 === 0 ? ['direct', 'plugin'] : ['plugin', 'direct']) {
    const result = await run(writer, pin);
    results.push(result);
    console.log(`${writer.padEnd(6)} delivered ${result.delivered}/${result.expected}  cpu ${result.cpuPer1k.toFixed(4)} s/1k  p50 ${result.p50} ms  p99 ${result.p99} ms`);
  }
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const writer of ['direct', 'plugin']) {
  const rs = results.filter((r) => r.writer === writer);
  console.log(`median ${writer}: cpu ${median(rs.map((r) => r.cpuPer1k)).toFixed(4)} s per 1k deliveries, p50 ${median(rs.map((r) => r.p50))} ms, p99 ${median(rs.map((r) => r.p99))} ms`);
}
console.log(`pinned: ${pin}; ${SUBSCRIBERS} subscribers x ${RATE} publishes/s = ${SUBSCRIBERS * RATE} deliveries/s for ${SECONDS} s, ${ROUNDS} rounds`);
