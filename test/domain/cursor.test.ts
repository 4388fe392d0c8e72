import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CURSOR_PATTERN, MAX_CURSOR, cursorFrom, cursorFromText } from '../../src/domain/cursor.js';

/** Values a loose parser (Number(), Ajv coercion, parseInt) would read as a cursor. */
export const LOOSE_CURSORS = [' ', '\t', '\n', ' 1', '1 ', '0x1', '0b11', '0o3', '1e3', '+1', '-0', '1.0', '.5', '1_000', '', '٣', 'Infinity', '9007199254740992', '99999999999999999'];

describe('cursor', () => {
  test('decimal digits up to 2^53-1 are cursors; leading zeros are digits', () => {
    assert.equal(cursorFromText('0'), 0);
    assert.equal(cursorFromText('42'), 42);
    assert.equal(cursorFromText('007'), 7);
    assert.equal(cursorFromText(String(MAX_CURSOR)), MAX_CURSOR);
  });

  test('anything a loose parser would accept is not', () => {
    for (const text of LOOSE_CURSORS) assert.equal(cursorFromText(text), undefined, JSON.stringify(text));
  });

  test('JSON integers in range are cursors; other numbers and types are not', () => {
    assert.equal(cursorFrom(5), 5);
    assert.equal(cursorFrom(MAX_CURSOR), MAX_CURSOR);
    assert.equal(cursorFrom('5'), 5);
    for (const value of [-1, 1.5, MAX_CURSOR + 1, NaN, Infinity, true, null, {}, [1]]) assert.equal(cursorFrom(value), undefined, String(value));
  });

  test('the schema pattern is the text rule', () => {
    const re = new RegExp(CURSOR_PATTERN);
    assert.ok(re.test('123'));
    for (const text of LOOSE_CURSORS.filter((t) => t.length <= 16 && !/^\d+$/.test(t))) assert.equal(re.test(text), false, JSON.stringify(text));
  });
});
