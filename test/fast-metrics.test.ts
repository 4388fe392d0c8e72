import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from '../src/fast-metrics.js';

// The fast families must be indistinguishable from prom-client's on the wire: same observations, same text.

describe('fast metric families', () => {
  test('a counter renders exactly as prom-client renders the same increments', async () => {
    const fastRegistry = new Registry();
    const promRegistry = new Registry();
    const fast = new FastCounter('c_total', 'help text', ['transport', 'type'], fastRegistry);
    const prom = new Counter({ name: 'c_total', help: 'help text', labelNames: ['transport', 'type'], registers: [promRegistry] });
    const child = fast.child('sse', 'chat');
    for (let i = 0; i < 5; i++) child.inc();
    fast.child('websocket', 'location').inc(2.5);
    prom.labels('sse', 'chat').inc(5);
    prom.labels('websocket', 'location').inc(2.5);
    assert.equal(await fastRegistry.metrics(), await promRegistry.metrics());
  });

  test('a histogram renders exactly as prom-client renders the same observations', async () => {
    const buckets = [0.001, 0.01, 0.1, 1];
    const fastRegistry = new Registry();
    const promRegistry = new Registry();
    const fast = new FastHistogram('h_seconds', 'latency', ['transport'], buckets, fastRegistry);
    const prom = new Histogram({ name: 'h_seconds', help: 'latency', labelNames: ['transport'], buckets, registers: [promRegistry] });
    const values = [0, 0.001, 0.0011, 0.05, 0.1, 0.5, 1, 7, 0.0005];
    for (const v of values) {
      fast.child('stomp').observe(v);
      prom.labels('stomp').observe(v);
    }
    assert.equal(await fastRegistry.metrics(), await promRegistry.metrics());
  });

  test('a child is created once and reset clears it', async () => {
    const registry = new Registry();
    const counter = new FastCounter('x_total', 'x', ['a'], registry);
    assert.equal(counter.child('1'), counter.child('1'));
    counter.child('1').inc(3);
    counter.reset();
    assert.equal((await counter.get()).values[0]!.value, 0);
    const histogram = new FastHistogram('y', 'y', ['a'], [1], registry);
    histogram.child('1').observe(0.5);
    histogram.reset();
    assert.deepEqual((await histogram.get()).values.map((v) => v.value), [0, 0, 0, 0]);
  });
});
