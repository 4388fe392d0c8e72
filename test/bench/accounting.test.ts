// Exact accounting on synthetic streams: gaps, duplicates, reordering, the owed range, and the
// three-way agreement between expected, client and server counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeqTracker, addTally, checkAgreement, deliveryRatio, emptyTally } from '../../bench/accounting.js';

function feed(t: SeqTracker, seqs: number[]): boolean[] {
  return seqs.map((s) => t.observe(s));
}

test('an in-order stream is complete, with nothing else counted', () => {
  const t = new SeqTracker(10);
  feed(t, [11, 12, 13, 14, 15]);
  assert.deepEqual(t.tally(15), { subscriptions: 1, expected: 5, delivered: 5, received: 5, duplicates: 0, gaps: 0, outOfOrder: 0, beyond: 0, stale: 0, truncatedSignals: 0 });
  assert.equal(t.maxSeen, 15);
});

test('missing seqs are gaps, whether in the middle or at the end', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 2, 4, 5, 7]);
  const tally = t.tally(9);
  assert.equal(tally.expected, 9);
  assert.equal(tally.delivered, 5);
  assert.equal(tally.gaps, 4); // 3, 6, 8, 9
  assert.equal(tally.outOfOrder, 0);
});

test('duplicates are counted once each and never as delivered', () => {
  const t = new SeqTracker(0);
  assert.deepEqual(feed(t, [1, 2, 2, 3, 1, 3]), [true, true, false, true, false, false]);
  const tally = t.tally(3);
  assert.equal(tally.duplicates, 3);
  assert.equal(tally.delivered, 3);
  assert.equal(tally.received, 6);
});

test('reordering: late seqs fill holes and count as out of order, not as gaps', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 3, 2, 5, 4, 6]);
  const tally = t.tally(6);
  assert.equal(tally.gaps, 0);
  assert.equal(tally.outOfOrder, 2);
  assert.equal(tally.duplicates, 0);
  assert.equal(t.deliveredUpTo(6), 6);
  // A duplicate of a seq that arrived ahead of a hole is still a duplicate.
  const u = new SeqTracker(0);
  feed(u, [2, 2, 1]);
  assert.equal(u.tally(2).duplicates, 1);
});

test('seqs after the end are "beyond" (not owed); seqs at or before the baseline are stale', () => {
  const t = new SeqTracker(5);
  feed(t, [4, 6, 7, 8, 9]);
  const tally = t.tally(7);
  assert.equal(tally.expected, 2);
  assert.equal(tally.delivered, 2);
  assert.equal(tally.beyond, 2);
  assert.equal(tally.stale, 1);
  assert.equal(tally.gaps, 0);
});

test('an end before the baseline owes nothing', () => {
  const t = new SeqTracker(10);
  assert.equal(t.tally(3).expected, 0);
  assert.equal(deliveryRatio(t.tally(3)), 1);
});

test('a resume after a drop keeps one tracker: the replay overlap is duplicates, the rest is exact', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 2, 3]); // dropped here, resumes with since=maxSeen=3 ...
  feed(t, [3, 4, 5]); // ... but a server replaying from 3 would duplicate it
  const tally = t.tally(5);
  assert.equal(tally.duplicates, 1);
  assert.equal(tally.gaps, 0);
});

test('a large stream with a hole stays O(hole) in memory and exact', () => {
  const t = new SeqTracker(0);
  for (let s = 1; s <= 100_000; s++) if (s !== 500) t.observe(s);
  assert.equal(t.tally(100_000).gaps, 1);
  t.observe(500);
  assert.equal(t.tally(100_000).gaps, 0);
  assert.equal(t.tally(100_000).outOfOrder, 1);
});

test('tallies add up field by field', () => {
  const a = new SeqTracker(0);
  const b = new SeqTracker(0);
  feed(a, [1, 2]);
  feed(b, [1, 1, 3]);
  const sum = addTally(addTally(emptyTally(), a.tally(3)), b.tally(3));
  assert.equal(sum.subscriptions, 2);
  assert.equal(sum.expected, 6);
  assert.equal(sum.delivered, 4);
  assert.equal(sum.gaps, 2);
  assert.equal(sum.duplicates, 1);
});

test('agreement: exact when every source matches', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 2, 3]);
  const a = checkAgreement(t.tally(3), { delivered: 3, published: 3 }, 3);
  assert.equal(a.ok, true);
  assert.equal(a.explained, false);
  assert.deepEqual(a.notes, []);
});

test('agreement: a server that wrote more to dropped connections is explained, a gap is not', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 2, 3]);
  const dropped = checkAgreement(t.tally(3), { delivered: 5, published: 3 }, 3, { droppedConnections: 2 });
  assert.equal(dropped.ok, false);
  assert.equal(dropped.explained, true);
  assert.match(dropped.notes[0]!, /2 more .* dropped/);
  const unknown = checkAgreement(t.tally(3), { delivered: 5, published: 3 }, 3);
  assert.equal(unknown.explained, false);
  const gap = checkAgreement(t.tally(4), { delivered: 3, published: 4 }, 4, { droppedConnections: 1 });
  assert.equal(gap.explained, false);
  assert.match(gap.notes[0]!, /3 of 4 .* 1 missing/);
});

test('agreement: clients receiving more than the server counted, or publish counts differing, are flagged', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 2]);
  const more = checkAgreement(t.tally(2), { delivered: 1, published: 2 }, 2);
  assert.match(more.notes.join(), /clients received 1 more/);
  const pub = checkAgreement(t.tally(2), { delivered: 2, published: 3 }, 2);
  assert.match(pub.notes.join(), /accepted 3 publishes, clients saw 2/);
  assert.equal(pub.explained, false, 'nobody left: an unacknowledged publish is unexplained');
  assert.equal(checkAgreement(t.tally(2), undefined, 2).ok, false);
});

test('agreement: publishes unacknowledged because their users left are explained, up to the number who left', () => {
  const t = new SeqTracker(0);
  feed(t, [1, 2]);
  const left = checkAgreement(t.tally(2), { delivered: 2, published: 3 }, 2, { closedConnections: 1 });
  assert.equal([left.ok, left.explained].join(), 'false,true');
  const tooMany = checkAgreement(t.tally(2), { delivered: 2, published: 5 }, 2, { closedConnections: 1 });
  assert.equal(tooMany.explained, false);
});
