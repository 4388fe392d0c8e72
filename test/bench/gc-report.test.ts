import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GcLineReader, jsMemory, parseGcLine, rssWithoutYoung, type GcMemory } from '../../bench/gc-report.js';

const sample: GcMemory = {
  rss: 200e6,
  heapUsed: 40e6,
  heapTotal: 80e6,
  external: 5e6,
  arrayBuffers: 1e6,
  heapPhysical: 78e6,
  mallocedMemory: 1e6,
  spaces: { new_space: { size: 33e6, used: 1e6, physical: 32e6 }, new_large_object_space: { size: 0, used: 0, physical: 1e6 }, old_space: { size: 40e6, used: 38e6, physical: 40e6 } },
  settledMs: 450,
};

test('a hook line parses (anywhere in the line); anything else does not', () => {
  assert.deepEqual(parseGcLine(`[bench-gc] ${JSON.stringify(sample)}`), sample);
  assert.deepEqual(parseGcLine(`{"level":40}[bench-gc] ${JSON.stringify(sample)}`), sample);
  assert.equal(parseGcLine('{"level":30,"msg":"listening"}'), undefined);
  assert.equal(parseGcLine('[bench-gc] {not json'), undefined);
  assert.equal(parseGcLine('[bench-gc] {"rss":1}'), undefined);
});

test('RSS without the young generation and JS memory', () => {
  assert.equal(rssWithoutYoung(sample), 200e6 - 33e6);
  assert.equal(jsMemory(sample), 45e6);
  assert.equal(rssWithoutYoung({ ...sample, spaces: {} }), 200e6);
});

test('the reader joins a report split over chunks and hands it to the waiter', async () => {
  const reader = new GcLineReader();
  const next = reader.next(1000);
  const line = `log line\n[bench-gc] ${JSON.stringify(sample)}\nafter`;
  reader.push(line.slice(0, 30));
  reader.push(line.slice(30));
  assert.deepEqual(await next, sample);
});

test('no report in time: null; a line over the bound is dropped, not kept', async () => {
  const reader = new GcLineReader(100);
  assert.equal(await reader.next(20), null);
  const next = reader.next(50);
  reader.push('[bench-gc] ' + 'x'.repeat(200));
  reader.push(`${JSON.stringify(sample)}\n`);
  assert.equal(await next, null);
});
