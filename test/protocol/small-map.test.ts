import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SmallMap } from '../../src/protocol/small-map.js';

/** Applies the same operations to a SmallMap and a Map and compares them after each. */
function same(ops: ([ 'set', string, number ] | ['delete', string] | ['clear'])[]): void {
  const small = new SmallMap<string, number>();
  const map = new Map<string, number>();
  for (const op of ops) {
    if (op[0] === 'set') {
      small.set(op[1], op[2]);
      map.set(op[1], op[2]);
    } else if (op[0] === 'delete') {
      assert.equal(small.delete(op[1]), map.delete(op[1]), `delete ${op[1]}`);
    } else {
      small.clear();
      map.clear();
    }
    assert.equal(small.size, map.size);
    assert.deepEqual([...small.values()], [...map.values()], JSON.stringify(op));
    for (const k of ['a', 'b', 'c', 'z']) {
      assert.equal(small.get(k), map.get(k), `get ${k}`);
      assert.equal(small.has(k), map.has(k), `has ${k}`);
    }
  }
}

test('one entry: set, replace, delete, clear behave as a Map', () => {
  same([['set', 'a', 1], ['set', 'a', 2], ['delete', 'z'], ['delete', 'a'], ['delete', 'a'], ['set', 'b', 3], ['clear']]);
});

test('a second key moves to a Map; order, deletes and clear still match a Map', () => {
  same([['set', 'a', 1], ['set', 'b', 2], ['set', 'c', 3], ['set', 'a', 4], ['delete', 'b'], ['set', 'b', 5], ['clear'], ['set', 'c', 6], ['set', 'a', 7]]);
});

test('falsy keys and values are entries like any other', () => {
  const m = new SmallMap<string, number | undefined>();
  m.set('', 0);
  assert.equal(m.size, 1);
  assert.equal(m.has(''), true);
  assert.equal(m.get(''), 0);
  m.set('x', undefined);
  assert.deepEqual([...m.values()], [0, undefined]);
});
