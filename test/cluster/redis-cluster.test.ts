// REDIS_CLUSTER: three masters started from Debian's redis-server on loopback ports. The broker
// contract runs unchanged against it, then groups spread over every shard cross instances through
// sharded pub/sub (SPUBLISH in the script, SSUBSCRIBE on the owning master). The presence contract
// runs on it too, with groups on every shard.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Cluster, Redis } from 'ioredis';
import { RedisBroker } from '../../src/broker/redis.js';
import type { BrokerOptions } from '../../src/broker/broker.js';
import type { EncodedEvent } from '../../src/domain/events.js';
import { Hub, type Subscriber } from '../../src/domain/hub.js';
import { noRedisServer, startCluster } from '../support/redis-server.js';
import { brokerContract, chatDraft, eventually, uniqueGroup } from '../broker/contract.js';
import { RedisPresence } from '../../src/broker/presence-redis.js';
import { presenceContract } from '../broker/presence-contract.js';

const cluster = noRedisServer ? undefined : await startCluster();
const brokers: RedisBroker[] = [];
after(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  await cluster?.stop();
});
const connect = async (options: Partial<BrokerOptions> = {}) => {
  const broker = await RedisBroker.connect({ historySize: 1000, groupIdleMs: 600_000, ...options, url: cluster!.url, cluster: true });
  brokers.push(broker);
  return broker;
};

if (cluster) brokerContract('redis cluster', connect);

describe('RedisBroker on a Redis Cluster', { skip: noRedisServer }, () => {
  test('groups on every shard: publish on A, SSUBSCRIBE on B, each seq once in order', async () => {
    const raw = new Cluster([cluster!.url]);
    after(() => raw.disconnect());
    const [a, b] = [await connect(), await connect()];
    // Four groups on each master, picked by the slot owner of their keys (12 random groups missed a
    // master in ~2 % of runs); bounded: a master owns a third of the slots, 300 tries never run out.
    const ranges = await raw.cluster('SLOTS');
    const ownerOf = async (g: string): Promise<number> => {
      const slot = (await raw.cluster('KEYSLOT', `rt:{${g}}:seq`)) as number;
      assert.equal(await raw.cluster('KEYSLOT', `rt:{${g}}:log`), slot, 'keys of a group share a slot');
      return ranges.find(([from, to]) => slot >= from && slot <= to)![2][1];
    };
    const groups: string[] = [];
    const onOwner = new Map<number, number>();
    for (let tries = 0; tries < 300 && groups.length < 12; tries++) {
      const g = uniqueGroup('shard');
      const owner = await ownerOf(g);
      const count = onOwner.get(owner) ?? 0;
      if (count === 4) continue;
      onOwner.set(owner, count + 1);
      groups.push(g);
    }
    assert.equal(onOwner.size, 3, 'groups found on all three masters');
    assert.equal(groups.length, 12);
    const got = new Map<string, number[]>(groups.map((g) => [g, []]));
    b.setHandler((e: EncodedEvent) => got.get(e.event.group)?.push(e.event.seq));
    for (const g of groups) await b.subscribe(g);
    for (let i = 1; i <= 10; i++) await Promise.all(groups.map((g) => (i % 2 ? a : b).publish(chatDraft(g, `m${i}`))));
    await eventually(() => [...got.values()].every((s) => s.length === 10), 5000, '10 events on each group');
    for (const [g, seqs] of got) assert.deepEqual(seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], g);

    const resumed = await a.read(groups[0]!, 7);
    assert.deepEqual(resumed.events.map((e) => e.event.seq), [8, 9, 10]);
  });

  test('sharded subscriber connections killed on every master: the missed events still arrive once', async () => {
    const [a, b] = [await connect(), await connect()];
    const hub = new Hub(b);
    const groups = Array.from({ length: 6 }, () => uniqueGroup('kill'));
    const got = new Map<string, number[]>(groups.map((g) => [g, []]));
    for (const g of groups) {
      const recorder: Subscriber = { transport: 'websocket', user: undefined, deliver: (e) => got.get(g)!.push(e.event.seq) };
      (await hub.subscribe(g, recorder, 0)).start();
    }
    for (const g of groups) await a.publish(chatDraft(g, 'first'));
    await eventually(() => [...got.values()].every((s) => s.length === 1), 3000, 'the first event everywhere');
    for (const node of cluster!.nodes) {
      const raw = new Redis(node.url);
      await raw.client('KILL', 'TYPE', 'pubsub');
      raw.disconnect();
    }
    for (let i = 2; i <= 5; i++) await Promise.all(groups.map((g) => a.publish(chatDraft(g, `m${i}`))));
    await eventually(() => [...got.values()].every((s) => s.length >= 5), 5000, 'the events published while resubscribing');
    await new Promise((r) => setTimeout(r, 100));
    for (const [g, seqs] of got) assert.deepEqual(seqs, [1, 2, 3, 4, 5], g);
  });
});

const presences: RedisPresence[] = [];
after(async () => void (await Promise.all(presences.map((p) => p.close()))));
const connectPresence = async () => {
  const presence = await RedisPresence.connect({ url: cluster!.url, cluster: true, leaseMs: 15_000, renewMs: 5_000 });
  presences.push(presence);
  return presence;
};

if (cluster) presenceContract('redis cluster', connectPresence);

describe('RedisPresence on a Redis Cluster', { skip: noRedisServer }, () => {
  test('groups on every shard: entries from two instances, renewed and removed without cross-slot errors', async () => {
    const [a, b] = [await connectPresence(), await connectPresence()];
    const groups = Array.from({ length: 12 }, () => uniqueGroup('pshard'));
    for (const g of groups) {
      a.join(g, 'ua', 'sse');
      b.join(g, 'ub', 'websocket');
    }
    for (const g of groups) {
      await eventually(async () => (await a.online(g)).length === 2, 3000, `both users in ${g}`);
    }
    await b.close(); // one ZREM per group, on whichever master owns it
    for (const g of groups) assert.deepEqual(await a.online(g), [{ user: 'ua', transport: 'sse' }], g);
  });
});
