import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedEvent, type HistoryRead, type RtEvent } from '../../../src/domain/events.js';
import type { RelayBroker } from '../../../transports/stomp-relay/relay-broker.js';
import { RelayEventCache, RelayStream, type RelaySink } from '../../../transports/stomp-relay/relay-stream.js';

const G = 'g';
const ev = (seq: number): RtEvent => ({ seq, group: G, type: 'chat', user: 'u', at: 1, data: { text: `m${seq}` } });

/** A Hub history of `head` events keeping the last `kept`, and a broker whose messages the test pushes. */
function fixture(head: number, kept = 1000) {
  const state = { head, reads: 0, unsubscribed: 0, deliver: undefined as undefined | ((seq: number, json: string) => void) };
  const read = async (_group: string, since: number | undefined): Promise<HistoryRead> => {
    state.reads++;
    const first = Math.max(1, state.head - kept + 1);
    if (since === undefined) return { events: [], head: state.head, truncated: false };
    const events: EncodedEvent[] = [];
    for (let s = Math.max(since + 1, first); s <= state.head; s++) events.push(EncodedEvent.of(ev(s)));
    return { events, head: state.head, truncated: since + 1 < first || since > state.head };
  };
  const broker: RelayBroker = {
    connected: true,
    subscribe: async (_g, onMessage) => {
      state.deliver = onMessage;
      return { unsubscribe: () => void state.unsubscribed++ };
    },
    publish: () => {},
    onDown: () => () => {},
    close: async () => {},
  };
  const got: { seq: number; replay: boolean; truncated: boolean }[] = [];
  const sink: RelaySink = {
    transport: 'stomp-relay',
    user: 'u',
    signalTruncation: false,
    deliver(event, replay) {
      got.push({ seq: event.event.seq, replay, truncated: sink.signalTruncation });
      sink.signalTruncation = false;
    },
  };
  const events = new RelayEventCache();
  const push = (seq: number) => state.deliver!(seq, JSON.stringify(ev(seq)));
  const seqs = () => got.map((g) => g.seq);
  return { state, deps: { broker, read, events, maxHeld: 4 }, sink, got, push, seqs, events };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('RelayStream', () => {
  test('resume: replay from history, then what the broker sent meanwhile, duplicates at the seam dropped', async () => {
    const f = fixture(5);
    const stream = await RelayStream.open(G, f.sink, 2, f.deps);
    assert.equal(stream.head, 5);
    f.push(5); // published before the read, relayed after it: a duplicate of the replay
    f.push(6);
    stream.start();
    f.push(6);
    f.push(7);
    assert.deepEqual(f.seqs(), [3, 4, 5, 6, 7]);
    assert.deepEqual(f.got.map((g) => g.replay), [true, true, true, true, false]);
  });

  test('from now: nothing before the head, live after it', async () => {
    const f = fixture(3);
    const stream = await RelayStream.open(G, f.sink, undefined, f.deps);
    f.push(3);
    stream.start();
    f.push(4);
    assert.deepEqual(f.seqs(), [4]);
  });

  test('a gap in the relayed stream is filled from history before anything newer is forwarded', async () => {
    const f = fixture(2);
    const stream = await RelayStream.open(G, f.sink, 2, f.deps);
    stream.start();
    f.state.head = 6; // 3 and 4 were accepted but never reached the broker
    f.push(5);
    f.push(6);
    assert.deepEqual(f.seqs(), [], 'held while the gap is read');
    await settle();
    assert.deepEqual(f.seqs(), [3, 4, 5, 6]);
    f.push(7);
    assert.deepEqual(f.seqs(), [3, 4, 5, 6, 7]);
  });

  test('events relayed out of order by several instances: a late 1 is a duplicate, not a restart', async () => {
    const f = fixture(0);
    const stream = await RelayStream.open(G, f.sink, undefined, f.deps);
    stream.start();
    f.state.head = 2;
    f.push(2); // instance B's event reached the broker before instance A's
    await settle();
    f.push(1);
    await settle();
    f.push(3);
    f.state.head = 3;
    await settle();
    assert.deepEqual(f.seqs(), [1, 2, 3]);
  });

  test('a group that really started over (history head below the cursor) restarts the stream', async () => {
    const f = fixture(5);
    const stream = await RelayStream.open(G, f.sink, 5, f.deps);
    stream.start();
    f.state.head = 1; // evicted and restarted elsewhere
    f.push(1);
    await settle();
    await settle();
    assert.deepEqual(f.seqs(), [1], 'history confirmed the restart');
    f.state.head = 2;
    f.push(2);
    assert.deepEqual(f.seqs(), [1, 2]);
  });

  test('a gap older than history carries the truncated signal on the next message', async () => {
    const f = fixture(1, 3);
    const stream = await RelayStream.open(G, f.sink, 1, f.deps);
    stream.start();
    f.state.head = 10; // history keeps 8..10
    f.push(10);
    await settle();
    assert.deepEqual(f.seqs(), [8, 9, 10]);
    assert.equal(f.got[0]!.truncated, true);
  });

  test('the seam buffer is bounded: past maxHeld the messages are dropped and read from history instead', async () => {
    const f = fixture(0);
    const stream = await RelayStream.open(G, f.sink, 0, f.deps);
    f.state.head = 10;
    for (let s = 1; s <= 10; s++) f.push(s); // 10 > maxHeld 4 while pending
    const reads = f.state.reads;
    stream.start();
    await settle();
    assert.equal(f.state.reads, reads + 1, 'one history read covers what was dropped');
    assert.deepEqual(f.seqs(), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test('close unsubscribes on the broker, stops delivery and releases the shared event cache', async () => {
    const f = fixture(0);
    const stream = await RelayStream.open(G, f.sink, undefined, f.deps);
    stream.start();
    assert.equal(f.events.size, 1);
    stream.close();
    stream.close();
    f.push(1);
    assert.deepEqual(f.seqs(), []);
    assert.equal(f.state.unsubscribed, 1);
    assert.equal(f.events.size, 0);
  });

  test('subscriptions of one group share one decoded event per seq', async () => {
    const cache = new RelayEventCache();
    cache.acquire(G);
    const a = cache.event(G, 1, JSON.stringify(ev(1)));
    assert.equal(cache.event(G, 1, JSON.stringify(ev(1))), a);
    assert.notEqual(cache.event(G, 2, JSON.stringify(ev(2))), a);
    assert.equal(a.event.seq, 1);
  });
});
