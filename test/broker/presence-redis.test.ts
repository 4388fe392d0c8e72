// The Presence contract on a real Redis, plus what only shared presence has: several instances'
// union, leases that end without renewal, renewal that keeps entries, the key layout.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisPresence, type RedisPresenceOptions } from '../../src/broker/presence-redis.js';
import { ConfigError } from '../../src/config.js';
import { noRedisServer, sharedRedis, freePort } from '../support/redis-server.js';
import { eventually, uniqueGroup } from './contract.js';
import { presenceContract } from './presence-contract.js';

const redis = noRedisServer ? undefined : await sharedRedis();
after(async () => redis?.stop());
const prefix = `rt-test-${process.pid}`;
const connect = (options: Partial<RedisPresenceOptions> = {}) =>
  RedisPresence.connect({ url: redis!.url, keyPrefix: prefix, leaseMs: 15_000, renewMs: 5_000, ...options });

if (redis) presenceContract('redis', () => connect());

describe('RedisPresence', { skip: noRedisServer }, () => {
  const open: RedisPresence[] = [];
  const make = async (options: Partial<RedisPresenceOptions> = {}) => {
    const p = await connect(options);
    open.push(p);
    return p;
  };
  const raw = redis ? new Redis(redis.url) : undefined;
  after(async () => {
    await Promise.all(open.map((p) => p.close()));
    raw?.disconnect();
  });

  test('online is the union over instances; one closing removes only its own entries, at once', async () => {
    const [a, b, c] = [await make(), await make(), await make()];
    const group = uniqueGroup('p');
    a.join(group, 'u1', 'sse');
    b.join(group, 'u2', 'stomp');
    b.join(group, 'u1', 'sse'); // the same user and transport on two instances is one entry
    await eventually(async () => (await c.online(group)).length === 2, 3000, 'both users seen from c');
    assert.deepEqual(await c.online(group), [{ user: 'u1', transport: 'sse' }, { user: 'u2', transport: 'stomp' }]);
    await b.close();
    assert.deepEqual(await c.online(group), [{ user: 'u1', transport: 'sse' }], 'u1 is still online on a');
  });

  test('an instance that stops renewing (a crash) leaves when its lease ends; renewal keeps entries alive', async () => {
    const group = uniqueGroup('p');
    const key = `${prefix}:{${group}}:presence`;
    const time = await raw!.time();
    const now = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000);
    await raw!.zadd(key, now + 2000, 'crashed-instance|ghost|websocket', now - 1, 'older|stale|sse');
    const live = await make({ leaseMs: 1000, renewMs: 100 });
    live.join(group, 'alive', 'sse');
    const reader = await make();
    await eventually(async () => (await reader.online(group)).length === 2, 3000, 'ghost and alive, not the stale one');
    assert.deepEqual((await reader.online(group)).map((e) => e.user), ['alive', 'ghost']);
    await eventually(async () => (await reader.online(group)).length === 1, 5000, 'the ghost lease ended');
    await new Promise((r) => setTimeout(r, 1500)); // past `alive`'s first lease: renewals kept it
    assert.deepEqual(await reader.online(group), [{ user: 'alive', transport: 'sse' }]);
  });

  test('key layout: one hash-tagged sorted set per group, scored by expiry, gone when everybody left', async () => {
    const p = await make({ instanceId: 'inst-1' });
    const group = uniqueGroup('p');
    const key = `${prefix}:{${group}}:presence`;
    p.join(group, 'u1', 'long-polling');
    await eventually(async () => (await raw!.exists(key)) === 1, 3000, 'the key exists');
    assert.equal(await raw!.type(key), 'zset');
    assert.deepEqual(await raw!.zrange(key, 0, -1), ['inst-1|u1|long-polling']);
    const ttl = await raw!.pttl(key);
    assert.ok(ttl > 0 && ttl <= 15_000, `the key expires with its last lease (pttl ${ttl})`);
    p.leave(group, 'u1', 'long-polling');
    await eventually(async () => (await raw!.exists(key)) === 0, 3000, 'the key is removed');
  });

  test('a renewal period not shorter than the lease is refused, naming the variable', async () => {
    await assert.rejects(connect({ leaseMs: 1000, renewMs: 1000 }), (e: unknown) => e instanceof ConfigError && e.variable === 'PRESENCE_RENEW_MS');
  });

  test('unreachable Redis fails the start naming REDIS_URL', async () => {
    const port = await freePort();
    await assert.rejects(
      RedisPresence.connect({ url: `redis://127.0.0.1:${port}`, leaseMs: 1000, renewMs: 100 }),
      (e: unknown) => e instanceof ConfigError && e.variable === 'REDIS_URL',
    );
  });
});
