import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LATENCY_KEPT, LatencyWindow, RECEIVED_KEPT, SeqTracker, contiguous, utf8Length } from '../../public/src/stats.js';

describe('SeqTracker', () => {
  test('counts the next seq, a gap and a duplicate from the snapshot cursor', () => {
    const t = new SeqTracker();
    t.start(10);
    assert.equal(t.accept(11), 'next');
    assert.equal(t.accept(14), 'gap');
    assert.equal(t.gaps, 2);
    assert.equal(t.accept(12), 'duplicate');
    assert.equal(t.accept(14), 'duplicate');
    assert.equal(t.duplicates, 2);
    assert.equal(t.cursor, 14);
    assert.deepEqual(t.received, [11, 14, 12, 14]);
    assert.equal(t.count, 4);
  });

  test('without a start the first event sets the cursor; reset forgets everything', () => {
    const t = new SeqTracker();
    assert.equal(t.accept(5), 'first');
    assert.equal(t.cursor, 5);
    t.reset();
    assert.equal(t.cursor, null);
    assert.deepEqual([t.received.length, t.count, t.gaps, t.duplicates], [0, 0, 0, 0]);
  });

  test('keeps only the newest seqs for received, while the counts go on', () => {
    const t = new SeqTracker();
    t.start(0);
    for (let s = 1; s <= RECEIVED_KEPT + 5; s++) t.accept(s);
    assert.equal(t.received.length, RECEIVED_KEPT);
    assert.equal(t.received[0], 6);
    assert.equal(t.count, RECEIVED_KEPT + 5);
  });
});

test('contiguous: rising by exactly one, nothing else', () => {
  assert.equal(contiguous([]), true);
  assert.equal(contiguous([3, 4, 5]), true);
  assert.equal(contiguous([3, 5]), false);
  assert.equal(contiguous([3, 3]), false);
  assert.equal(contiguous([4, 3]), false);
});

describe('LatencyWindow', () => {
  test('nearest-rank percentiles; none without samples; non-finite samples ignored', () => {
    const w = new LatencyWindow();
    assert.equal(w.percentile(50), null);
    for (let i = 1; i <= 100; i++) w.add(i);
    w.add(NaN);
    assert.equal(w.size, 100);
    assert.equal(w.percentile(50), 50);
    assert.equal(w.percentile(99), 99);
    assert.equal(w.percentile(100), 100);
  });

  test('keeps the most recent samples only', () => {
    const w = new LatencyWindow();
    for (let i = 0; i < LATENCY_KEPT; i++) w.add(1000);
    for (let i = 0; i < LATENCY_KEPT; i++) w.add(1);
    assert.equal(w.size, LATENCY_KEPT);
    assert.equal(w.percentile(100), 1);
  });
});

test('utf8Length matches the encoder, astral characters included', () => {
  for (const s of ['', 'abc', 'é', '한국어', '😀 ok', '\ud800x', '{"op":"event"}']) assert.equal(utf8Length(s), Buffer.byteLength(s), s);
});
