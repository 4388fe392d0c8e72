import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, clock, ms } from '../../public/src/dom.js';

test('page number formats: ms, bytes, clock; a dash for no value', () => {
  assert.deepEqual([ms(null), ms(NaN), ms(0.42), ms(12.6), ms(1234)], ['–', '–', '0.4 ms', '13 ms', '1,234 ms']);
  assert.deepEqual([bytes(undefined), bytes(512), bytes(2048), bytes(3 * 1024 * 1024)], ['–', '512 B', '2.0 KB', '3.0 MB']);
  assert.match(clock(Date.UTC(2026, 11, 1, 1, 2, 3)), /^\d\d:\d\d:\d\d$/);
});
