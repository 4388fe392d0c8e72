// The broker contract against a real Redis, plus what only a shared broker has: several instances on
// one Redis, the key layout, start-up failure, and the metrics hooks.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisBroker, type RedisBrokerOptions } from '../../src/broker/redis.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createBroker } from '../../src/app.js';
import { Metrics } from '../../src/metrics.js';
import type { EncodedEvent } from '../../src/domain/events.js';
import { noRedisServer, sharedRedis, freePort } from '../support/redis-server.js';
import { brokerContract, chatDraft, eventually, locationDraft, uniqueGroup } from './contract.js';

const redis = noRedisServer ? undefined : await sharedRedis();
after(async () => redis?.stop());
const prefix = `rt-test-${process.pid}`;
const connect = (options: Partial<RedisBrokerOptions> = {}) =>
  RedisBroker.connect({ historySize: 1000, groupIdleMs: 600_000, url: redis!.url, keyPrefix: prefix, ...options });

if (redis) brokerContract('redis', (options) => connect(options));

describe('RedisBroker', { skip: noRedisServer }, () => {
  const open: RedisBroker[] = [];
  let raw: Redis;
  const make = async (options: Partial<RedisBrokerOptions> = {}) => {
    const broker = await connect(options);
    open.push(broker);
    return broker;
  };
  before(() => {
    raw = new Redis(redis!.url);
  });
  after(async () => {
    await Promise.all(open.map((b) => b.close()));
    raw.disconnect();
  });

  test('instances share groups: publish on A and B, subscribe on B, resume on C', async () => {
    const [a, b, c] = [await make(), await make(), await make()];
    const group = uniqueGroup();
    const onB: EncodedEvent[] = [];
    b.setHandler((e) => onB.push(e));
    await b.subscribe(group);
    const accepted = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).publish(chatDraft(group, `m${i}`))));
    assert.deepEqual(accepted.map((e) => e.event.seq).sort((x, y) => x - y), Array.from({ length: 40 }, (_, i) => i + 1));
    await eventually(() => onB.length === 40, 3000, '40 events on B');
    assert.deepEqual(onB.map((e) => e.event.seq), Array.from({ length: 40 }, (_, i) => i + 1));
    const resumed = await c.read(group, 30);
    assert.deepEqual(resumed.events.map((e) => e.json), onB.slice(30).map((e) => e.json));
    assert.equal((await c.snapshot(group)).chat.length, 40);
  });

  test('key layout: hash-tagged keys, stream ids <seq>-0 trimmed exactly, expiry of GROUP_IDLE_MS', async () => {
    const broker = await make({ historySize: 3, groupIdleMs: 60_000 });
    const group = uniqueGroup();
    for (let i = 0; i < 5; i++) await broker.publish(i % 2 ? chatDraft(group, `m${i}`) : locationDraft(group, `u${i}`));
    const base = `${prefix}:{${group}}`;
    assert.deepEqual((await raw.keys(`${prefix}:{${group}}:*`)).sort(), [`${base}:chat`, `${base}:log`, `${base}:members`, `${base}:seq`]);
    assert.equal(await raw.get(`${base}:seq`), '5');
    const entries = await raw.xrange(`${base}:log`, '-', '+');
    assert.deepEqual(entries.map(([id]) => id), ['3-0', '4-0', '5-0']);
    assert.equal(JSON.parse(entries[2]![1][1]!).seq, 5);
    for (const key of ['seq', 'log', 'members', 'chat']) {
      const ttl = await raw.pttl(`${base}:${key}`);
      assert.ok(ttl > 55_000 && ttl <= 60_000, `${key} expires in ${ttl} ms`);
    }
  });

  test('subscribe resolves after Redis acknowledged it: an event published right after is delivered', async () => {
    const [a, b] = [await make(), await make()];
    const got: EncodedEvent[] = [];
    b.setHandler((e) => got.push(e));
    for (let i = 0; i < 20; i++) {
      const group = uniqueGroup();
      await b.subscribe(group);
      await a.publish(locationDraft(group));
    }
    await eventually(() => got.length === 20, 3000, 'one event on each of 20 fresh subscriptions');
  });

  test('SUBSCRIBEs a group channel only while the instance has subscribers on it', async () => {
    const broker = await make();
    const [g1, g2] = [uniqueGroup(), uniqueGroup()];
    const numsub = async (group: string) => (await raw.pubsub('NUMSUB', `${prefix}:{${group}}:ch`))[1];
    assert.equal(await numsub(g1), 0);
    await broker.subscribe(g1);
    await broker.subscribe(g2);
    assert.deepEqual([await numsub(g1), await numsub(g2)], [1, 1]);
    await broker.unsubscribe(g1);
    await eventually(async () => (await numsub(g1)) === 0, 2000, 'UNSUBSCRIBE of g1');
    assert.equal(await numsub(g2), 1);
  });

  test('Redis unreachable at start: ConfigError naming REDIS_URL, fast, password redacted', async () => {
    const port = await freePort();
    const started = Date.now();
    await assert.rejects(
      RedisBroker.connect({ historySize: 10, groupIdleMs: 1000, url: `redis://user:secret@127.0.0.1:${port}` }),
      (err: unknown) => err instanceof ConfigError && err.variable === 'REDIS_URL' && /127\.0\.0\.1/.test(err.message) && !/secret/.test(err.message),
    );
    assert.ok(Date.now() - started < 2000);
    const config = loadConfig({ BROKER: 'redis', REDIS_URL: `redis://127.0.0.1:${port}` });
    await assert.rejects(createBroker(config), (err: unknown) => err instanceof ConfigError && err.variable === 'REDIS_URL');
  });

  test('createBroker wires rt_broker_publish_seconds, rt_broker_errors_total and the delivery lag', async () => {
    const metrics = new Metrics({ defaultMetrics: false });
    const broker = await createBroker(loadConfig({ BROKER: 'redis', REDIS_URL: redis!.url }), metrics);
    open.push(broker as RedisBroker);
    const group = uniqueGroup();
    let delivered = 0;
    broker.setHandler(() => delivered++);
    await broker.subscribe(group);
    await broker.publish(locationDraft(group));
    await eventually(() => delivered === 1, 2000, 'delivery');
    await raw.set(`rt:{${group}}:seq`, 'not a number'); // makes the script fail: one counted error
    await assert.rejects(broker.publish(locationDraft(group)), { code: 'broker_unavailable' });
    await raw.del(`rt:{${group}}:seq`, `rt:{${group}}:log`, `rt:{${group}}:members`, `rt:{${group}}:chat`);
    const text = await metrics.registry.metrics();
    assert.match(text, /rt_broker_publish_seconds_count\{broker="redis"\} 1\b/);
    assert.match(text, /rt_broker_errors_total\{broker="redis"\} 1\b/);
    assert.match(text, /rt_broker_delivery_lag_seconds_count\{broker="redis"\} 1\b/);
    // Arrival is read below the millisecond against the whole-ms `at`: the sample has a fraction of a ms.
    // Accept is taken as the middle of `at`'s millisecond, so a delivery within 0.5 ms reads down to -0.5.
    const lagMs = Number(/rt_broker_delivery_lag_seconds_sum\{broker="redis"\} (\S+)/.exec(text)![1]) * 1000;
    assert.ok(lagMs >= -0.5 && lagMs < 1000, `lag ${lagMs} ms`);
    assert.ok(Math.abs(lagMs - Math.round(lagMs)) > 1e-6, `lag ${lagMs} ms has a fraction`);
  });
});
