// Three server processes on one Redis (BROKER=redis): subscribers of all five transports spread over
// them, publishers over HTTP, WebSocket and STOMP on different instances, cursors resumed on another
// instance; then Redis is killed and restarted under open streams.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS as ALL_TRANSPORTS, type PublishCommand } from '../../src/domain/events.js';
import { openClient, openPublisher, type Publisher, type TestClient } from '../clients/index.js';
import { noRedisServer, startRedis, type OwnRedis } from '../support/redis-server.js';
import { uniqueGroup } from '../broker/contract.js';
import { metric, startInstances, type Instance } from './instances.js';
import { RELAY_URL, noRabbitStomp } from '../support/rabbitmq.js';

// stomp-relay runs where RabbitMQ's STOMP plugin is available (every instance relays through it).
const TRANSPORTS = noRabbitStomp ? ALL_TRANSPORTS.filter((t) => t !== 'stomp-relay') : ALL_TRANSPORTS;
const RELAY: Record<string, string> = noRabbitStomp ? {} : { STOMP_RELAY_URL: RELAY_URL };

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

let redis: OwnRedis;
let instances: Instance[] = [];
if (!noRedisServer) {
  redis = await startRedis({ persistent: true }); // the fault test restarts it; its data must survive
  cleanup.push(() => redis.stop());
  instances = await startInstances(3, redis.url, RELAY);
  cleanup.push(() => Promise.all(instances.map((i) => i.stop())));
}

const chat = (i: number): PublishCommand => ({ type: 'chat', text: `m${i}`, sentAt: Date.now() });
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** One client of every transport on `instance`, subscribed at `since`. */
async function subscribeOn(instance: Instance, group: string, since: number): Promise<TestClient[]> {
  const clients: TestClient[] = [];
  for (const transport of TRANSPORTS) {
    const client = await openClient(transport, instance.baseUrl, { user: 'sub' });
    cleanup.push(() => client.close());
    clients.push(client);
    await client.subscribe(group, since);
  }
  return clients;
}

/** One client of every transport on every instance. */
async function subscribeEverywhere(group: string, since: number): Promise<TestClient[]> {
  return (await Promise.all(instances.map((i) => subscribeOn(i, group, since)))).flat();
}

function publishers(): Publisher[] {
  const list = (['http', 'websocket', 'stomp'] as const).map((via, n) => openPublisher(via, instances[n]!.baseUrl, `pub${n}`));
  for (const p of list) cleanup.push(() => p.close());
  return list;
}

async function expectAll(clients: TestClient[], from: number, to: number): Promise<void> {
  await Promise.all(clients.map((c) => c.waitForCount(to - from + 1, 8000)));
  await new Promise((r) => setTimeout(r, 150)); // room for a duplicate to show up
  for (const c of clients) {
    assert.deepEqual(c.events.map((e) => e.seq), range(from, to), `${c.transport}: each seq once, in order`);
  }
}

test('five transports on three instances: publish anywhere, every subscriber gets 1..N once in order', { skip: noRedisServer }, async () => {
  const group = uniqueGroup('x');
  const clients = await subscribeEverywhere(group, 0);
  const pubs = publishers();
  const n = 30;
  const seqs: number[] = [];
  for (let i = 1; i <= n; i++) seqs.push(await pubs[i % 3]!.publish(group, chat(i)));
  assert.deepEqual(seqs, range(1, n), 'seqs from three instances are one gap-free sequence');
  await expectAll(clients, 1, n);
  // The same event, byte for byte, whichever instance delivered it.
  const texts = clients.map((c) => JSON.stringify(c.events.map((e) => [e.seq, e.at, e.user, e.data])));
  assert.equal(new Set(texts).size, 1);

  // Resume on the third instance from a cursor obtained on the others.
  await expectAll(await subscribeOn(instances[2]!, group, 20), 21, n);
  const snapshot = (await (await fetch(`${instances[2]!.baseUrl}/groups/${group}/snapshot`)).json()) as { seq: number; chat: unknown[] };
  assert.deepEqual([snapshot.seq, snapshot.chat.length], [n, n]);
});

test('Redis killed and restarted: 503 while away, streams stay open, every event exactly once', { skip: noRedisServer }, async () => {
  const group = uniqueGroup('f');
  const clients = await subscribeEverywhere(group, 0);
  const pubs = publishers();
  for (let i = 1; i <= 10; i++) await pubs[i % 3]!.publish(group, chat(i));
  await Promise.all(clients.map((c) => c.waitForCount(10, 5000)));
  const streams = ['sse', 'websocket', 'stomp'] as const;
  const opened = async () =>
    Promise.all(instances.flatMap((i) => streams.map((t) => metric(i.baseUrl, `rt_connections_opened_total{transport="${t}"}`))));
  const openedBefore = await opened();

  await redis.kill();
  const a = instances[0]!.baseUrl;
  const deadline = Date.now() + 3000;
  while ((await fetch(`${a}/readyz`)).status !== 503) {
    assert.ok(Date.now() < deadline, '/readyz turns 503');
    await new Promise((r) => setTimeout(r, 20));
  }
  const started = Date.now();
  const refused = await fetch(`${a}/groups/${group}/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(chat(0)) });
  assert.equal(refused.status, 503);
  assert.equal(((await refused.json()) as { error: { code: string } }).error.code, 'broker_unavailable');
  assert.ok(Date.now() - started < 500, 'the publish was refused at once');

  await redis.start();
  for (const instance of instances) {
    const until = Date.now() + 8000;
    while ((await fetch(`${instance.baseUrl}/readyz`)).status !== 200) {
      assert.ok(Date.now() < until, `${instance.baseUrl} ready again`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  for (let i = 11; i <= 20; i++) await pubs[i % 3]!.publish(group, chat(i));
  await expectAll(clients, 1, 20);
  assert.deepEqual(await opened(), openedBefore, 'no SSE, WebSocket or STOMP client had to reconnect');
});
