// The Broker contract, run unchanged against every implementation (memory.test.ts, redis.test.ts).
// Delivery may be asynchronous (Redis), so every wait is bounded and "not delivered" is proven with a
// barrier: an event on a subscribed group published afterwards arrives after anything sent before it.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { Broker, BrokerOptions } from '../../src/broker/broker.js';
import type { EncodedEvent, EventDraft } from '../../src/domain/events.js';

/** Makes a connected broker with the given options. */
export type BrokerFactory = (options: BrokerOptions) => Promise<Broker>;

/** A group name no other test or run uses. */
export function uniqueGroup(tag = 'g'): string {
  return `${tag}-${randomUUID().slice(0, 13)}`;
}

/** A draft in the Hub's key order. */
export function locationDraft(group: string, user = 'u1', lat = 1): EventDraft {
  return { group, type: 'location', user, at: Date.now(), sentAt: Date.now() - 1, data: { lat, lng: 2 } };
}

/** A chat draft in the Hub's key order. */
export function chatDraft(group: string, text: string, user = 'u1'): EventDraft {
  return { group, type: 'chat', user, at: Date.now(), data: { text, clientId: 'c-1' } };
}

/** Polls `check` every 10 ms until true or `timeoutMs`. */
export async function eventually(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seqs = (events: readonly EncodedEvent[]) => events.map((e) => e.event.seq);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

/** Registers the contract suite for one implementation. */
export function brokerContract(name: string, factory: BrokerFactory): void {
  describe(`Broker contract: ${name}`, () => {
    const brokers: Broker[] = [];
    const make = async (options: Partial<BrokerOptions> = {}) => {
      const broker = await factory({ historySize: 1000, groupIdleMs: 600_000, ...options });
      brokers.push(broker);
      return broker;
    };
    after(async () => void (await Promise.all(brokers.map((b) => b.close()))));

    test('seq starts at 1 and rises by 1; the JSON is the event serialized once, seq first', async () => {
      const broker = await make();
      const group = uniqueGroup();
      const first = await broker.publish(locationDraft(group));
      const second = await broker.publish(chatDraft(group, 'hi'));
      assert.deepEqual([first.event.seq, second.event.seq], [1, 2]);
      assert.equal(first.json, JSON.stringify(first.event));
      assert.deepEqual(Object.keys(JSON.parse(second.json)), ['seq', 'group', 'type', 'user', 'at', 'data']);
      assert.deepEqual(Object.keys(JSON.parse(first.json)), ['seq', 'group', 'type', 'user', 'at', 'sentAt', 'data']);
      assert.equal(first.event.group, group);
    });

    test('concurrent publishes get distinct, gap-free seqs; groups count separately', async () => {
      const broker = await make();
      const [a, b] = [uniqueGroup(), uniqueGroup()];
      const results = await Promise.all(range(1, 60).map((i) => broker.publish(locationDraft(i % 3 ? a : b, `u${i}`))));
      const ofA = results.filter((e) => e.event.group === a).map((e) => e.event.seq).sort((x, y) => x - y);
      const ofB = results.filter((e) => e.event.group === b).map((e) => e.event.seq).sort((x, y) => x - y);
      assert.deepEqual(ofA, range(1, 40));
      assert.deepEqual(ofB, range(1, 20));
    });

    test('read: from now, at head, after a cursor, from 0', async () => {
      const broker = await make();
      const group = uniqueGroup();
      for (let i = 0; i < 5; i++) await broker.publish(chatDraft(group, `m${i}`));
      assert.deepEqual(await broker.read(group, undefined), { events: [], head: 5, truncated: false });
      assert.deepEqual(await broker.read(group, 5), { events: [], head: 5, truncated: false });
      const after2 = await broker.read(group, 2);
      assert.deepEqual([seqs(after2.events), after2.head, after2.truncated], [[3, 4, 5], 5, false]);
      assert.equal(after2.events[0]!.json, JSON.stringify(after2.events[0]!.event));
      const all = await broker.read(group, 0);
      assert.deepEqual([seqs(all.events), all.truncated], [[1, 2, 3, 4, 5], false]);
    });

    test('read: a cursor older than history yields what is kept and truncated, exactly', async () => {
      const broker = await make({ historySize: 5 });
      const group = uniqueGroup();
      for (let i = 0; i < 8; i++) await broker.publish(chatDraft(group, `m${i}`));
      const cut = await broker.read(group, 0);
      assert.deepEqual([seqs(cut.events), cut.head, cut.truncated], [[4, 5, 6, 7, 8], 8, true]);
      assert.equal((await broker.read(group, 2)).truncated, true);
      const edge = await broker.read(group, 3); // 4 is the oldest kept: nothing was lost to this reader
      assert.deepEqual([seqs(edge.events), edge.truncated], [[4, 5, 6, 7, 8], false]);
    });

    test('read: a cursor ahead of head yields what is kept, head and truncated', async () => {
      const broker = await make();
      const group = uniqueGroup();
      for (let i = 0; i < 3; i++) await broker.publish(locationDraft(group));
      const ahead = await broker.read(group, 10);
      assert.deepEqual([seqs(ahead.events), ahead.head, ahead.truncated], [[1, 2, 3], 3, true]);
    });

    test('read and snapshot of a group never used', async () => {
      const broker = await make();
      const group = uniqueGroup();
      assert.deepEqual(await broker.read(group, undefined), { events: [], head: 0, truncated: false });
      assert.deepEqual(await broker.read(group, 0), { events: [], head: 0, truncated: false });
      assert.deepEqual(await broker.read(group, 7), { events: [], head: 0, truncated: true });
      assert.deepEqual(await broker.snapshot(group), { seq: 0, members: [], chat: [] });
    });

    test('snapshot: latest location per user (least recently moved first), last 50 chats oldest first', async () => {
      const broker = await make();
      const group = uniqueGroup();
      await broker.publish(locationDraft(group, 'alice', 1));
      await broker.publish(locationDraft(group, 'bob', 2));
      for (let i = 0; i < 55; i++) await broker.publish(chatDraft(group, `c${i}`));
      await broker.publish(locationDraft(group, 'alice', 3));
      const snap = await broker.snapshot(group);
      assert.equal(snap.seq, 58);
      assert.deepEqual(snap.members.map((m) => [m.user, m.seq, m.type === 'location' && m.data.lat]), [['bob', 2, 2], ['alice', 58, 3]]);
      assert.equal(snap.chat.length, 50);
      assert.deepEqual([snap.chat[0]!.seq, snap.chat[49]!.seq], [8, 57]);
      assert.deepEqual(snap.chat[0]!.data, { text: 'c5', clientId: 'c-1' });
    });

    test('delivers through the handler in seq order, only while subscribed, the published JSON', async () => {
      const broker = await make();
      const got: EncodedEvent[] = [];
      broker.setHandler((e) => got.push(e));
      const [on, off] = [uniqueGroup('on'), uniqueGroup('off')];
      await broker.publish(chatDraft(on, 'before subscribe'));
      await broker.subscribe(on);
      const published = [];
      for (let i = 0; i < 20; i++) {
        await broker.publish(chatDraft(off, 'never delivered'));
        published.push(await broker.publish(chatDraft(on, `m${i}`)));
      }
      await eventually(() => got.length >= 20, 3000, 'delivery of 20 events');
      assert.deepEqual(got.map((e) => [e.event.group, e.event.seq]), range(2, 21).map((s) => [on, s]));
      assert.deepEqual(got.map((e) => e.json), published.map((e) => e.json));

      await broker.unsubscribe(on);
      await broker.publish(chatDraft(on, 'after unsubscribe'));
      const barrier = uniqueGroup('barrier');
      await broker.subscribe(barrier);
      await broker.publish(chatDraft(barrier, 'barrier'));
      await eventually(() => got.some((e) => e.event.group === barrier), 3000, 'the barrier event');
      assert.equal(got.filter((e) => e.event.group === on).length, 20);
    });

    test('an idle group is evicted; a subscribed one is kept', async () => {
      // Reads and snapshots count as activity, so eviction is checked once after a bounded wait.
      const broker = await make({ groupIdleMs: 300 });
      const [idle, kept] = [uniqueGroup('idle'), uniqueGroup('kept')];
      await broker.subscribe(kept);
      await broker.publish(locationDraft(idle));
      await broker.publish(locationDraft(kept));
      await sleep(800);
      assert.deepEqual(await broker.snapshot(idle), { seq: 0, members: [], chat: [] });
      assert.deepEqual(await broker.read(idle, undefined), { events: [], head: 0, truncated: false });
      assert.equal((await broker.read(kept, undefined)).head, 1, 'a group with subscribers is not evicted');
      await broker.unsubscribe(kept);
      await sleep(800);
      assert.equal((await broker.snapshot(kept)).seq, 0, 'evicted once its last subscriber left');
    });

    test('is ready while connected, and closes', async () => {
      const broker = await make();
      assert.equal(broker.isReady(), true);
      assert.equal(typeof broker.name, 'string');
    });
  });
}
