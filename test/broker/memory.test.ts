// The broker contract against the embedded broker.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryBroker } from '../../src/broker/memory.js';
import type { BrokerOptions } from '../../src/broker/broker.js';
import type { HubError } from '../../src/domain/errors.js';
import { brokerContract, chatDraft } from './contract.js';

brokerContract('memory', async (options) => new MemoryBroker(options));

describe('MemoryBroker: memory follows live groups', () => {
  const make = (options: Partial<BrokerOptions> = {}) => new MemoryBroker({ historySize: 1000, groupIdleMs: 600_000, ...options });

  test('history grows with the events kept, never preallocated per group', async (t) => {
    const broker = make();
    t.after(() => broker.close());
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage().heapUsed;
    const GROUPS = 10_000;
    for (let i = 0; i < GROUPS; i++) await broker.publish(chatDraft(`g${i}`, 'hi'));
    gc?.();
    const perGroup = (process.memoryUsage().heapUsed - before) / GROUPS;
    // A preallocated HISTORY_SIZE ring alone is 8 KB per group; one kept event and the group's state is far less.
    assert.ok(perGroup < 4000, `${perGroup.toFixed(0)} bytes per group with one event`);
    assert.equal(broker.groupCount, GROUPS);
  });

  test('readNow answers at once exactly what read answers', async (t) => {
    const broker = make({ historySize: 5 });
    t.after(() => broker.close());
    for (let i = 0; i < 8; i++) await broker.publish(chatDraft('n', `m${i}`));
    for (const since of [undefined, 0, 2, 3, 6, 8, 10]) assert.deepEqual(broker.readNow('n', since), await broker.read('n', since), `since ${since}`);
    assert.deepEqual(broker.readNow('never', 4), await broker.read('never', 4));
  });

  test('the ring wraps at HISTORY_SIZE once full, and reads stay in seq order', async (t) => {
    const broker = make({ historySize: 5 });
    t.after(() => broker.close());
    for (let i = 1; i <= 3; i++) await broker.publish(chatDraft('w', `m${i}`));
    assert.deepEqual((await broker.read('w', 0)).events.map((e) => e.event.seq), [1, 2, 3]);
    for (let i = 4; i <= 12; i++) await broker.publish(chatDraft('w', `m${i}`));
    const read = await broker.read('w', 0);
    assert.deepEqual(read.events.map((e) => e.event.seq), [8, 9, 10, 11, 12]);
    assert.equal(read.truncated, true);
    assert.deepEqual((await broker.read('w', 9)).events.map((e) => e.event.seq), [10, 11, 12]);
  });

  test('MAX_GROUPS: the least recently active idle group makes room; subscribed groups are kept', async (t) => {
    const broker = make({ maxGroups: 3 });
    t.after(() => broker.close());
    await broker.publish(chatDraft('a', '1'));
    await broker.subscribe('b');
    await broker.publish(chatDraft('c', '1'));
    await broker.read('a', 0); // a is now more recently active than c
    await broker.publish(chatDraft('d', '1'));
    assert.equal(broker.groupCount, 3);
    assert.equal((await broker.read('c', undefined)).head, 0, 'c (least recently active idle) was evicted');
    assert.equal((await broker.read('a', undefined)).head, 1);
    await broker.publish(chatDraft('e', '1'));
    assert.equal((await broker.read('d', undefined)).head, 0, 'then d');
    assert.equal((await broker.read('b', undefined)).head, 0, 'b is held (subscribed, no events)');
    await broker.subscribe('a');
    await broker.subscribe('e');
    await assert.rejects(broker.publish(chatDraft('f', '1')), (err: HubError) => err.code === 'too_many_groups' && err.statusCode === 503);
    await assert.rejects(broker.subscribe('f'), (err: HubError) => err.code === 'too_many_groups');
    await broker.publish(chatDraft('a', '2')); // existing groups still work
    await broker.unsubscribe('e');
    await broker.publish(chatDraft('f', '1'));
    assert.equal((await broker.read('e', undefined)).head, 0, 'e went idle and made room');
  });

  test('evictIdle drops idle groups in activity order and keeps subscribed ones', async (t) => {
    const broker = make({ groupIdleMs: 1000 });
    t.after(() => broker.close());
    await broker.publish(chatDraft('old', '1'));
    await broker.subscribe('held');
    await broker.publish(chatDraft('new', '1'));
    broker.evictIdle(Date.now() + 1000);
    assert.equal(broker.groupCount, 1);
    assert.equal((await broker.read('held', undefined)).head, 0);
  });
});
