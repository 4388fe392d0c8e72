import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { SendBudget } from '../../src/protocol/send-budget.js';

describe('SendBudget', () => {
  test('live writes are bounded by max', () => {
    const budget = new SendBudget(100);
    assert.equal(budget.allows(0, 100, false), true);
    assert.equal(budget.allows(60, 41, false), false);
  });

  test('a replay may exceed the bound; live bytes behind it are bounded on their own', () => {
    const budget = new SendBudget(100);
    for (let i = 0; i < 10; i++) assert.equal(budget.allows(i * 50, 50, true), true, 'replay of 500 bytes');
    assert.equal(budget.allows(500, 60, false), true, '60 live bytes behind 500 unsent replay bytes');
    assert.equal(budget.allows(560, 60, false), false, '120 live bytes would pass the bound');
  });

  test('once the replay has drained, the plain rule applies again', () => {
    const budget = new SendBudget(100);
    budget.allows(0, 500, true);
    assert.equal(budget.allows(500, 40, false), true);
    assert.equal(budget.allows(30, 50, false), true, '30 pending <= 40 live bytes: the replay is gone; 30 + 50 <= 100');
    assert.equal(budget.allows(80, 50, false), false);
  });
});
