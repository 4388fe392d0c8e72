// The cheap seq/sentAt reader against JSON.parse on every wire shape the server writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hasTruncated, isStompMessage, readNext, readNumber, scanEvents, stompHeader } from '../../bench/fastread.js';

const event = (seq: number, sentAt?: number, text = 'hi') =>
  JSON.stringify({ seq, group: 'g1', type: 'chat', user: 'u7', at: 1732270000123, ...(sentAt === undefined ? {} : { sentAt }), data: { text } });

function scan(text: string) {
  const out: [number, number][] = [];
  scanEvents(Buffer.from(text), (seq, sentAt) => out.push([seq, sentAt]));
  return out;
}

test('a WebSocket event frame', () => {
  const frame = `{"op":"event","event":${event(42, 1732270000120.25)}}`;
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

// --- The exact-shape reader (readEventHead) against JSON.parse, and its fallbacks -------------

import { lastEvent, parseEvent, readEventHead, sseDataAt, stompBodyAt, stompFrame, wsEventAt, WS_EVENT_OFFSET } from '../../bench/fastread.js';
import { encodeEventFrame } from '../../src/protocol/ws-codec.js';
import { EncodedEvent, type RtEvent } from '../../src/domain/events.js';
import { encodeMessageHead, encodeMessageTail } from '../../transports/stomp/codec.js';

/** An event built the way the broker builds it (seq first, then the hub's draft key order). */
function productEvent(seq: number, sentAt: number | undefined, kind: 'chat' | 'location', user = 'u7', group = 'g1'): string {
  const draft =
    kind === 'location'
      ? { group, type: 'location' as const, user, at: 1764640000123, ...(sentAt === undefined ? {} : { sentAt }), data: { lat: 37.5665, lng: 126.978, accuracy: 5 } }
      : { group, type: 'chat' as const, user, at: 1764640000123, ...(sentAt === undefined ? {} : { sentAt }), data: { text: 'hé "quoted" \\ ok' } };
  return EncodedEvent.of({ seq, ...draft } as RtEvent).json;
}

function fast(buf: Buffer, at = 0, end = buf.length) {
  return readEventHead(buf, at, end) ? { seq: lastEvent.seq, sentAt: lastEvent.sentAt, group: buf.toString('latin1', lastEvent.groupStart, lastEvent.groupEnd) } : null;
}

test('readEventHead agrees with JSON.parse on the product encoder, chat and location, with and without sentAt', () => {
  let s = 7;
  const next = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let i = 0; i < 2000; i++) {
    const seq = 1 + Math.floor(next() * 2 ** 40);
    const sentAt = i % 5 === 0 ? undefined : i % 3 === 0 ? Math.floor(next() * 1e13) : performance.timeOrigin + next() * 1e6;
    const json = productEvent(seq, sentAt, i % 2 ? 'chat' : 'location', `u${i}`, `g.${i % 7}-x_`);
    const parsed = JSON.parse(json) as { seq: number; sentAt?: number; group: string };
    const got = fast(Buffer.from(json));
    assert.ok(got, json);
    assert.equal(got.seq, parsed.seq);
    assert.equal(got.group, parsed.group);
    if (parsed.sentAt === undefined) assert.ok(Number.isNaN(got.sentAt));
    else assert.ok(Math.abs(got.sentAt - parsed.sentAt) < 1e-6, `${got.sentAt} vs ${parsed.sentAt}`);
  }
});

test('readEventHead stays inside [at, end): a frame cut short or followed by another is read only up to its end', () => {
  const json = productEvent(12, 1764640000123.5, 'chat');
  const two = Buffer.from(json + json.replace('"seq":12', '"seq":13'));
  const first = Buffer.byteLength(json);
  assert.equal(fast(two, 0, first)?.seq, 12);
  assert.equal(fast(two, first)?.seq, 13);
  for (const cut of [5, 20, json.indexOf('"sentAt"') + 3, json.indexOf('"data"') + 2]) {
    assert.equal(fast(Buffer.from(json), 0, cut), null, `cut at ${cut}`);
  }
});

test('readEventHead declines every other shape, and parseEvent then reads it right', () => {
  const shapes = [
    '{"group":"g1","seq":5,"type":"chat","user":"u","at":1,"sentAt":2,"data":{}}', // another key order
    '{"seq":5,"group":"g1","type":"chat","user":"u\\"x","at":1,"sentAt":2,"data":{}}', // an escape in a string
    '{"seq":5,"group":"g1","type":"chat","user":"u","at":1,"sentAt":-2,"data":{}}', // negative
    '{"seq":5,"group":"g1","type":"chat","user":"u","at":1,"extra":true,"sentAt":2,"data":{}}', // an added key
    '{"seq":5.5,"group":"g1","type":"chat","user":"u","at":1,"data":{}}', // not an integer seq
    '{ "seq":5,"group":"g1","type":"chat","user":"u","at":1,"data":{}}', // whitespace
  ];
  for (const text of shapes) {
    const buf = Buffer.from(text);
    assert.equal(fast(buf), null, text);
    const parsed = JSON.parse(text) as { seq: number; sentAt?: number; group: string };
    assert.equal(parseEvent(buf, 0, buf.length), Number.isSafeInteger(parsed.seq), text);
    if (!Number.isSafeInteger(parsed.seq)) continue;
    assert.equal(lastEvent.seq, parsed.seq);
    assert.equal(lastEvent.group, parsed.group);
    assert.equal(lastEvent.sentAt, parsed.sentAt ?? NaN);
  }
  // Number forms JSON.stringify can write are read exactly (readNumber), not declined.
  assert.equal(fast(Buffer.from('{"seq":5,"group":"g1","type":"chat","user":"u","at":1,"sentAt":2e+21,"data":{}}'))?.sentAt, 2e21);
  assert.equal(parseEvent(Buffer.from('{"op":"ack"}'), 0, 12), false);
  assert.equal(parseEvent(Buffer.from('not json'), 0, 8), false);
});

test('a WebSocket event frame, a STOMP MESSAGE body and an SSE data line are found where the product writes them', () => {
  const json = productEvent(42, 1764640000120.25, 'chat');
  const frame = encodeEventFrame(json);
  assert.ok(wsEventAt(frame, 0, frame.length));
  assert.ok(!wsEventAt(Buffer.from('{"op":"ack","ref":1,"seq":3}'), 0, 28));
  assert.equal(fast(frame, WS_EVENT_OFFSET)?.seq, 42);

  for (const truncated of [false, true]) {
    const message = Buffer.concat([encodeMessageHead('s', '/topic/groups.g1', '1.2'), encodeMessageTail('g1', 42, json, truncated)]);
    const body = stompBodyAt(message, 0, message.length, 400);
    assert.equal(message.toString('utf8', body, message.length - 1), json);
    assert.equal(stompFrame.truncated, truncated);
    assert.equal(fast(message, body, message.length - 1)?.seq, 42);
  }
  assert.equal(stompBodyAt(Buffer.from('RECEIPT\nreceipt-id:sub\n\n\0'), 0, 25, 400), -1);
  assert.equal(stompBodyAt(Buffer.from('MESSAGE\nseq:1\n'), 0, 14, 400), -1, 'headers that never end');

  const block = Buffer.from(`id: 42\nevent: chat\ndata: ${json}`);
  assert.equal(block.toString('utf8', sseDataAt(block, 0, block.length)), json);
  assert.equal(sseDataAt(Buffer.from('id: 1\nevent: chat'), 0, 17), -1);
});
