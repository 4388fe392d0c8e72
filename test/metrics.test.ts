// Metrics (docs/observability.md): every family registered, bound children per transport, and each
// recording method moving the right series.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedEvent, TRANSPORTS, type RtEvent } from '../src/domain/events.js';
import { Metrics } from '../src/metrics.js';

type Labels = Record<string, string | number>;

/** The value of the series of `name` whose labels include `labels` (0 when absent). */
async function value(metrics: Metrics, name: string, labels: Labels = {}, metricName?: string): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `${name} is registered`);
  const { values } = await metric.get();
  const match = values.find((v) => (metricName === undefined || (v as { metricName?: string }).metricName === metricName) && Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value ?? 0;
}

const event = (type: 'location' | 'chat', at: number): EncodedEvent =>
  EncodedEvent.of((type === 'chat'
    ? { seq: 1, group: 'g', type, user: 'u', at, data: { text: 'x' } }
    : { seq: 1, group: 'g', type, user: 'u', at, data: { lat: 0, lng: 0 } }) as RtEvent);

describe('registration', () => {
  test('every metric family is registered with its labels', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const families: Record<string, string> = {
      rt_connections: 'gauge',
      rt_connections_opened_total: 'counter',
      rt_connections_closed_total: 'counter',
      rt_events_published_total: 'counter',
      rt_events_delivered_total: 'counter',
      rt_delivery_latency_seconds: 'histogram',
      rt_bytes_sent_total: 'counter',
      rt_poll_requests_total: 'counter',
      rt_dropped_events_total: 'counter',
      rt_broker_publish_seconds: 'histogram',
      rt_broker_errors_total: 'counter',
    };
    for (const [name, type] of Object.entries(families)) {
      const metric = metrics.registry.getSingleMetric(name);
      assert.ok(metric, name);
      assert.equal((await metric.get()).type, type, name);
    }
    const text = await metrics.registry.metrics();
    for (const name of Object.keys(families)) assert.match(text, new RegExp(`# TYPE ${name} `));
    assert.doesNotMatch(text, /process_cpu/, 'no default metrics when disabled');
  });

  test('default process metrics are collected unless disabled', async () => {
    const text = await new Metrics().registry.metrics();
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
      assert.match(text, new RegExp(`# TYPE ${name} `), name);
    }
  });

  test('two instances have separate registries', async () => {
    const a = new Metrics({ defaultMetrics: false });
    const b = new Metrics({ defaultMetrics: false });
    a.transport('sse').sent(10);
    assert.equal(await value(a, 'rt_bytes_sent_total', { transport: 'sse' }), 10);
    assert.equal(await value(b, 'rt_bytes_sent_total', { transport: 'sse' }), 0);
  });

  test('every transport has bound children, and the same object each time', () => {
    const metrics = new Metrics({ defaultMetrics: false });
    for (const t of TRANSPORTS) {
      assert.equal(metrics.transport(t).transport, t);
      assert.equal(metrics.transport(t), metrics.transport(t));
    }
  });
});

describe('TransportMetrics', () => {
  test('delivered counts by type and observes latency in seconds', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const ws = metrics.transport('websocket');
    ws.delivered(event('chat', 1000), 1002);
    ws.delivered(event('chat', 1000), 1500);
    ws.delivered(event('location', 1000), 1000);
    assert.equal(await value(metrics, 'rt_events_delivered_total', { transport: 'websocket', type: 'chat' }), 2);
    assert.equal(await value(metrics, 'rt_events_delivered_total', { transport: 'websocket', type: 'location' }), 1);
    assert.equal(await value(metrics, 'rt_events_delivered_total', { transport: 'sse', type: 'chat' }), 0);
    assert.equal(await value(metrics, 'rt_delivery_latency_seconds', { transport: 'websocket' }, 'rt_delivery_latency_seconds_count'), 3);
    const sum = await value(metrics, 'rt_delivery_latency_seconds', { transport: 'websocket' }, 'rt_delivery_latency_seconds_sum');
    assert.ok(Math.abs(sum - 0.502) < 1e-9, `sum ${sum}`);
    assert.equal(await value(metrics, 'rt_delivery_latency_seconds', { transport: 'websocket', le: 0.0025 }, 'rt_delivery_latency_seconds_bucket'), 2);
  });

  test('sent adds wire bytes', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.transport('stomp').sent(100);
    metrics.transport('stomp').sent(23);
    assert.equal(await value(metrics, 'rt_bytes_sent_total', { transport: 'stomp' }), 123);
  });

  test('connectionOpened/Closed move the gauge back to 0 and count reasons', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const sse = metrics.transport('sse');
    sse.connectionOpened();
    sse.connectionOpened();
    sse.connectionOpened();
    assert.equal(await value(metrics, 'rt_connections', { transport: 'sse' }), 3);
    sse.connectionClosed('client');
    sse.connectionClosed('client');
    sse.connectionClosed('slow_consumer');
    assert.equal(await value(metrics, 'rt_connections', { transport: 'sse' }), 0);
    assert.equal(await value(metrics, 'rt_connections_opened_total', { transport: 'sse' }), 3);
    assert.equal(await value(metrics, 'rt_connections_closed_total', { transport: 'sse', reason: 'client' }), 2);
    assert.equal(await value(metrics, 'rt_connections_closed_total', { transport: 'sse', reason: 'slow_consumer' }), 1);
    assert.equal(await value(metrics, 'rt_connections', { transport: 'websocket' }), 0);
  });

  test('poll counts by result', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const lp = metrics.transport('long-polling');
    lp.poll('events');
    lp.poll('timeout');
    lp.poll('timeout');
    metrics.transport('short-polling').poll('empty');
    assert.equal(await value(metrics, 'rt_poll_requests_total', { transport: 'long-polling', result: 'events' }), 1);
    assert.equal(await value(metrics, 'rt_poll_requests_total', { transport: 'long-polling', result: 'timeout' }), 2);
    assert.equal(await value(metrics, 'rt_poll_requests_total', { transport: 'short-polling', result: 'empty' }), 1);
  });

  test('rows a transport cannot move are not exported; slow_consumer drops start at 0 on streams', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const text = await metrics.registry.metrics();
    const rows = (name: string) => text.split('\n').filter((l) => l.startsWith(`${name}{`));
    assert.deepEqual([...new Set(rows('rt_poll_requests_total').map((l) => /transport="([^"]+)"/.exec(l)![1]))].sort(), ['long-polling', 'short-polling']);
    assert.deepEqual(rows('rt_dropped_events_total').sort(), ['sse', 'stomp', 'websocket'].map((t) => `rt_dropped_events_total{transport="${t}",reason="slow_consumer"} 0`));
  });

  test('dropped counts events by reason', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.transport('websocket').dropped('slow_consumer', 5);
    metrics.transport('websocket').dropped('slow_consumer');
    assert.equal(await value(metrics, 'rt_dropped_events_total', { transport: 'websocket', reason: 'slow_consumer' }), 6);
  });
});

