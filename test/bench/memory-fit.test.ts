import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitPerConnection, stepCounts } from '../../bench/memory-fit.js';

test('points on a line: the slope is the bytes per connection, no residual', () => {
  const fit = fitPerConnection([1000, 2000, 3000, 4000].map((c) => ({ connections: c, bytes: 50e6 + 3000 * c })))!;
  assert.ok(Math.abs(fit.slope - 3000) < 1e-9);
  assert.ok(Math.abs(fit.intercept - 50e6) < 1e-3);
  assert.ok(fit.slopeStdError! < 1e-6);
  assert.ok(Math.abs(fit.r2! - 1) < 1e-12);
  assert.equal(fit.points, 4);
});

test('one outlying read moves the fitted slope far less than a two-point difference through it', () => {
  // 4 KB per connection, but the read at 4,000 carries 16 MB of a semi-space that grew just then.
  const points = [1000, 2000, 3000, 4000].map((c) => ({ connections: c, bytes: 4096 * c + (c === 4000 ? 16 << 20 : 0) }));
  const twoPoint = (points[3]!.bytes - points[1]!.bytes) / 2000;
  const fit = fitPerConnection(points)!;
  assert.ok(Math.abs(twoPoint - 4096) > 8000, `two-point ${twoPoint}`);
  assert.ok(Math.abs(fit.slope - 4096) < Math.abs(twoPoint - 4096) / 1.5, `fit ${fit.slope}`);
  assert.ok(fit.slopeStdError! > 0);
  assert.ok(fit.r2! < 1);
});

test('the least-squares slope equals the textbook formula on uneven data', () => {
  const xs = [1, 2, 4, 7];
  const ys = [10, 13, 20, 31];
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b) / n;
  const my = ys.reduce((a, b) => a + b) / n;
  const expected = xs.reduce((s, x, i) => s + (x - mx) * (ys[i]! - my), 0) / xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const fit = fitPerConnection(xs.map((x, i) => ({ connections: x, bytes: ys[i]! })))!;
  assert.ok(Math.abs(fit.slope - expected) < 1e-12);
});

test('too few points or one connection count: no fit; two points: no standard error', () => {
  assert.equal(fitPerConnection([]), null);
  assert.equal(fitPerConnection([{ connections: 5, bytes: 1 }]), null);
  assert.equal(fitPerConnection([{ connections: 5, bytes: 1 }, { connections: 5, bytes: 2 }]), null);
  const two = fitPerConnection([{ connections: 0, bytes: 0 }, { connections: 10, bytes: 100 }])!;
  assert.equal(two.slope, 10);
  assert.equal(two.slopeStdError, null);
  assert.equal(fitPerConnection([{ connections: 0, bytes: 7 }, { connections: 10, bytes: 7 }])!.r2, null);
});

test('step counts: equal steps ending at the total, the half among them for an even number of steps', () => {
  assert.deepEqual(stepCounts(19_700, 6), [3283, 6567, 9850, 13133, 16417, 19700]);
  assert.deepEqual(stepCounts(3, 6), [1, 2, 3]);
  assert.deepEqual(stepCounts(10, 1), [10]);
  assert.deepEqual(stepCounts(10, 0), [10]);
});
