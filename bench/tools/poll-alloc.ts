/**
 * Bytes allocated per short-poll request, by function: builds the product (or the bare-Fastify floor)
 * in this process, drives `GET /poll/groups/g1?since=0` with wrk (1,000 connections, CPU 1), and samples
 * every allocation, collected ones included, with V8's sampling heap profiler. Development aid:
 *
 *   taskset -c 0 node --import tsx bench/tools/poll-alloc.ts [product|floor] [--top 30]
 */
import { spawn } from 'node:child_process';
import { Session } from 'node:inspector/promises';
import { buildApp } from '../../src/app.js';
import { buildFloor } from '../floors/index.js';

interface SampleNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SampleNode[];
}

const side = process.argv[2] === 'floor' ? 'floor' : 'product';
const topAt = process.argv.indexOf('--top');
const top = topAt === -1 ? 30 : Number(process.argv[topAt + 1]);
const PORT = 9716;

const app = side === 'floor' ? await buildFloor() : await buildApp({ logLevel: 'warn' }, { defaultMetrics: true });
await app.listen({ port: PORT, host: '127.0.0.1' });

function wrk(seconds: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const child = spawn('taskset', ['-c', '1', 'wrk', '-t1', '-c1000', `-d${seconds}s`, `http://127.0.0.1:${PORT}/poll/groups/g1?since=0`]);
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.once('error', reject);
    child.once('exit', () => resolve(out));
  });
}

const where = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^.*\/(src|transports|bench)\//, '$1/').replace(/^node:internal\//, '');
const self = new Map<string, number>();
function walk(node: SampleNode): void {
  const { functionName, url, lineNumber } = node.callFrame;
  const key = `${functionName || '(anonymous)'} ${where(url)}:${lineNumber + 1}`;
  self.set(key, (self.get(key) ?? 0) + node.selfSize);
  for (const child of node.children) walk(child);
}

const session = new Session();
session.connect();
await wrk(3); // warm-up
await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true } as never);
const out = await wrk(6);
const { profile } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: SampleNode } };
const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
walk(profile.head);
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`${side}: ${requests} requests, ${(total / requests).toFixed(0)} bytes allocated per request (sampled)`);
for (const [fn, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${(bytes / requests).toFixed(0).padStart(7)}  ${fn}`);
await app.close();
process.exit(0);
