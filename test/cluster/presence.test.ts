// Presence across three server processes on one Redis: users subscribed over different transports on
// different instances appear in every instance's snapshot; SIGTERM removes an instance's users at once
// (its lease is a minute, so only the shutdown can have removed them); SIGKILL removes them when its
// short lease ends.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { openClient, type TestClient } from '../clients/index.js';
import { noRedisServer, sharedRedis } from '../support/redis-server.js';
import { eventually, uniqueGroup } from '../broker/contract.js';
import { startInstances, type Instance } from './instances.js';
import type { TransportName } from '../../src/domain/events.js';

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {});
});

let instances: Instance[] = [];
if (!noRedisServer) {
  const redis = await sharedRedis();
  cleanup.push(() => redis.stop());
  const long = { PRESENCE_LEASE_MS: '60000', PRESENCE_RENEW_MS: '5000' };
  const short = { PRESENCE_LEASE_MS: '1500', PRESENCE_RENEW_MS: '300' };
  instances = [...(await startInstances(2, redis.url, long)), ...(await startInstances(1, redis.url, short))];
  cleanup.push(() => Promise.all(instances.map((i) => i.stop())));
}

type Online = { user: string; transport: TransportName }[];
async function online(instance: Instance, group: string): Promise<Online> {
  const response = await fetch(`${instance.baseUrl}/groups/${group}/snapshot`);
  assert.equal(response.status, 200);
  return ((await response.json()) as { online: Online }).online;
}

async function join(instance: Instance, group: string, user: string, transport: TransportName): Promise<TestClient> {
  const client = await openClient(transport, instance.baseUrl, { user });
  cleanup.push(() => client.close());
  await client.subscribe(group, 0);
  return client;
}

test('three instances, five transports: every instance answers the whole group; SIGTERM and SIGKILL remove an instance', { skip: noRedisServer }, async () => {
  const [a, b, c] = instances as [Instance, Instance, Instance];
  const group = uniqueGroup('presence');
  await join(a, group, 'ann', 'sse');
  await join(a, group, 'bob', 'long-polling');
  await join(b, group, 'cat', 'websocket');
  await join(b, group, 'ann', 'stomp');
  await join(c, group, 'dan', 'stomp');
  const leaver = await join(c, group, 'eve', 'websocket');
  await join(c, group, 'ann', 'sse'); // the same user and transport on two instances: one entry
  const everyone: Online = [
    { user: 'ann', transport: 'sse' },
    { user: 'ann', transport: 'stomp' },
    { user: 'bob', transport: 'long-polling' },
    { user: 'cat', transport: 'websocket' },
    { user: 'dan', transport: 'stomp' },
    { user: 'eve', transport: 'websocket' },
  ];
  // Joins are written as subscribes are answered, on another connection than the reads: allow a moment.
  await eventually(async () => (await online(a, group)).length === everyone.length, 5000, 'everyone joined');
  for (const instance of instances) assert.deepEqual(await online(instance, group), everyone, `${instance.baseUrl} sees everyone`);

  await leaver.close();
  const withoutEve = everyone.filter((e) => e.user !== 'eve');
  await eventually(async () => (await online(a, group)).length === withoutEve.length, 5000, 'eve left everywhere');
  assert.deepEqual(await online(a, group), withoutEve);

  await b.stop(); // SIGTERM; b's lease is a minute, so what follows is its shutdown's doing
  const withoutB = withoutEve.filter((e) => e.user !== 'cat' && !(e.user === 'ann' && e.transport === 'stomp'));
  assert.deepEqual(await online(a, group), withoutB, 'SIGTERM: gone as soon as the process exited');
  assert.deepEqual(await online(c, group), withoutB);

  await c.kill(); // SIGKILL: nothing removed its entries; its 1.5 s lease ends them
  await eventually(async () => !(await online(a, group)).some((e) => e.user === 'dan'), 10_000, "c's users gone after its lease");
  assert.deepEqual(await online(a, group), [
    { user: 'ann', transport: 'sse' },
    { user: 'bob', transport: 'long-polling' },
  ], "a's users remain (ann on sse is a's own too)");
});
