// The Hub on a Redis broker: events from another instance arrive with Redis' latency (and more, when
// injected), while subscribers join with history reads in flight. Every subscriber must still see
// each seq once, in order, from its cursor on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { RedisBroker } from '../../src/broker/redis.js';
import type { Broker } from '../../src/broker/broker.js';
import { Hub, type Subscriber } from '../../src/domain/hub.js';
import type { EncodedEvent } from '../../src/domain/events.js';
import { noRedisServer, sharedRedis } from '../support/redis-server.js';
import { eventually, uniqueGroup } from './contract.js';

const redis = noRedisServer ? undefined : await sharedRedis();
const brokers: Broker[] = [];
after(async () => {
  await Promise.all(brokers.map((b) => b.close()));
  await redis?.stop();
});
const connect = async () => {
  const broker = await RedisBroker.connect({ historySize: 1000, groupIdleMs: 60_000, url: redis!.url, keyPrefix: `rt-hub-${process.pid}` });
  brokers.push(broker);
  return broker;
};

/** The broker with every delivery held back `ms` (setTimeout keeps equal delays in order). */
function laggy(broker: Broker, ms: number): Broker {
  return new Proxy(broker, {
    get(target, prop) {
      if (prop === 'setHandler') return (h: (e: EncodedEvent) => void) => target.setHandler((e) => setTimeout(h, ms, e));
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** A subscriber that records seqs and where it started. */
class Recorder implements Subscriber {
  readonly transport = 'websocket' as const;
  readonly user = undefined;
  readonly seqs: number[] = [];
  first = 0;
  deliver(event: EncodedEvent): void {
    this.seqs.push(event.event.seq);
  }
}

async function joinWhilePublishing(lagMs: number): Promise<void> {
  const hub = new Hub(lagMs ? laggy(await connect(), lagMs) : await connect());
  const publisher = await connect(); // "instance B"
  const group = uniqueGroup();
  const total = 300;
  const recorders: Recorder[] = [];
  const joins: Promise<void>[] = [];
  for (let seq = 1; seq <= total; seq++) {
    await publisher.publish({ group, type: 'chat', user: 'p', at: Date.now(), data: { text: `m${seq}` } });
    if (seq % 15 === 0) {
      // Join from now, from a cursor a few events back, and from 0, with the group busy.
      for (const since of [undefined, Math.max(0, seq - 7), 0]) {
        const recorder = new Recorder();
        recorders.push(recorder);
        joins.push(
          hub.subscribe(group, recorder, since).then((subscription) => {
            recorder.first = (since ?? subscription.head) + 1;
            subscription.start();
          }),
        );
      }
    }
    if (seq % 5 === 0) await new Promise((r) => setImmediate(r));
  }
  await Promise.all(joins);
  await eventually(() => recorders.every((r) => r.first > total || r.seqs.at(-1) === total), 5000, `every subscriber reaching seq ${total}`);
  for (const r of recorders) {
    const expected = Array.from({ length: total - r.first + 1 }, (_, i) => r.first + i);
    assert.deepEqual(r.seqs, expected, `subscriber from ${r.first}: each seq once, in order`);
  }
}

test('subscribers joining a busy group see each seq once, in order (Redis latency)', { skip: noRedisServer }, async () => {
  await joinWhilePublishing(0);
});

test('the same with 25 ms of injected delivery lag: reads overtake deliveries', { skip: noRedisServer }, async () => {
  await joinWhilePublishing(25);
});

test('resync fills what a group missed with no later event, through the live path', { skip: noRedisServer }, async () => {
  const broker = await connect();
  let resync: (group: string) => void = () => {};
  // Capture the Hub's resync handler and drop deliveries on the floor, as a lost connection would.
  let dropping = false;
  const lossy = new Proxy(broker, {
    get(target, prop) {
      if (prop === 'setHandler') return (h: (e: EncodedEvent) => void) => target.setHandler((e) => dropping || h(e));
      if (prop === 'setResyncHandler') return (h: (g: string) => void) => (resync = h);
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const hub = new Hub(lossy);
  const group = uniqueGroup();
  const recorder = new Recorder();
  (await hub.subscribe(group, recorder, undefined)).start();
  const publish = (n: number) => broker.publish({ group, type: 'chat', user: 'p', at: Date.now(), data: { text: `m${n}` } });
  for (let i = 1; i <= 3; i++) await publish(i);
  await eventually(() => recorder.seqs.length === 3, 2000, 'three live events');
  dropping = true;
  for (let i = 4; i <= 9; i++) await publish(i);
  await new Promise((r) => setTimeout(r, 50));
  dropping = false;
  resync(group);
  resync(group); // a second request while the first read is in flight reads again, without duplicates
  await eventually(() => recorder.seqs.length === 9, 2000, 'the six missed events');
  await publish(10);
  await eventually(() => recorder.seqs.length === 10, 2000, 'the next live event');
  assert.deepEqual(recorder.seqs, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
});

test('a resync asked for while the first history read is in flight reads again after it', { skip: noRedisServer }, async () => {
  const broker = await connect();
  let resync: (group: string) => void = () => {};
  let releaseRead: () => void = () => {};
  const readGate = new Promise<void>((r) => (releaseRead = r));
  let dropping = true; // the subscriber connection "dropped" right after SUBSCRIBE was acknowledged
  const slow = new Proxy(broker, {
    get(target, prop) {
      if (prop === 'setHandler') return (h: (e: EncodedEvent) => void) => target.setHandler((e) => dropping || h(e));
      if (prop === 'setResyncHandler') return (h: (g: string) => void) => (resync = h);
      if (prop === 'read') return async (g: string, since: number | undefined) => {
        const result = await target.read(g, since);
        await readGate;
        return result;
      };
      const value = Reflect.get(target, prop);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const hub = new Hub(slow);
  const group = uniqueGroup();
  const recorder = new Recorder();
  const subscribing = hub.subscribe(group, recorder, 0);
  await new Promise((r) => setTimeout(r, 50)); // the first read has been answered (head 0), not yet handed over
  for (let i = 1; i <= 4; i++) await broker.publish({ group, type: 'chat', user: 'p', at: Date.now(), data: { text: `m${i}` } });
  dropping = false;
  resync(group);
  releaseRead();
  (await subscribing).start();
  await eventually(() => recorder.seqs.length === 4, 2000, 'the four events the first read could not see');
  assert.deepEqual(recorder.seqs, [1, 2, 3, 4]);
});
