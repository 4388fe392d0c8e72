// The publish wheel: each member once per interval, at its own phase, bounded catch-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PublishWheel } from '../../../bench/load/scheduler.js';

test('each member fires about once per interval, spread over it', async () => {
  const fired = new Map<number, number[]>();
  let now = 0;
  const wheel = new PublishWheel<number>(100, (m) => (fired.get(m) ?? fired.set(m, []).get(m)!).push(now), () => now);
  for (let m = 0; m < 20; m++) wheel.add(m, m / 20);
  assert.equal(wheel.size, 20);
  // Drive it by hand: the private turn() is what the timer calls.
  const turn = (wheel as unknown as { turn(now: number): void; startedAt: number; doneSteps: number });
  turn.startedAt = 0;
  turn.doneSteps = 0;
  for (now = 5; now <= 1000; now += 5) turn.turn(now);
  for (let m = 0; m < 20; m++) {
    const times = fired.get(m)!;
    assert.equal(times.length, 10, `member ${m} fired ${times.length} times in 10 intervals`);
    for (let i = 1; i < times.length; i++) assert.equal(times[i]! - times[i - 1]!, 100);
  }
  const firstFires = [...fired.values()].map((t) => t[0]!);
  assert.ok(new Set(firstFires).size >= 10, 'phases are spread');
});

test('a wheel far behind skips (and counts) instead of bursting; removed members stop', () => {
  let count = 0;
  let now = 0;
  const wheel = new PublishWheel<string>(10, () => count++, () => now);
  wheel.add('a', 0);
  wheel.add('b', 0.5);
  const w = wheel as unknown as { turn(now: number): void; startedAt: number; doneSteps: number };
  w.startedAt = 0;
  w.doneSteps = 0;
  now = 10_000; // 1,000 intervals late
  w.turn(now);
  assert.ok(count <= 2 * 100 + 2, `caught up at most one second, fired ${count}`);
  assert.ok(wheel.skipped > 1700, `skipped ${wheel.skipped}`);
  wheel.remove('a');
  count = 0;
  now += 100;
  w.turn(now);
  assert.equal(count, 10);
});

test('start/stop run on a real timer and stop by themselves at the deadline', async () => {
  let count = 0;
  const wheel = new PublishWheel<number>(20, () => count++, () => performance.now());
  wheel.add(1);
  wheel.start(performance.now() + 200);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(wheel.running, false);
  assert.ok(count >= 5 && count <= 11, `fired ${count}`);
});
