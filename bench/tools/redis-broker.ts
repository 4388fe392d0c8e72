/**
 * Redis broker latency and throughput: two RedisBroker instances in one process on one group.
 *
 *   npx tsx bench/tools/redis-broker.ts            # URL=redis://host:port to use another Redis
 */
import { RedisBroker } from '../../src/broker/redis.js';
import { MemoryBroker } from '../../src/broker/memory.js';
const url = process.env.URL ?? 'redis://127.0.0.1:6379';
const opts = { historySize: 1000, groupIdleMs: 60000 };
const a = await RedisBroker.connect({ ...opts, url, keyPrefix: 'rt-bench' });
const b = await RedisBroker.connect({ ...opts, url, keyPrefix: 'rt-bench' });
const group = 'bench-' + process.pid;
const lags: number[] = [];
b.setHandler((e) => lags.push(performance.now() - (e.event as any).sentAt));
await b.subscribe(group);
const draft = () => ({ group, type: 'location' as const, user: 'u1', at: Date.now(), sentAt: performance.now(), data: { lat: 1, lng: 2 } });
for (let i = 0; i < 2000; i++) await a.publish(draft()); // warm up
lags.length = 0;
const n = 20000;
let t = performance.now();
const each: number[] = [];
for (let i = 0; i < n; i++) { const s = performance.now(); await a.publish(draft()); each.push(performance.now() - s); }
const seqMs = performance.now() - t;
await new Promise((r) => setTimeout(r, 200));
each.sort((x, y) => x - y); lags.sort((x, y) => x - y);
const q = (arr: number[], p: number) => arr[Math.floor(arr.length * p)]!.toFixed(3);
console.log(`sequential: ${n} publishes in ${seqMs.toFixed(0)} ms = ${(n / seqMs * 1000).toFixed(0)}/s; publish p50 ${q(each, .5)} ms p99 ${q(each, .99)} ms`);
console.log(`cross-instance delivery (publish start -> handler on B): p50 ${q(lags, .5)} ms p99 ${q(lags, .99)} ms (${lags.length} events)`);
t = performance.now();
for (let r = 0; r < 20; r++) await Promise.all(Array.from({ length: 1000 }, () => a.publish(draft())));
const par = performance.now() - t;
console.log(`concurrent (1000 in flight): 20000 publishes in ${par.toFixed(0)} ms = ${(20000 / par * 1000).toFixed(0)}/s`);
t = performance.now();
const head = (await a.read(group, undefined)).head; for (let i = 0; i < 2000; i++) await a.read(group, head - 100);
console.log(`read of 100 events after a cursor (1000 when ahead: see below): ${((performance.now() - t) / 2000).toFixed(3)} ms each`);
t = performance.now();
for (let i = 0; i < 5000; i++) await a.read(group, undefined);
console.log(`read at head (short poll, nothing new): ${((performance.now() - t) / 5000).toFixed(3)} ms each`);
const m = new MemoryBroker(opts);
t = performance.now();
for (let i = 0; i < n; i++) await m.publish(draft());
console.log(`memory broker: ${n} publishes in ${(performance.now() - t).toFixed(0)} ms`);
await a.close(); await b.close(); await m.close();
