import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS as ALL_TRANSPORTS, type RtEvent } from '../../src/domain/events.js';
import { openClient, openPublisher } from '../clients/index.js';
import { noRedisServer, startRedis } from '../support/redis-server.js';
import { startInstances } from './instances.js';
import { RELAY_URL, RUN_ID, noRabbitStomp } from '../support/rabbitmq.js';

// stomp-relay runs where RabbitMQ's STOMP plugin is available (every instance relays through it).
const TRANSPORTS = noRabbitStomp ? ALL_TRANSPORTS.filter((t) => t !== 'stomp-relay') : ALL_TRANSPORTS;
const RELAY: Record<string, string> = noRabbitStomp ? {} : { STOMP_RELAY_URL: RELAY_URL };

// SIGTERM one instance mid-stream: its clients of every transport reconnect to another instance with
// their cursor and, across the two connections, see every event exactly once, in order.
test('SIGTERM an instance: clients resume elsewhere by cursor with zero loss and zero duplicates', { skip: noRedisServer, timeout: 90_000 }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const [a, b] = await startInstances(2, redis.url, RELAY);
  t.after(() => Promise.all([a!.stop(), b!.stop()]));

  const publisher = openPublisher('http', b!.baseUrl, 'pub');
  const firstClients = await Promise.all(TRANSPORTS.map((transport) => openClient(transport, a!.baseUrl)));
  for (const [i, client] of firstClients.entries()) await client.subscribe(`fo-${TRANSPORTS[i]}-${RUN_ID}`);
  const publishAll = async (n: number) => {
    for (let k = 0; k < n; k++) for (const transport of TRANSPORTS) await publisher.publish(`fo-${transport}-${RUN_ID}`, { type: 'chat', text: `${k}` });
  };

  await publishAll(10);
  for (const client of firstClients) await client.waitForCount(10, 10_000);
  const stopping = a!.stop(); // SIGTERM: streams get their reconnect hint, the process exits 0
  await publishAll(10); // published while the clients move
  await stopping;
  await Promise.all(firstClients.map((c) => c.close().catch(() => {})));

  const secondClients = await Promise.all(TRANSPORTS.map((transport) => openClient(transport, b!.baseUrl)));
  t.after(() => Promise.all(secondClients.map((c) => c.close())));
  for (const [i, client] of secondClients.entries()) await client.subscribe(`fo-${TRANSPORTS[i]}-${RUN_ID}`, firstClients[i]!.lastSeq());
  await publishAll(10);
  for (const [i, client] of secondClients.entries()) {
    await client.waitForCount(30 - firstClients[i]!.lastSeq(), 10_000);
    await new Promise((r) => setTimeout(r, 50));
    const seqs = [...firstClients[i]!.events, ...client.events].map((e: RtEvent) => e.seq);
    assert.deepEqual(seqs, Array.from({ length: 30 }, (_, k) => k + 1), `${TRANSPORTS[i]}: 1..30 exactly once`);
  }
});
