import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PresenceCounts, entryKey, toEntries } from '../../src/broker/presence.js';

describe('PresenceCounts', () => {
  test('add and remove report when an entry appears and disappears', () => {
    const counts = new PresenceCounts();
    assert.equal(counts.add('g', 'a', 'sse'), true);
    assert.equal(counts.add('g', 'a', 'sse'), false);
    assert.equal(counts.add('g', 'a', 'stomp'), true);
    assert.equal(counts.remove('g', 'a', 'sse'), false);
    assert.equal(counts.has('g', 'a', 'sse'), true);
    assert.equal(counts.remove('g', 'a', 'sse'), true);
    assert.equal(counts.remove('g', 'a', 'sse'), false, 'removing what is not there');
    assert.deepEqual([...counts.keys('g')], ['a|stomp']);
    assert.equal(counts.remove('g', 'a', 'stomp'), true);
    assert.deepEqual([...counts.groupNames()], [], 'an empty group is forgotten');
  });
});

describe('toEntries', () => {
  test('drops duplicates and sorts by user, then transport (not by the joined key)', () => {
    const keys = [entryKey('ab', 'sse'), entryKey('a', 'websocket'), entryKey('a', 'sse'), entryKey('a', 'sse')];
    assert.deepEqual(toEntries(keys), [
      { user: 'a', transport: 'sse' },
      { user: 'a', transport: 'websocket' },
      { user: 'ab', transport: 'sse' },
    ]);
  });
});
