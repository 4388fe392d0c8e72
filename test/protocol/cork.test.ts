// corkForTick: a target is corked once per tick and uncorked on the next tick; destroyed targets are
// skipped. Uses a fake corkable.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { corkForTick, type Corkable } from '../../src/protocol/cork.js';

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

/** Resolves after every nextTick queued so far (including corkForTick's) has run. */
const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('corkForTick', () => {
  test('corks once per tick however often it is called, uncorks on the next tick', async () => {
    const socket = new FakeSocket();
    corkForTick(socket);
    corkForTick(socket);
    corkForTick(socket);
    assert.equal(socket.corks, 1);
    assert.equal(socket.uncorks, 0, 'still corked within the tick');
    await nextTick();
    assert.equal(socket.uncorks, 1);
  });

  test('several targets in one tick are each corked and uncorked once', async () => {
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    for (let i = 0; i < 3; i++) for (const s of sockets) corkForTick(s);
    assert.deepEqual(sockets.map((s) => s.corks), [1, 1, 1]);
    await nextTick();
    assert.deepEqual(sockets.map((s) => s.uncorks), [1, 1, 1]);
  });

  test('a new tick corks again', async () => {
    const socket = new FakeSocket();
    corkForTick(socket);
    await nextTick();
    corkForTick(socket);
    assert.equal(socket.corks, 2);
    await nextTick();
    assert.equal(socket.uncorks, 2);
  });

  test('a target destroyed during the tick is not uncorked, and is forgotten', async () => {
    const gone = new FakeSocket();
    const alive = new FakeSocket();
    corkForTick(gone);
    corkForTick(alive);
    gone.destroyed = true;
    await nextTick();
    assert.equal(gone.uncorks, 0);
    assert.equal(alive.uncorks, 1);
    gone.destroyed = false;
    corkForTick(gone);
    assert.equal(gone.corks, 2, 'the set was cleared, so it is corked afresh');
    await nextTick();
    assert.equal(gone.uncorks, 1);
  });

  test('works with a real writable: writes within a tick are flushed together', async () => {
    const { Writable } = await import('node:stream');
    const chunks: number[] = [];
    const sink = new Writable({
      writev(batch, callback) {
        chunks.push(batch.length);
        callback();
      },
      write(_chunk, _enc, callback) {
        chunks.push(1);
        callback();
      },
    });
    corkForTick(sink);
    sink.write('a');
    sink.write('b');
    sink.write('c');
    assert.deepEqual(chunks, []);
    await nextTick();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(chunks, [3]);
  });
});
