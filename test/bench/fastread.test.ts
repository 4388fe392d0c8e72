// The cheap seq/sentAt reader against JSON.parse on every wire shape the server writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasTruncated, isStompMessage, isWsEvent, readNext, readNumber, scanEvents, stompHeader } from '../../bench/fastread.js';

const event = (seq: number, sentAt?: number, text = 'hi') =>
  JSON.stringify({ seq, group: 'g1', type: 'chat', user: 'u7', at: 1732270000123, ...(sentAt === undefined ? {} : { sentAt }), data: { text } });

function scan(text: string) {
  const out: [number, number][] = [];
  scanEvents(Buffer.from(text), (seq, sentAt) => out.push([seq, sentAt]));
  return out;
}

test('a WebSocket event frame', () => {
  const frame = `{"op":"event","event":${event(42, 1732270000120.25)}}`;
  assert.ok(isWsEvent(Buffer.from(frame)));
  assert.ok(!isWsEvent(Buffer.from('{"op":"ack","ref":1,"seq":3}')));
  assert.deepEqual(scan(frame), [[42, 1732270000120.25]]);
});

test('a poll body with many events, next and truncated', () => {
  const body = `{"events":[${event(7, 1.5)},${event(8, 2)},${event(9)}],"next":9,"truncated":true}`;
  const got = scan(body);
  assert.deepEqual(got.slice(0, 2), [[7, 1.5], [8, 2]]);
  assert.equal(got[2]![0], 9);
  assert.ok(Number.isNaN(got[2]![1]), 'an event without sentAt does not borrow the next one');
  assert.equal(readNext(Buffer.from(body)), 9);
  assert.ok(hasTruncated(Buffer.from(body)));
  assert.ok(!hasTruncated(Buffer.from('{"events":[],"next":3}')));
  assert.equal(readNext(Buffer.from('{"error":{}}')), -1);
});

test('an SSE block and a STOMP MESSAGE', () => {
  const sse = `id: 5\nevent: chat\ndata: ${event(5, 10)}\n\n`;
  assert.deepEqual(scan(sse), [[5, 10]]);
  const body = event(6, 11);
  const stomp = `MESSAGE\nsubscription:s\ndestination:/topic/groups.g1\nmessage-id:g1-6\nseq:6\ncontent-type:application/json\ncontent-length:${body.length}\n\n${body}\0`;
  assert.ok(isStompMessage(Buffer.from(stomp)));
  assert.equal(stompHeader(Buffer.from(stomp), 'seq'), '6');
  assert.equal(stompHeader(Buffer.from(stomp), 'nope'), undefined);
  assert.deepEqual(scan(stomp), [[6, 11]]);
});

test('a location event and numbers in every JSON form', () => {
  const loc = JSON.stringify({ seq: 3, group: 'g', type: 'location', user: 'u', at: 1, sentAt: 1732270000999.125, data: { lat: 37.5, lng: 127.1 } });
  assert.deepEqual(scan(loc), [[3, 1732270000999.125]]);
  for (const n of [0, 7, 12.5, 1e21, 1.5e-7, 1732270000120.0625]) assert.equal(readNumber(Buffer.from(`${JSON.stringify(n)},`), 0), n);
  assert.ok(Number.isNaN(readNumber(Buffer.from('"x"'), 0)));
});

test('agrees with JSON.parse on random events', () => {
  let s = 11;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 500; i++) {
    const seq = Math.floor(next() * 1e9);
    const sentAt = Math.round(next() * 1e15) / 1000;
    const text = 'x'.repeat(1 + Math.floor(next() * 50));
    const json = event(seq, sentAt, text);
    const parsed = JSON.parse(json) as { seq: number; sentAt: number };
    const [[gotSeq, gotSent]] = scan(json) as [[number, number]];
    assert.equal(gotSeq, parsed.seq);
    assert.ok(Math.abs(gotSent - parsed.sentAt) < 1e-6, `${gotSent} vs ${parsed.sentAt}`);
  }
});
