import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_TIMER_MS, SharedTicker, atTime, clampDelay, clampedInterval, clampedTimeout, msSinceWholeMs, preciseOrCoarse, wallClockMs } from '../src/timers.js';

describe('wallClockMs', () => {
  test('reads the wall clock below the millisecond, within a millisecond of Date.now()', async () => {
    const fractions = new Set<number>();
    for (let i = 0; i < 50; i++) {
      const before = Date.now();
      const now = wallClockMs();
      const after = Date.now();
      assert.ok(now > before - 1 && now < after + 2, `${now} beside ${before}..${after}`);
      fractions.add(Math.round((now % 1) * 1000));
      await new Promise((r) => setImmediate(r));
    }
    assert.ok(fractions.size > 1, 'not whole milliseconds');
  });

  test('msSinceWholeMs takes a whole-ms instant as the middle of its millisecond', () => {
    const at = Date.now();
    const since = msSinceWholeMs(at);
    assert.ok(since > -0.5 - 1e-9 && since < 1000, `${since}`);
    const ago = msSinceWholeMs(at - 100);
    assert.ok(ago >= 99.5 && ago < 1100, `${ago}`);
  });

  test('falls back to Date.now() when the two clocks disagree (the system clock was set)', () => {
    assert.equal(preciseOrCoarse(1_000_000.25, 1_000_000), 1_000_000.25);
    assert.equal(preciseOrCoarse(1_000_001.75, 1_000_000), 1_000_001.75);
    assert.equal(preciseOrCoarse(1_000_000.25, 1_005_000), 1_005_000, 'clock set forward 5 s');
    assert.equal(preciseOrCoarse(1_005_000.25, 1_000_000), 1_000_000, 'clock set back 5 s');
  });
});

describe('clampDelay', () => {
  test('keeps what Node can hold; NaN, negatives and overflows are clamped', () => {
    assert.equal(clampDelay(1500), 1500);
    assert.equal(clampDelay(MAX_TIMER_MS), MAX_TIMER_MS);
    assert.equal(clampDelay(MAX_TIMER_MS + 1), MAX_TIMER_MS);
    assert.equal(clampDelay(3_000_000_000), MAX_TIMER_MS);
    assert.equal(clampDelay(Infinity), MAX_TIMER_MS);
    assert.equal(clampDelay(-5), 0);
    assert.equal(clampDelay(Number.NaN), 0);
  });
});

describe('clamped timers', () => {
  test('a delay above 2^31-1 ms neither fires after 1 ms nor warns', (t) => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    t.mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    let fired = 0;
    const timeout = clampedTimeout(() => fired++, 3_000_000_000);
    const interval = clampedInterval(() => fired++, 3_000_000_000);
    t.mock.timers.tick(10_000);
    assert.equal(fired, 0);
    t.mock.timers.tick(MAX_TIMER_MS);
    assert.equal(fired, 2, 'both at the clamp');
    clearTimeout(timeout);
    clearInterval(interval);
    assert.deepEqual(warnings, []);
  });
});

describe('atTime', () => {
  test('a deadline 30 days out fires then, not after 1 ms, re-arming in steps', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    const days30 = 30 * 86_400_000;
    let fired = 0;
    atTime(Date.now() + days30, () => fired++);
    t.mock.timers.tick(1000);
    assert.equal(fired, 0);
    t.mock.timers.tick(MAX_TIMER_MS); // first step ends; re-armed for the rest
    assert.equal(fired, 0);
    t.mock.timers.tick(days30 - MAX_TIMER_MS - 1001);
    assert.equal(fired, 0, 'one ms early');
    t.mock.timers.tick(1);
    assert.equal(fired, 1);
  });

  test('clear() cancels, also after a step; a past deadline fires asynchronously', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    let fired = 0;
    const far = atTime(Date.now() + 2 * MAX_TIMER_MS, () => fired++);
    t.mock.timers.tick(MAX_TIMER_MS + 5);
    far.clear();
    far.clear();
    t.mock.timers.tick(2 * MAX_TIMER_MS);
    assert.equal(fired, 0);
    atTime(Date.now() - 10, () => fired++);
    assert.equal(fired, 0, 'not synchronously');
    t.mock.timers.tick(0);
    assert.equal(fired, 1);
  });
});

test('SharedTicker: one interval per period for all members; it stops with the last member', async () => {
  const ticker = new SharedTicker();
  const ticks = { a: 0, b: 0, c: 0 };
  const a = { tick: () => ticks.a++ };
  const b = { tick: () => ticks.b++ };
  const c = { tick: () => ticks.c++ };
  const pa = ticker.join(a, 20);
  const pb = ticker.join(b, 20);
  const pc = ticker.join(c, 35);
  assert.equal(ticker.intervals, 2);
  // Bounded wait (a loaded machine delays timers): every member ticks, the two of one period together.
  for (let i = 0; i < 400 && !(ticks.a >= 3 && ticks.c >= 2); i++) await new Promise((r) => setTimeout(r, 5));
  assert.ok(ticks.a >= 3 && ticks.c >= 2, JSON.stringify(ticks));
  assert.equal(ticks.a, ticks.b, 'members of a period tick together');
  ticker.leave(a, pa);
  ticker.leave(a, pa);
  assert.equal(ticker.intervals, 2);
  ticker.leave(b, pb);
  ticker.leave(c, pc);
  assert.equal(ticker.intervals, 0, 'no timer left');
  const before = { ...ticks };
  await new Promise((r) => setTimeout(r, 60));
  assert.deepEqual(ticks, before, 'nobody ticks after leaving');
  assert.equal(ticker.join(a, Number.NaN), 1, 'a bad period is clamped to 1 ms');
  ticker.leave(a, 1);
});

test('SharedTicker: a member may leave while its period ticks', async () => {
  const ticker = new SharedTicker();
  let seen = 0;
  const members = Array.from({ length: 3 }, () => ({ tick: () => { seen++; for (const m of members) ticker.leave(m, 10); } }));
  for (const m of members) ticker.join(m, 10);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(seen, 1, 'the first leaves everyone; the others are not called');
  assert.equal(ticker.intervals, 0);
});
