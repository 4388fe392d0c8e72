// The poll body {"events":[...],"next":M,"truncated"?:true} built from pre-serialized events.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedEvent, type RtEvent } from '../../src/domain/events.js';
import { encodePollBody, nextCursor } from '../../src/protocol/poll-codec.js';

const event = (seq: number, text = `m${seq}`): EncodedEvent =>
  EncodedEvent.of({ seq, group: 'g1', type: 'chat', user: 'u1', at: 1000 + seq, data: { text } } as RtEvent);

describe('encodePollBody', () => {
  test('no events', () => {
    const body = encodePollBody([], 7, false);
    assert.equal(body, '{"events":[],"next":7}');
    assert.deepEqual(JSON.parse(body), { events: [], next: 7 });
  });

  test('events keep their order and their exact JSON', () => {
    const events = [event(3), event(4, 'a "quoted" 😀\n'), event(5)];
    const body = encodePollBody(events, 5, false);
    assert.equal(body, `{"events":[${events.map((e) => e.json).join(',')}],"next":5}`);
    const parsed = JSON.parse(body);
    assert.deepEqual(parsed, { events: events.map((e) => e.event), next: 5 });
    assert.equal('truncated' in parsed, false);
  });

  test('truncated appears only when true', () => {
    const body = encodePollBody([event(9)], 9, true);
    assert.deepEqual(JSON.parse(body), { events: [event(9).event], next: 9, truncated: true });
    assert.ok(body.endsWith(',"truncated":true}'));
    assert.doesNotMatch(encodePollBody([event(9)], 9, false), /truncated/);
    assert.deepEqual(JSON.parse(encodePollBody([], 0, true)), { events: [], next: 0, truncated: true });
  });

  test('the body is the same as JSON.stringify of the shape', () => {
    const events = [event(1), event(2)];
    assert.equal(encodePollBody(events, 2, true), JSON.stringify({ events: events.map((e) => e.event), next: 2, truncated: true }));
  });
});

describe('nextCursor', () => {
  test('the last event seq, else the head', () => {
    assert.equal(nextCursor([event(3), event(4)], 10), 4);
    assert.equal(nextCursor([], 10), 10);
    assert.equal(nextCursor([], 0), 0);
  });
});
