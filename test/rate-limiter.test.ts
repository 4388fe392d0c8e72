import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PublishLimiter, TokenBucket } from '../src/rate-limiter.js';
import { HubError } from '../src/domain/errors.js';

describe('TokenBucket', () => {
  test('allows a burst, then refills at the rate', () => {
    const bucket = new TokenBucket(2, 2, 0);
    assert.deepEqual([bucket.take(0), bucket.take(0), bucket.take(0)], [0, 0, 1]);
    assert.equal(bucket.take(499), 1, 'half a second refills only 0.998 of a token');
    assert.equal(bucket.take(510), 0);
    assert.equal(bucket.full(2000), true);
  });

  test('wait does not consume', () => {
    const bucket = new TokenBucket(1, 1, 0);
    assert.equal(bucket.wait(0), 0);
    assert.equal(bucket.wait(0), 0);
    assert.equal(bucket.take(0), 0);
    assert.equal(bucket.wait(0), 1);
  });
});

describe('PublishLimiter', () => {
  test('0 means no limit and no buckets', () => {
    const limiter = new PublishLimiter(0);
    assert.equal(limiter.connectionBucket(), undefined);
    for (let i = 0; i < 1000; i++) limiter.check('u', undefined);
    assert.equal(limiter.trackedUsers, 0);
  });

  test('a user is limited across connections; a refused publish charges neither bucket', () => {
    const limiter = new PublishLimiter(2);
    t2(limiter);
    limiter.close();
  });

  test('idle users are forgotten', () => {
    const limiter = new PublishLimiter(5);
    limiter.check('a', undefined);
    assert.equal(limiter.trackedUsers, 1);
    limiter.forgetIdle(Date.now() + 2000);
    assert.equal(limiter.trackedUsers, 0);
    limiter.close();
  });
});

function t2(limiter: PublishLimiter): void {
  const one = limiter.connectionBucket();
  const two = limiter.connectionBucket();
  limiter.check('u', one);
  limiter.check('u', two);
  assert.throws(() => limiter.check('u', two), (e: unknown) => e instanceof HubError && e.code === 'rate_limited' && e.retryAfter === 1);
  // The user's bucket refused; the connection bucket `one` still has a token because nothing was charged.
  assert.equal(one!.wait(), 0);
  limiter.check('v', one);
  assert.throws(() => limiter.check('v', one), (e: unknown) => e instanceof HubError && e.code === 'rate_limited');
}
