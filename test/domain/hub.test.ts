import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Hub, type Subscriber } from '../../src/domain/hub.js';
import { EncodedEvent, type EventDraft, type HistoryRead, type RtEvent } from '../../src/domain/events.js';
import type { Broker, BrokerHandler } from '../../src/broker/broker.js';
import { MemoryBroker } from '../../src/broker/memory.js';
import { HubError } from '../../src/domain/errors.js';
import type { Presence } from '../../src/broker/presence.js';
import { MemoryPresence } from '../../src/broker/presence-memory.js';

function chat(seq: number, group = 'g'): EncodedEvent {
  return EncodedEvent.of({ seq, group, type: 'chat', user: 'u', at: Date.now(), data: { text: `${seq}` } });
}

/** A broker whose reads the test resolves by hand, to open the seam between history and live events. */
class ManualBroker implements Broker {
  readonly name = 'manual';
  handler: BrokerHandler = () => {};
  log: EncodedEvent[] = [];
  reads: { group: string; since: number | undefined; resolve: (read: HistoryRead) => void }[] = [];
  subscribed: string[] = [];
  setHandler(handler: BrokerHandler): void {
    this.handler = handler;
  }
  async publish(draft: EventDraft): Promise<EncodedEvent> {
    const event = EncodedEvent.of({ seq: this.log.length + 1, ...draft } as RtEvent);
    this.log.push(event);
    return event;
  }
  read(group: string, since: number | undefined): Promise<HistoryRead> {
    return new Promise((resolve) => this.reads.push({ group, since, resolve }));
  }
  /** Answers the oldest pending read from the log. */
  answerRead(): void {
    const read = this.reads.shift()!;
    const head = this.log.length;
    resolveFrom(read, this.log, head);
  }
  async snapshot() {
    return { seq: this.log.length, members: [], chat: [] };
  }
  async subscribe(group: string): Promise<void> {
    this.subscribed.push(group);
  }
  async unsubscribe(group: string): Promise<void> {
    this.subscribed = this.subscribed.filter((g) => g !== group);
  }
  isReady(): boolean {
    return true;
  }
  async close(): Promise<void> {}
}

function resolveFrom(read: { since: number | undefined; resolve: (r: HistoryRead) => void }, log: EncodedEvent[], head: number): void {
  const events = read.since === undefined ? [] : log.filter((e) => e.event.seq > read.since!);
  read.resolve({ events, head, truncated: false });
}

