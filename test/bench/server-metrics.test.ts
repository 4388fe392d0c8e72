// Reading the server's /metrics: parsing, per-transport deltas and histogram quantiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MetricsSnapshot, bucketQuantile, transportCounters } from '../../bench/server-metrics.js';

const before = MetricsSnapshot.parse(`# HELP rt_events_delivered_total x
# TYPE rt_events_delivered_total counter
rt_events_delivered_total{transport="websocket",type="chat"} 10
rt_events_delivered_total{transport="sse",type="chat"} 5
rt_events_published_total{transport="websocket",type="chat"} 2
rt_bytes_sent_total{transport="websocket"} 1000
rt_delivery_latency_seconds_bucket{le="0.001",transport="websocket"} 5
rt_delivery_latency_seconds_bucket{le="0.01",transport="websocket"} 10
rt_delivery_latency_seconds_bucket{le="+Inf",transport="websocket"} 10
process_cpu_seconds_total 1.5
`);
const after = MetricsSnapshot.parse(`rt_events_delivered_total{transport="websocket",type="chat"} 110
rt_events_delivered_total{transport="websocket",type="location"} 20
rt_events_delivered_total{transport="sse",type="chat"} 5
rt_events_published_total{transport="websocket",type="chat"} 7
rt_events_published_total{transport="http",type="chat"} 3
rt_bytes_sent_total{transport="websocket"} 25000
rt_connections{transport="websocket"} 4
rt_connections_closed_total{transport="websocket",reason="slow_consumer"} 1
rt_dropped_events_total{transport="websocket",reason="slow_consumer"} 1
rt_poll_requests_total{transport="websocket",result="empty"} 0
rt_delivery_latency_seconds_bucket{le="0.001",transport="websocket"} 65
rt_delivery_latency_seconds_bucket{le="0.01",transport="websocket"} 130
rt_delivery_latency_seconds_bucket{le="+Inf",transport="websocket"} 130
process_cpu_seconds_total 4
`);

test('parses samples with and without labels', () => {
  assert.equal(before.sum('rt_events_delivered_total'), 15);
  assert.equal(before.sum('rt_events_delivered_total', { transport: 'sse' }), 5);
  assert.equal(before.sum('process_cpu_seconds_total'), 1.5);
  assert.ok(before.has('rt_bytes_sent_total'));
  assert.ok(!before.has('nope'));
  assert.deepEqual(after.byLabel('rt_events_published_total', 'transport'), { websocket: 7, http: 3 });
  assert.deepEqual(before.buckets('rt_delivery_latency_seconds', { transport: 'websocket' }), [[0.001, 5], [0.01, 10], [Infinity, 10]]);
});

test('per-transport counters over a window', () => {
  const c = transportCounters(before, after, 'websocket');
  assert.equal(c.delivered, 120);
  assert.equal(c.published, 8, 'every source');
  assert.deepEqual(c.publishedBySource, { websocket: 5, http: 3 });
  assert.equal(c.bytesSent, 24000);
  assert.equal(c.connectionsAtEnd, 4);
  assert.deepEqual(c.closed, { slow_consumer: 1 });
  assert.deepEqual(c.dropped, { slow_consumer: 1 });
  assert.deepEqual(c.polls, {});
  assert.equal(c.processCpuSeconds, 2.5);
  // 60 of 120 in the window fell under 1 ms: the median is at the first bucket's edge.
  assert.equal(c.serverLatencyMs.p50, 1);
  assert.ok(c.serverLatencyMs.p99! > 1 && c.serverLatencyMs.p99! <= 10);
});

test('bucket quantiles interpolate inside the bucket, as histogram_quantile does', () => {
  assert.equal(bucketQuantile(0.5, []), null);
  assert.equal(bucketQuantile(0.5, [[1, 0], [2, 10], [Infinity, 10]]), 1.5);
  assert.equal(bucketQuantile(0.99, [[1, 0], [Infinity, 10]]), 1, 'the +Inf bucket answers its lower edge');
});
