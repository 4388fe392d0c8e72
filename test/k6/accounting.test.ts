// Seq accounting (k6/lib/accounting.js): gaps, duplicates and reordering per group, the loss
// signal, and the samples the Recorder emits. The lib is plain JS for k6, loaded here by URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const lib = await import(new URL('../../k6/lib/accounting.js', import.meta.url).href);
const { SeqTracker, Recorder, applyBatch } = lib;

type Sample = { value: number; tags?: Record<string, string> };
function sinks() {
  const names = ['latency', 'received', 'sent', 'gaps', 'duplicates', 'reordered', 'truncated', 'connect', 'errors'];
  const s: Record<string, { samples: Sample[]; add(v: number, t?: Record<string, string>): void; sum(): number }> = {};
  for (const n of names) {
    const samples: Sample[] = [];
    s[n] = { samples, add: (value, tags) => void samples.push({ value, tags }), sum: () => samples.reduce((a, b) => a + b.value, 0) };
  }
  return s;
}

test('in-order delivery is all fresh, no gaps', () => {
  const t = new SeqTracker();
  t.baseline('g1', 10);
  for (let s = 11; s <= 20; s++) assert.equal(t.observe('g1', s).fresh, true);
  assert.equal(t.flush(), 0);
  assert.deepEqual(t.totals, { received: 10, duplicates: 0, reordered: 0, gaps: 0, truncated: 0 });
  assert.equal(t.cursor('g1'), 20);
});

test('first event without a baseline becomes the baseline', () => {
  const t = new SeqTracker();
  assert.equal(t.cursor('g'), undefined);
  const o = t.observe('g', 57);
  assert.deepEqual(o, { fresh: true, duplicate: false, reordered: false, gaps: 0, truncated: 0 });
  assert.equal(t.cursor('g'), 57);
});

test('baseline is ignored once the group has state (events after the cursor are still owed)', () => {
  const t = new SeqTracker();
  t.baseline('g', 5);
  t.observe('g', 6);
  t.baseline('g', 40);
  assert.equal(t.cursor('g'), 6);
});

test('a late seq inside the window is a reorder, not a gap', () => {
  const t = new SeqTracker({ reorderWindow: 10 });
  t.baseline('g', 0);
  t.observe('g', 1);
  const jump = t.observe('g', 4);
  assert.equal(jump.gaps, 0, 'gaps are not final yet');
  assert.equal(t.observe('g', 3).reordered, true);
  assert.equal(t.observe('g', 2).reordered, true);
  assert.equal(t.flush(), 0);
  assert.equal(t.totals.reordered, 2);
  assert.equal(t.totals.received, 4);
});

test('a missing seq becomes a gap when the head moves a window past it', () => {
  const t = new SeqTracker({ reorderWindow: 3 });
  t.baseline('g', 0);
  t.observe('g', 2); // 1 missing
  assert.equal(t.observe('g', 3).gaps, 0);
  assert.equal(t.observe('g', 4).gaps, 1, '4 - 1 >= 3');
  assert.equal(t.observe('g', 1).duplicate, true, 'after expiry it can only be counted once more as a duplicate');
  assert.equal(t.totals.gaps, 1);
});

test('flush turns pending seqs into gaps', () => {
  const t = new SeqTracker();
  t.baseline('a', 0);
  t.baseline('b', 100);
  t.observe('a', 5); // 1..4
  t.observe('b', 103); // 101, 102
  assert.equal(t.flush('b'), 2);
  assert.equal(t.flush(), 4);
  assert.equal(t.flush(), 0);
  assert.equal(t.totals.gaps, 6);
});

test('duplicates: the same seq twice, and a seq at or below the cursor', () => {
  const t = new SeqTracker();
  t.baseline('g', 10);
  t.observe('g', 11);
  assert.equal(t.observe('g', 11).duplicate, true);
  assert.equal(t.observe('g', 10).duplicate, true, 'the baseline itself was delivered before');
  assert.equal(t.totals.duplicates, 2);
  assert.equal(t.totals.received, 1);
});

test('groups are accounted independently', () => {
  const t = new SeqTracker();
  t.baseline('g1', 0);
  t.baseline('g2', 0);
  t.observe('g1', 1);
  t.observe('g2', 1);
  t.observe('g1', 2);
  assert.equal(t.observe('g2', 1).duplicate, true);
  assert.equal(t.observe('g2', 2).fresh, true);
  assert.equal(t.flush(), 0);
});

test('a huge jump is bounded in memory and counted', () => {
  const t = new SeqTracker({ reorderWindow: 5 });
  t.baseline('g', 0);
  const o = t.observe('g', 50001);
  assert.ok(o.gaps >= 40000);
  assert.ok(t.groups.g.pending.length <= 10000);
  assert.equal(o.gaps + t.flush(), 50000);
});

