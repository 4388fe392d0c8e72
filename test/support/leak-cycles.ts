/**
 * Runs connect/subscribe/disconnect cycles over every transport against an in-process server and
 * prints heap, handles and Hub state before and after, as JSON. Spawned by test/leak.test.ts with
 * --expose-gc so the numbers are after full collections.
 *
 *   node --expose-gc --import tsx test/support/leak-cycles.ts [cycles]
 */
import http from 'node:http';
import WebSocket from 'ws';
import { buildApp } from '../../src/app.js';

const CYCLES = Number(process.argv[2] ?? 20000);
const CONCURRENCY = 50;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

const app = await buildApp({ logLevel: 'silent', wsPingMs: 60_000 }, { defaultMetrics: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const port = (app.server.address() as { port: number }).port;
const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
const handles = () => (process as unknown as { _getActiveHandles(): unknown[] })._getActiveHandles().length;

async function settle(): Promise<{ heap: number; handles: number }> {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc!();
  }
  return { heap: process.memoryUsage().heapUsed, handles: handles() };
}

function wsCycle(path: string, first: string, expect: string, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}${path}`, path === '/stomp' ? ['v12.stomp'] : []);
    socket.once('open', () => socket.send(first.replace('%G', `leak-${i % 100}`)));
    socket.on('message', (data) => {
      if (data.toString().includes(expect)) socket.close();
    });
    socket.once('close', () => resolve());
    socket.once('error', reject);
  });
}

function httpCycle(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = http.get(`http://127.0.0.1:${port}${path}`, { agent }, (response) => {
      response.once('data', () => request.destroy()); // SSE: the first block proves the subscription
      response.once('end', () => resolve());
      response.once('close', () => resolve());
    });
    request.once('error', (err) => ((err as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve() : reject(err)));
  });
}

const cycle = (i: number): Promise<void> => {
  const group = `leak-${i % 100}`;
  switch (i % 5) {
    case 0:
      return wsCycle('/ws', '{"op":"subscribe","group":"%G"}', '"subscribed"', i);
    case 1:
      return wsCycle('/stomp', 'CONNECT\naccept-version:1.2\n\n\0SUBSCRIBE\nid:1\ndestination:/topic/groups.%G\nreceipt:r\n\n\0', 'RECEIPT', i);
    case 2:
      return httpCycle(`/sse/groups/${group}`);
    case 3:
      return httpCycle(`/longpoll/groups/${group}?timeout=1`);
    default:
      return httpCycle(`/poll/groups/${group}?since=0`);
  }
};

// Warm up (JIT, pools), then measure.
for (let i = 0; i < 2000; i += CONCURRENCY) await Promise.all(Array.from({ length: CONCURRENCY }, (_, k) => cycle(i + k)));
const before = await settle();
const started = Date.now();
for (let i = 0; i < CYCLES; i += CONCURRENCY) {
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, CYCLES - i) }, (_, k) => cycle(i + k)));
}
const seconds = (Date.now() - started) / 1000;
agent.destroy();
await new Promise((r) => setTimeout(r, 200));
const after = await settle();
const hub = app.hub.stats();
const connections = app.connections.count;
await app.close();
console.log(JSON.stringify({ cycles: CYCLES, seconds, before, after, hub, connections }));
