// corkForTurn: a target is corked once per event-loop turn and uncorked after the turn's I/O (or
// after the flush window); destroyed targets are skipped. Fake corkables and real writables.
import { afterEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { corkForTurn, setFlushWindow, type Corkable } from '../../src/protocol/cork.js';

class FakeSocket implements Corkable {
  corks = 0;
  uncorks = 0;
  destroyed = false;
  cork(): void {
    this.corks++;
  }
  uncork(): void {
    this.uncorks++;
  }
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));
/** Resolves in the next turn's check phase, after corkForTurn's flush of this turn. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A writable that records how many chunks each write to the "wire" carried. */
function recorder(): { sink: Writable; writes: string[][] } {
  const writes: string[][] = [];
  const sink = new Writable({
    writev(batch, callback) {
      writes.push(batch.map((b) => String(b.chunk)));
      callback();
    },
    write(chunk, _enc, callback) {
      writes.push([String(chunk)]);
      callback();
    },
  });
  return { sink, writes };
}

describe('corkForTurn', () => {
  afterEach(() => setFlushWindow(0));

  test('corks once per turn however often it is called, also across ticks of the turn', async () => {
    const socket = new FakeSocket();
    corkForTurn(socket);
    corkForTurn(socket);
    await nextTick();
    corkForTurn(socket);
    await Promise.resolve();
    corkForTurn(socket);
    assert.equal(socket.corks, 1);
    assert.equal(socket.uncorks, 0, 'still corked within the turn');
    await nextTurn();
    assert.equal(socket.uncorks, 1);
  });

  test('several targets in one turn are each corked and uncorked once', async () => {
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    for (let i = 0; i < 3; i++) for (const s of sockets) corkForTurn(s);
    assert.deepEqual(sockets.map((s) => s.corks), [1, 1, 1]);
    await nextTurn();
    assert.deepEqual(sockets.map((s) => s.uncorks), [1, 1, 1]);
  });

  test('a new turn corks again', async () => {
    const socket = new FakeSocket();
    corkForTurn(socket);
    await nextTurn();
    corkForTurn(socket);
    assert.equal(socket.corks, 2);
    await nextTurn();
    assert.equal(socket.uncorks, 2);
  });

  test('a target destroyed during the turn is not uncorked, and is forgotten', async () => {
    const gone = new FakeSocket();
    const alive = new FakeSocket();
    corkForTurn(gone);
    corkForTurn(alive);
    gone.destroyed = true;
    await nextTurn();
    assert.equal(gone.uncorks, 0);
    assert.equal(alive.uncorks, 1);
    gone.destroyed = false;
    corkForTurn(gone);
    assert.equal(gone.corks, 2, 'the set was cleared, so it is corked afresh');
    await nextTurn();
    assert.equal(gone.uncorks, 1);
  });

  test('events written in several ticks of one turn leave as one write, in order, each once', async () => {
    const { sink, writes } = recorder();
    const write = (s: string) => {
      corkForTurn(sink);
      sink.write(s);
    };
    write('e1');
    process.nextTick(() => write('e2'));
    void Promise.resolve().then(() => write('e3'));
    await nextTick();
    write('e4');
    assert.deepEqual(writes, [], 'nothing on the wire before the turn ends');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(writes, [['e1', 'e3', 'e2', 'e4']]);
  });

  test('corked bytes count in writableLength (what the MAX_BUFFERED_BYTES rule reads)', async () => {
    const { sink } = recorder();
    corkForTurn(sink);
    sink.write('12345');
    sink.write('678');
    assert.equal(sink.writableLength, 8);
    await nextTurn();
    await nextTurn();
    assert.equal(sink.writableLength, 0);
  });

  test('with a flush window, writes of later turns join until the window ends', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    setFlushWindow(30);
    const { sink, writes } = recorder();
    corkForTurn(sink);
    sink.write('a');
    await nextTurn();
    corkForTurn(sink);
    sink.write('b');
    await nextTurn();
    t.mock.timers.tick(29);
    await nextTurn();
    assert.deepEqual(writes, [], 'held across turns until the window ends');
    t.mock.timers.tick(1);
    await nextTurn();
    await nextTurn();
    assert.deepEqual(writes, [['a', 'b']]);
  });
});
