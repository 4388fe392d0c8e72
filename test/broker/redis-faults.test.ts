// Faults, each on a redis-server of our own (never the machine's 6379): Redis killed and restarted,
// the subscriber connections killed mid-stream. Nothing accepted is lost, nothing delivered twice,
// and while Redis is away publishes fail at once and readiness is false.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisBroker } from '../../src/broker/redis.js';
import { Hub, type Subscriber } from '../../src/domain/hub.js';
import type { EncodedEvent } from '../../src/domain/events.js';
import { noRedisServer, startRedis, type OwnRedis } from '../support/redis-server.js';
import { chatDraft, eventually, uniqueGroup } from './contract.js';

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

/** Instance A (with a Hub) and instance B on one Redis; `viaChannel` records what A got by pub/sub. */
async function setup(server: OwnRedis) {
  const connect = async () => {
    const broker = await RedisBroker.connect({ historySize: 1000, groupIdleMs: 60_000, url: server.url, commandTimeoutMs: 1000 });
    cleanup.push(() => broker.close());
    return broker;
  };
  const [a, b] = [await connect(), await connect()];
  const viaChannel: number[] = [];
  const spied = new Proxy(a, {
    get(target, prop) {
      if (prop === 'setHandler') return (h: (e: EncodedEvent) => void) => target.setHandler((e) => (viaChannel.push(e.event.seq), h(e)));
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { a, b, hubA: new Hub(spied), viaChannel };
}

class Recorder implements Subscriber {
  readonly transport = 'sse' as const;
  readonly user = undefined;
  readonly seqs: number[] = [];
  deliver(event: EncodedEvent): void {
    this.seqs.push(event.event.seq);
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('Redis killed and restarted: fail fast while away, not ready, then every event exactly once', { skip: noRedisServer }, async () => {
  const server = await startRedis({ persistent: true });
  cleanup.push(() => server.stop());
  const { a, b, hubA } = await setup(server);
  const group = uniqueGroup();
  const recorders = [new Recorder(), new Recorder()];
  for (const r of recorders) (await hubA.subscribe(group, r, undefined)).start();
  for (let i = 1; i <= 10; i++) await b.publish(chatDraft(group, `m${i}`));
  await eventually(() => recorders.every((r) => r.seqs.length === 10), 2000, 'ten live events');

  await server.kill();
  await eventually(() => !a.isReady() && !b.isReady(), 2000, 'isReady() false on both instances');
  const started = Date.now();
  await assert.rejects(a.publish(chatDraft(group, 'lost')), { code: 'broker_unavailable' });
  await assert.rejects(b.read(group, 0), { code: 'broker_unavailable' });
  assert.ok(Date.now() - started < 200, `failed in ${Date.now() - started} ms, not at once`);

  await server.start();
  await eventually(() => a.isReady() && b.isReady(), 5000, 'both instances ready again');
  for (let i = 11; i <= 20; i++) await b.publish(chatDraft(group, `m${i}`));
  await eventually(() => recorders.every((r) => r.seqs.length >= 20), 3000, 'the events after the restart');
  await new Promise((r) => setTimeout(r, 100)); // room for a duplicate to show up
  for (const r of recorders) assert.deepEqual(r.seqs, range(1, 20));
});

test('CLIENT KILL TYPE pubsub mid-stream with no later publish: resync delivers the missed events', { skip: noRedisServer }, async () => {
  const server = await startRedis();
  cleanup.push(() => server.stop());
  const { b, hubA, viaChannel } = await setup(server);
  const group = uniqueGroup();
  const recorder = new Recorder();
  (await hubA.subscribe(group, recorder, undefined)).start();
  for (let i = 1; i <= 5; i++) await b.publish(chatDraft(group, `m${i}`));
  await eventually(() => recorder.seqs.length === 5, 2000, 'five live events');

  const raw = new Redis(server.url);
  cleanup.push(async () => raw.disconnect());
  await raw.client('KILL', 'TYPE', 'pubsub');
  for (let i = 6; i <= 25; i++) await b.publish(chatDraft(group, `m${i}`)); // while A resubscribes
  await eventually(() => recorder.seqs.length >= 25, 3000, 'the events published while unsubscribed');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(recorder.seqs, range(1, 25));
  assert.ok(viaChannel.length < 25, 'some events never came by pub/sub: the resync read delivered them');
});

test('pub/sub connections killed repeatedly under steady publishing: each seq once, in order', { skip: noRedisServer }, async () => {
  const server = await startRedis();
  cleanup.push(() => server.stop());
  const { b, hubA } = await setup(server);
  const groups = [uniqueGroup(), uniqueGroup(), uniqueGroup()];
  const recorders = new Map<string, Recorder[]>();
  for (const group of groups) {
    const list = [new Recorder(), new Recorder()];
    recorders.set(group, list);
    for (const r of list) (await hubA.subscribe(group, r, 0)).start();
  }
  const raw = new Redis(server.url);
  cleanup.push(async () => raw.disconnect());
  const total = 200;
  for (let i = 1; i <= total; i++) {
    await Promise.all(groups.map((g) => b.publish(chatDraft(g, `m${i}`))));
    if (i % 50 === 0) await raw.client('KILL', 'TYPE', 'pubsub');
    if (i % 10 === 0) await new Promise((r) => setTimeout(r, 5));
  }
  const all = [...recorders.values()].flat();
  await eventually(() => all.every((r) => r.seqs.length >= total), 5000, `${total} events on every subscriber`);
  await new Promise((r) => setTimeout(r, 100));
  for (const r of all) assert.deepEqual(r.seqs, range(1, total));
});
