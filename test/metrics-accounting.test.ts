import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS } from '../src/domain/events.js';
import { openClient, openPublisher } from './clients/index.js';
import { metricValue, startServer, until } from './support/server.js';
import { RELAY_URL, RUN_ID, noRabbitStomp } from './support/rabbitmq.js';

// Exact per-transport accounting: what the server counts is what the clients received.

describe('metrics count the real events on every transport', () => {
  for (const transport of TRANSPORTS) {
    const relay = transport === 'stomp-relay';
    test(`${transport}: N events to M subscribers raise rt_events_delivered_total by N*M; gauges return to zero`, { skip: relay && noRabbitStomp }, async (t) => {
      const { baseUrl, app } = await startServer(t, relay ? { stompRelayUrl: RELAY_URL } : {});
      const group = relay ? `acct-${RUN_ID}` : 'acct'; // the relay broker's topics are shared between test runs
      const M = 3;
      const N = 7;
      const clients = await Promise.all(Array.from({ length: M }, () => openClient(transport, baseUrl)));
      for (const client of clients) await client.subscribe(group);
      const publisher = openPublisher('http', baseUrl);
      for (let i = 0; i < N; i++) await publisher.publish(group, { type: i % 2 ? 'chat' : 'location', ...(i % 2 ? { text: 'x' } : { lat: 1, lng: 1 }) } as never);
      for (const client of clients) await client.waitForCount(N);
      await Promise.all(clients.map((c) => c.close()));

      const delivered = await metricValue(app, 'rt_events_delivered_total', { transport });
      assert.equal(delivered, N * M);
      assert.equal(await metricValue(app, 'rt_events_delivered_total', { transport, type: 'chat' }), 3 * M);
      assert.equal(await metricValue(app, 'rt_events_published_total', { transport: 'http' }), N);
      const latencyCount = (await app.metrics.registry.getSingleMetric('rt_delivery_latency_seconds')!.get()).values.find(
        (v) => (v as { metricName?: string }).metricName === 'rt_delivery_latency_seconds_count' && v.labels.transport === transport,
      );
      assert.equal(latencyCount?.value, N * M, 'one latency observation per delivery');
      assert.ok((await metricValue(app, 'rt_bytes_sent_total', { transport })) > N * M * 50, 'bytes counted');
      await until(() => app.connections.count === 0, 3000, 'connections released');
      assert.equal(await metricValue(app, 'rt_connections', { transport }), 0, 'gauge back to zero');
      if (transport === 'short-polling' || transport === 'long-polling') {
        assert.ok((await metricValue(app, 'rt_poll_requests_total', { transport, result: 'events' })) >= M);
      } else {
        assert.equal(await metricValue(app, 'rt_connections_opened_total', { transport }), M);
        assert.equal(await metricValue(app, 'rt_connections_closed_total', { transport, reason: 'client' }), M);
      }
      assert.deepEqual(app.hub.stats(), { groups: 0, subscriptions: 0 });
    });
  }
});