test('after a loss signal the next seq rebases: the skip is truncated, not a gap', () => {
  const t = new SeqTracker();
  t.baseline('g', 10);
  t.observe('g', 12); // 11 pending
  t.markTruncated('g');
  assert.equal(t.awaitingRebase('g'), true);
  const o = t.observe('g', 500);
  assert.equal(o.gaps, 0);
  assert.equal(o.truncated, 1 + 487);
  assert.equal(t.awaitingRebase('g'), false);
  assert.equal(t.observe('g', 501).fresh, true);
  assert.equal(t.flush(), 0);
});

test('a loss signal with a cursor ahead of the head (server restarted) rebases backwards', () => {
  const t = new SeqTracker();
  t.baseline('g', 900);
  t.markTruncated('g');
  assert.equal(t.observe('g', 1).fresh, true);
  assert.equal(t.observe('g', 2).fresh, true, 'not duplicates of the old numbering');
  assert.equal(t.totals.duplicates, 0);
});

test('resync moves the cursor to the head and counts the skipped seqs', () => {
  const t = new SeqTracker();
  t.baseline('g', 10);
  t.markTruncated('g');
  assert.equal(t.resync('g', 15), 5);
  assert.equal(t.cursor('g'), 15);
  assert.equal(t.resync('g', 3), 0, 'a head behind the cursor loses nothing');
  assert.equal(t.cursor('g'), 3);
});

test('Recorder: samples carry the transport tag, latency only for first deliveries', () => {
  const s = sinks();
  const rec = new Recorder('websocket', new SeqTracker(), s);
  rec.begin();
  assert.equal(s.gaps.samples.length, 1, 'zero sample so count==0 thresholds have data');
  rec.tracker.baseline('g1', 0);
  const now = 10_000;
  rec.event({ seq: 1, group: 'g1', sentAt: now - 40 }, now);
  rec.event({ seq: 1, group: 'g1', sentAt: now - 40 }, now);
  rec.event({ seq: 3, group: 'g1', sentAt: now - 5 }, now);
  rec.event({ seq: 4, group: 'g1' }, now); // no sentAt: counted, no latency
  assert.equal(rec.event({ nope: true }, now), false);
  rec.sent(2);
  rec.connected(12);
  rec.end();
  assert.deepEqual(s.latency.samples.map((x) => x.value), [40, 5]);
  assert.equal(s.received.sum(), 3);
  assert.equal(s.duplicates.sum(), 1);
  assert.equal(s.gaps.sum(), 1, 'seq 2 never came');
  assert.equal(s.sent.sum(), 2);
  assert.deepEqual(s.connect.samples, [{ value: 12, tags: { transport: 'websocket' } }]);
  assert.deepEqual(s.errors.samples.at(-1), { value: 1, tags: { transport: 'websocket', kind: 'bad_event' } });
  for (const name of ['latency', 'received', 'duplicates', 'gaps', 'sent']) {
    for (const x of s[name].samples) assert.equal(x.tags?.transport, 'websocket', name);
  }
});

test('applyBatch: first answer baselines at next, events are accounted, bad bodies are errors', () => {
  const s = sinks();
  const rec = new Recorder('short-polling', new SeqTracker(), s);
  assert.equal(applyBatch(rec, 'g', { events: [], next: 7 }), true);
  assert.equal(rec.tracker.cursor('g'), 7);
  applyBatch(rec, 'g', { events: [{ seq: 8, group: 'g', sentAt: 1 }, { seq: 9, group: 'g', sentAt: 1 }], next: 9 }, 2);
  assert.equal(rec.tracker.cursor('g'), 9);
  assert.equal(s.received.sum(), 2);
  assert.equal(applyBatch(rec, 'g', { error: { code: 'not_found' } }), false);
  assert.equal(s.errors.sum(), 1);
});

test('applyBatch: truncated answers rebase on the first event, or on next when empty', () => {
  const s = sinks();
  const rec = new Recorder('long-polling', new SeqTracker(), s);
  rec.tracker.baseline('g', 5);
  applyBatch(rec, 'g', { events: [{ seq: 2000, group: 'g' }, { seq: 2001, group: 'g' }], next: 2001, truncated: true });
  assert.equal(s.gaps.sum(), 0);
  assert.equal(s.truncated.sum(), 1994);
  applyBatch(rec, 'g', { events: [], next: 12, truncated: true });
  assert.equal(rec.tracker.cursor('g'), 12, 'cursor ahead of the head moves back to it');
  rec.end();
  assert.equal(s.gaps.sum(), 0);
});
