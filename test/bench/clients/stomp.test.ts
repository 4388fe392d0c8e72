// The STOMP bench client end to end against a stub: MESSAGE frames are accounted once each with the
// body's seq and sentAt (fast reader or JSON.parse fallback), a `truncated:true` header is counted as
// the loss signal, frames split across reads are reassembled, and another group's MESSAGE is reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StompClient } from '../../../bench/clients/stomp.js';
import { readPaths } from '../../../bench/fastread.js';
import { wsTextFrame } from '../../../src/protocol/ws-codec.js';
import { EncodedEvent, type RtEvent } from '../../../src/domain/events.js';
import { encodeMessageHead, encodeMessageTail } from '../../../transports/stomp/codec.js';
import { recordingContext, wsStub } from './ws-stub.js';

const json = (seq: number, sentAt: number, group = 'g1') =>
  EncodedEvent.of({ seq, group, type: 'chat', user: `u${seq}`, at: 1764640000000 + seq, sentAt, data: { text: `t${seq}` } } as RtEvent).json;
const message = (body: string, seq: number, truncated = false) =>
  wsTextFrame(Buffer.concat([encodeMessageHead('s', '/topic/groups.g1', '1.2'), encodeMessageTail('g1', seq, body, truncated)]));

test('MESSAGE frames: every event once, fast path and fallback, truncated counted, any split of reads', async (t) => {
  const frames: Buffer[] = [];
  const expected: [number, number][] = [];
  for (let seq = 1; seq <= 200; seq++) {
    const sentAt = 1764640000000.25 + seq;
    // Every 9th body in another key order (the fallback); seq 1 carries the loss signal.
    const body = seq % 9 === 0 ? JSON.stringify({ sentAt, seq, group: 'g1' }) : json(seq, sentAt);
    frames.push(message(body, seq, seq === 1));
    expected.push([seq, sentAt]);
  }
  frames.push(message(json(201, 1, 'other'), 201));
  const stream = Buffer.concat(frames);
  const cuts = [1, 3, 90, 200, 201, 2500, 7000, 7001, 15000].filter((c) => c < stream.length);
  const replies = [wsTextFrame(Buffer.from('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0')), wsTextFrame(Buffer.from('RECEIPT\nreceipt-id:sub\nseq:0\n\n\0'))];
  const stub = await wsStub('v12.stomp', replies, stream, cuts);
  t.after(() => stub.close());
  const { ctx, events, errors, until } = recordingContext(stub.port);
  const before = { ...readPaths };
  const client = new StompClient({ id: 1, transport: 'stomp', group: 'g1', user: 'me', role: 'subscriber', localAddress: '127.0.0.1' }, ctx);
  await client.open();
  await until(expected.length);
  await new Promise((r) => setTimeout(r, 30)); // the other group's frame is the last one written
  client.close();
  assert.deepEqual(events, expected);
  assert.deepEqual(errors, ['wrong_group']);
  assert.equal(client.tracker!.tally(200).truncatedSignals, 1);
  assert.equal(readPaths.slow - before.slow, Math.floor(200 / 9));
  assert.equal(readPaths.fast - before.fast, 201 - Math.floor(200 / 9));
});
