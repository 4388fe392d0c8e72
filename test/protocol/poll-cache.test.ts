// Poll answers shared per (group, head, cursor), capped to POLL_MAX_EVENTS.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedEvent, type HistoryRead, type RtEvent } from '../../src/domain/events.js';
import { capBody, capEvents, PollBodyCache } from '../../src/protocol/poll-cache.js';

const event = (seq: number, text = `m${seq}`): EncodedEvent =>
  EncodedEvent.of({ seq, group: 'g1', type: 'chat', user: 'u1', at: 1000 + seq, data: { text } } as RtEvent);
const read = (from: number, head: number, truncated = false, text?: (seq: number) => string): HistoryRead => ({
  events: Array.from({ length: head - from }, (_, i) => event(from + i + 1, text?.(from + i + 1))),
  head,
  truncated,
});

describe('PollBodyCache', () => {
  test('the same group, head and cursor get the very same body; another cursor its own', () => {
    const cache = new PollBodyCache(1000);
    const first = cache.body('g1', 2, read(2, 5));
    assert.deepEqual(JSON.parse(first), { events: read(2, 5).events.map((e) => e.event), next: 5 });
    assert.equal(cache.body('g1', 2, read(2, 5)), first);
    assert.notEqual(cache.body('g1', 3, read(3, 5)), first);
    assert.equal(cache.body('g1', 5, read(5, 5)), '{"events":[],"next":5}');
    assert.equal(cache.body('g1', undefined, read(5, 5)), '{"events":[],"next":5}');
  });

  test('a new head invalidates the group, and so does a restarted group at the same head', () => {
    const cache = new PollBodyCache(1000);
    const before = cache.body('g1', 2, read(2, 5));
    assert.deepEqual(JSON.parse(cache.body('g1', 2, read(2, 6))).next, 6);
    const restarted = cache.body('g1', 2, read(2, 5, false, (seq) => `other ${seq}`));
    assert.notEqual(restarted, before);
    assert.match(restarted, /other 5/);
  });

  test('caps the events to maxEvents and resumes at the last one carried', () => {
    const cache = new PollBodyCache(2);
    assert.deepEqual(JSON.parse(cache.body('g1', 0, read(0, 5))), { events: [event(1).event, event(2).event], next: 2 });
    assert.deepEqual(JSON.parse(cache.body('g1', 9, read(2, 5, true))), { events: [event(3).event, event(4).event], next: 4, truncated: true });
  });

  test('holds a bounded number of groups and cursors', () => {
    const cache = new PollBodyCache(1000, 2, 2);
    for (const group of ['a', 'b', 'c']) cache.body(group, 0, read(0, 1));
    assert.deepEqual(cache.stats(), { groups: 2, bodies: 2 });
    for (let since = 0; since < 3; since++) cache.body('c', since, read(since, 3));
    assert.deepEqual(cache.stats(), { groups: 2, bodies: 3 });
    for (let i = 0; i < 100; i++) cache.body(`g${i}`, i % 7, read(0, 1));
    assert.deepEqual(cache.stats().groups, 2);
    assert.ok(cache.stats().bodies <= 4);
  });
});

describe('capBody and capEvents', () => {
  test('leave a short read alone', () => {
    const r = read(0, 3);
    assert.equal(capEvents(r.events, 3), r.events);
    assert.deepEqual(JSON.parse(capBody(r, 3)).next, 3);
  });
  test('an empty read answers the head', () => {
    assert.equal(capBody(read(4, 4), 1), '{"events":[],"next":4}');
  });
});
