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

  test('admitReplay: a replay starts while the unsent bytes are within the bound, not while one is queued past it', () => {
    const budget = new SendBudget(100);
    assert.equal(budget.admitReplay(0), true);
    assert.equal(budget.allows(0, 80, true), true);
    assert.equal(budget.admitReplay(80), true, 'a second replay while 80 <= 100 bytes are unsent');
    assert.equal(budget.allows(80, 500, true), true);
    assert.equal(budget.admitReplay(580), false, 'a third while 580 bytes are unsent: refused, however often asked');
    assert.equal(budget.admitReplay(580), false);
  });

  test('replies and other control writes count as live bytes behind a replay', () => {
    const budget = new SendBudget(100);
    budget.admitReplay(0);
    budget.allows(0, 500, true);
    for (let i = 0; i < 10; i++) assert.equal(budget.allows(500 + i * 10, 10, false), true);
    assert.equal(budget.allows(600, 1, false), false, '101 live bytes behind the replay');
  });
});
