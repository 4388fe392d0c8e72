/**
 * What the per-delivery metrics cost: one counter increment plus one latency observation, as shipped
 * (TransportMetrics.delivered over src/fast-metrics.ts), against prom-client's own `labels()` children
 * and label lookups, and against nothing. Nanoseconds per delivery, median of 5 runs of 5 million calls.
 *
 *   taskset -c 1 npx tsx bench/tools/metrics-cost.ts
 */
import { Counter, Histogram, Registry } from 'prom-client';
import { Metrics } from '../../src/metrics.js';
import { EncodedEvent } from '../../src/domain/events.js';

const CALLS = 5_000_000;
const metrics = new Metrics({ defaultMetrics: false });
const bound = metrics.transport('websocket');
const events = [0, 1, 2, 3].map((i) =>
  EncodedEvent.of({ seq: i + 1, group: 'g', type: i % 2 ? 'chat' : 'location', user: 'u', at: Date.now() - i * 7, data: i % 2 ? { text: 'x' } : { lat: 1, lng: 2 } } as never),
);
const promRegistry = new Registry();
const buckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const delivered = new Counter({ name: 'd', help: 'd', labelNames: ['transport', 'type'], registers: [promRegistry] });
const latency = new Histogram({ name: 'l', help: 'l', labelNames: ['transport'], buckets, registers: [promRegistry] });
const promChildren = { location: delivered.labels('websocket', 'location'), chat: delivered.labels('websocket', 'chat'), latency: latency.labels('websocket') };

const variants: Record<string, (i: number, now: number) => void> = {
  'nothing (loop + Date.now only)': () => {},
  'as shipped (fast children)': (i, now) => bound.delivered(events[i & 3]!, now),
  'prom-client labels() children': (i, now) => {
    const e = events[i & 3]!;
    promChildren[e.event.type].inc();
    promChildren.latency.observe((now - e.event.at) / 1000);
  },
  'prom-client label lookup': (i, now) => {
    const e = events[i & 3]!;
    delivered.labels('websocket', e.event.type).inc();
    latency.labels('websocket').observe((now - e.event.at) / 1000);
  },
};

function run(fn: (i: number, now: number) => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < CALLS; i++) fn(i, Date.now());
  return Number(process.hrtime.bigint() - start) / CALLS;
}

const results: Record<string, number[]> = {};
for (let round = 0; round < 5; round++) for (const [name, fn] of Object.entries(variants)) (results[name] ??= []).push(run(fn));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const base = median(results['nothing (loop + Date.now only)']!);
for (const [name, times] of Object.entries(results)) {
  console.log(`${name.padEnd(32)} ${median(times).toFixed(1).padStart(7)} ns/delivery  (+${(median(times) - base).toFixed(1)} ns over the bare loop)`);
}