describe('Metrics', () => {
  test('published counts per source and type, http included', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.published(event('chat', 0), 'http');
    metrics.published(event('chat', 0), 'http');
    metrics.published(event('location', 0), 'stomp');
    metrics.published(event('chat', 0), 'websocket');
    assert.equal(await value(metrics, 'rt_events_published_total', { transport: 'http', type: 'chat' }), 2);
    assert.equal(await value(metrics, 'rt_events_published_total', { transport: 'stomp', type: 'location' }), 1);
    assert.equal(await value(metrics, 'rt_events_published_total', { transport: 'websocket', type: 'chat' }), 1);
    assert.equal(await value(metrics, 'rt_events_published_total', { transport: 'stomp', type: 'chat' }), 0);
  });

  test('brokerCall times a successful call and passes its value through', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    assert.equal(await metrics.brokerCall('memory', Promise.resolve(7), true), 7);
    assert.equal(await metrics.brokerCall('memory', Promise.resolve(8), false), 8);
    assert.equal(await value(metrics, 'rt_broker_publish_seconds', { broker: 'memory' }, 'rt_broker_publish_seconds_count'), 1, 'only the timed call is observed');
    assert.equal(await value(metrics, 'rt_broker_errors_total', { broker: 'memory' }), 0);
  });

  test('brokerCall counts a failure and rethrows it', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const boom = new Error('down');
    await assert.rejects(metrics.brokerCall('redis', Promise.reject(boom), true), (err) => err === boom);
    await assert.rejects(metrics.brokerCall('redis', Promise.reject(boom), false));
    assert.equal(await value(metrics, 'rt_broker_errors_total', { broker: 'redis' }), 2);
    assert.equal(await value(metrics, 'rt_broker_publish_seconds', { broker: 'redis' }, 'rt_broker_publish_seconds_count'), 0);
  });

  test('brokerDeliveryLag observes seconds into rt_broker_delivery_lag_seconds{broker}', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const observe = metrics.brokerDeliveryLag('redis');
    observe(0.002);
    observe(0.5);
    const name = 'rt_broker_delivery_lag_seconds';
    assert.equal(await value(metrics, name, { broker: 'redis' }, `${name}_count`), 2);
    assert.ok(Math.abs((await value(metrics, name, { broker: 'redis' }, `${name}_sum`)) - 0.502) < 1e-9);
    assert.equal(await value(metrics, name, { broker: 'memory' }, `${name}_count`), 0);
  });

  test('rt_broker_delivery_lag_seconds resolves the ms around its 5 ms target (a 4 ms lag is under le=0.004, not le=0.003)', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.brokerDeliveryLag('redis')(0.004);
    metrics.brokerDeliveryLag('redis')(0.007);
    const name = 'rt_broker_delivery_lag_seconds';
    const bucket = (le: number) => value(metrics, name, { broker: 'redis', le }, `${name}_bucket`);
    assert.equal(await bucket(0.003), 0);
    assert.equal(await bucket(0.004), 1);
    assert.equal(await bucket(0.006), 1);
    assert.equal(await bucket(0.0075), 2);
  });

  test('labels are low-cardinality: no group or user appears', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.published(event('chat', 0), 'http');
    metrics.transport('sse').delivered(event('chat', 0), 1);
    const text = await metrics.registry.metrics();
    assert.doesNotMatch(text, /group=|user=/);
  });
});

describe('HTTP sockets', () => {
  test('httpSocketClosed counts by reason; watchHttpSockets reads the count at scrape', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    metrics.httpSocketClosed('pipeline_limit');
    metrics.httpSocketClosed('pipeline_limit');
    metrics.httpSocketClosed('request_timeout');
    assert.equal(await value(metrics, 'rt_http_sockets_closed_total', { reason: 'pipeline_limit' }), 2);
    assert.equal(await value(metrics, 'rt_http_sockets_closed_total', { reason: 'request_timeout' }), 1);
    let open = 3;
    metrics.watchHttpSockets(() => open);
    assert.equal(await value(metrics, 'rt_http_sockets'), 3);
    open = 1;
    assert.equal(await value(metrics, 'rt_http_sockets'), 1);
  });
});