function recorder(): Subscriber & { seqs: number[] } {
  const seqs: number[] = [];
  return { transport: 'websocket', user: 'r', seqs, deliver: (e) => void seqs.push(e.event.seq) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('Hub', () => {
  test('events that arrive while history is being read are delivered once, after the replay', async () => {
    const broker = new ManualBroker();
    const hub = new Hub(broker);
    for (let i = 0; i < 3; i++) await broker.publish({ group: 'g', type: 'chat', user: 'u', at: 0, data: { text: 'x' } });
    const sub = recorder();
    const pending = hub.subscribe('g', sub, 1);
    await tick();
    // seq 3 is in history AND arrives live; seq 4 arrives live only — before the read completes.
    broker.handler(broker.log[2]!);
    await broker.publish({ group: 'g', type: 'chat', user: 'u', at: 0, data: { text: 'x' } });
    broker.handler(broker.log[3]!);
    broker.answerRead();
    const subscription = await pending;
    assert.deepEqual(sub.seqs, [], 'nothing before start()');
    subscription.start();
    assert.deepEqual(sub.seqs, [2, 3, 4]);
    broker.handler(chat(5));
    broker.handler(chat(5));
    assert.deepEqual(sub.seqs, [2, 3, 4, 5], 'a duplicate from the broker is dropped');
  });

  test('a gap in live events is filled from history before newer events go out', async () => {
    const broker = new ManualBroker();
    const hub = new Hub(broker);
    const sub = recorder();
    const pending = hub.subscribe('g', sub, undefined);
    await tick();
    broker.answerRead();
    (await pending).start();
    for (let i = 0; i < 4; i++) await broker.publish({ group: 'g', type: 'chat', user: 'u', at: 0, data: { text: 'x' } });
    broker.handler(broker.log[0]!);
    broker.handler(broker.log[3]!); // 2 and 3 were lost in transit
    assert.deepEqual(sub.seqs, [1]);
    await broker.publish({ group: 'g', type: 'chat', user: 'u', at: 0, data: { text: 'x' } });
    broker.handler(broker.log[4]!); // arrives while the fill is in flight
    assert.equal(broker.reads[0]!.since, 1, 'the fill reads after the last delivered seq');
    broker.answerRead();
    await tick();
    assert.deepEqual(sub.seqs, [1, 2, 3, 4, 5]);
  });

  test('subscribe/release: the broker is subscribed once per group and released with the last subscriber', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const hub = new Hub(broker);
    const a = await hub.subscribe('g', recorder(), undefined);
    const b = await hub.subscribe('g', recorder(), undefined);
    assert.deepEqual(hub.stats(), { groups: 1, subscriptions: 2 });
    a.close();
    a.close();
    assert.deepEqual(hub.stats(), { groups: 1, subscriptions: 1 });
    b.close();
    assert.deepEqual(hub.stats(), { groups: 0, subscriptions: 0 });
    await broker.close();
  });

  test('a closed subscription receives nothing more', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const hub = new Hub(broker);
    const sub = recorder();
    const subscription = await hub.subscribe('g', sub, undefined);
    subscription.start();
    await hub.publish('g', { type: 'chat', text: 'a' }, 'u', 'http');
    subscription.close();
    await hub.publish('g', { type: 'chat', text: 'b' }, 'u', 'http');
    assert.deepEqual(sub.seqs, [1]);
    await broker.close();
  });

  test('publish builds the event in the documented key order and copies sentAt only when given', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const hub = new Hub(broker);
    const located = await hub.publish('g', { type: 'location', lat: 1, lng: 2, heading: 0, sentAt: 9 }, 'u', 'http');
    assert.deepEqual(Object.keys(located.event), ['seq', 'group', 'type', 'user', 'at', 'sentAt', 'data']);
    assert.deepEqual(located.event.data, { lat: 1, lng: 2, heading: 0 });
    const said = await hub.publish('g', { type: 'chat', text: 'hi' }, 'u', 'websocket');
    assert.deepEqual(Object.keys(said.event), ['seq', 'group', 'type', 'user', 'at', 'data']);
    assert.equal(said.json, JSON.stringify(said.event));
    await broker.close();
  });

  test('snapshot lists each online user once per transport', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const hub = new Hub(broker);
    await hub.subscribe('g', { transport: 'sse', user: 'a', deliver: () => {} }, undefined);
    await hub.subscribe('g', { transport: 'sse', user: 'a', deliver: () => {} }, undefined);
    await hub.subscribe('g', { transport: 'stomp', user: 'a', deliver: () => {} }, undefined);
    await hub.subscribe('g', { transport: 'websocket', user: undefined, deliver: () => {} }, undefined);
    const snapshot = await hub.snapshot('g');
    assert.deepEqual(snapshot.online, [{ user: 'a', transport: 'sse' }, { user: 'a', transport: 'stomp' }]);
    await broker.close();
  });

  test('after beginShutdown, publish and subscribe answer shutting_down', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const hub = new Hub(broker);
    hub.beginShutdown();
    await assert.rejects(hub.publish('g', { type: 'chat', text: 'a' }, 'u', 'http'), (e: unknown) => e instanceof HubError && e.code === 'shutting_down');
    await assert.rejects(hub.subscribe('g', recorder(), undefined), (e: unknown) => e instanceof HubError && e.code === 'shutting_down');
    await broker.close();
  });

  test('maxGroups: a subscribe to a group beyond it answers too_many_groups until one is released', async () => {
    // A broker that keeps groups elsewhere (Redis) holds no per-process cap: the Hub's is what bounds this process.
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60_000 });
    const hub = new Hub(broker, {}, undefined, { maxGroups: 2 });
    const a = await hub.subscribe('a', recorder(), undefined);
    await hub.subscribe('b', recorder(), undefined);
    const a2 = await hub.subscribe('a', recorder(), undefined); // an existing group is not another group
    await assert.rejects(hub.subscribe('c', recorder(), undefined), (e: unknown) => e instanceof HubError && e.code === 'too_many_groups' && e.statusCode === 503);
    assert.equal(hub.stats().groups, 2);
    a.close();
    assert.equal(hub.stats().groups, 2, 'a still has a subscriber');
    a2.close();
    await hub.subscribe('c', recorder(), undefined);
    assert.equal(hub.stats().groups, 2);
    await broker.close();
  });
});

describe('Hub with a presence', () => {
  test('reports each subscriber with a user as it joins and leaves; the snapshot reads the presence', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const calls: string[] = [];
    const presence: Presence = {
      name: 'probe',
      join: (group, user, transport) => void calls.push(`join ${group} ${user} ${transport}`),
      leave: (group, user, transport) => void calls.push(`leave ${group} ${user} ${transport}`),
      online: async (group) => [{ user: `everyone-in-${group}`, transport: 'sse' }],
      close: async () => {},
    };
    const hub = new Hub(broker, {}, presence);
    const first = await hub.subscribe('g', { transport: 'sse', user: 'a', deliver: () => {} }, undefined);
    const anonymous = await hub.subscribe('g', { transport: 'websocket', user: undefined, deliver: () => {} }, undefined);
    assert.deepEqual((await hub.snapshot('g')).online, [{ user: 'everyone-in-g', transport: 'sse' }]);
    first.close();
    first.close();
    anonymous.close();
    assert.deepEqual(calls, ['join g a sse', 'leave g a sse'], 'one leave per join; no user, no report');
    await broker.close();
  });

  test('with the memory presence the snapshot is what it was without one', async () => {
    const broker = new MemoryBroker({ historySize: 10, groupIdleMs: 60000 });
    const hub = new Hub(broker, {}, new MemoryPresence());
    const subs = [
      await hub.subscribe('g', { transport: 'stomp', user: 'a', deliver: () => {} }, undefined),
      await hub.subscribe('g', { transport: 'sse', user: 'a', deliver: () => {} }, undefined),
      await hub.subscribe('g', { transport: 'sse', user: 'a', deliver: () => {} }, undefined),
    ];
    assert.deepEqual((await hub.snapshot('g')).online, [{ user: 'a', transport: 'sse' }, { user: 'a', transport: 'stomp' }]);
    subs[1]!.close();
    assert.equal((await hub.snapshot('g')).online.length, 2, 'a is still on sse through the other subscriber');
    subs[2]!.close();
    assert.deepEqual((await hub.snapshot('g')).online, [{ user: 'a', transport: 'stomp' }]);
    await broker.close();
  });
});
