// The WebSocket bench client end to end against a stub: every event frame is accounted once with its
// seq and sentAt, whether the fast reader takes it or it falls back to JSON.parse, whatever the split
// of frames over TCP reads; an event of another group is reported, not counted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketClient } from '../../../bench/clients/websocket.js';
import { readPaths } from '../../../bench/fastread.js';
import { encodeEventFrame, wsTextFrame } from '../../../src/protocol/ws-codec.js';
import { EncodedEvent, type RtEvent } from '../../../src/domain/events.js';
import { recordingContext, wsStub } from './ws-stub.js';

const event = (seq: number, sentAt: number | undefined, group = 'g1') =>
  EncodedEvent.of({ seq, group, type: 'chat', user: `u${seq}`, at: 1764640000000 + seq, ...(sentAt === undefined ? {} : { sentAt }), data: { text: `t${seq}` } } as RtEvent).json;

test('every event is accounted once, fast path and JSON.parse fallback alike, across any split of reads', async (t) => {
  const frames: Buffer[] = [];
  const expected: [number, number][] = [];
  for (let seq = 1; seq <= 300; seq++) {
    const sentAt = seq % 10 === 0 ? undefined : 1764640000000.5 + seq;
    // Every 7th frame in another key order (what a changed encoder would send): the fallback.
    const json = seq % 7 === 0 ? JSON.stringify({ group: 'g1', seq, sentAt, type: 'chat', data: {} }) : event(seq, sentAt);
    frames.push(wsTextFrame(seq % 7 === 0 ? Buffer.from(`{"event":${json},"op":"event"}`) : encodeEventFrame(json)));
    expected.push([seq, sentAt ?? NaN]);
  }
  frames.push(wsTextFrame(encodeEventFrame(event(301, 5, 'other')))); // another group: an error, not an event
  frames.push(wsTextFrame(encodeEventFrame(event(302, 6))));
  expected.push([302, 6]);
  const stream = Buffer.concat(frames);
  // Cuts inside frame headers, inside payloads and between frames, plus a few single-byte pieces.
  const cuts = [1, 2, 3, 50, 51, 52, 700, 1500, 1501, 4000, 9000, 9001, 9002, 12000].filter((c) => c < stream.length);
  const stub = await wsStub(undefined, [wsTextFrame(Buffer.from('{"op":"subscribed","group":"g1","seq":0}'))], stream, cuts);
  t.after(() => stub.close());
  const { ctx, events, errors, until } = recordingContext(stub.port);
  const before = { ...readPaths };
  const client = new WebSocketClient({ id: 1, transport: 'websocket', group: 'g1', user: 'me', role: 'subscriber', localAddress: '127.0.0.1' }, ctx);
  await client.open();
  await until(expected.length);
  client.close();
  assert.deepEqual(events, expected);
  assert.deepEqual(errors, ['wrong_group']);
  assert.equal(readPaths.slow - before.slow, 300 / 7 >> 0, 'the reordered frames took the fallback');
  assert.equal(readPaths.fast - before.fast, expected.length - (300 / 7 >> 0) + 1, 'the rest (and the other group) took the fast path');
});
