import { HubError } from './domain/errors.js';

/** A token bucket: `rate` tokens a second, holding at most `burst`. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Seconds until a token is available (0 = now), without taking it. */
  wait(now = Date.now()): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    return this.tokens >= 1 ? 0 : Math.ceil((1 - this.tokens) / this.rate);
  }

  /** Takes a token if one is available; returns 0, or the seconds until one is. */
  take(now = Date.now()): number {
    const wait = this.wait(now);
    if (wait === 0) this.tokens--;
    return wait;
  }

  /** True when the bucket is full again (an idle key that can be forgotten). */
  full(now = Date.now()): boolean {
    return this.tokens + ((now - this.last) / 1000) * this.rate >= this.burst;
  }
}

/**
 * RATE_LIMIT_PER_SEC publishes a second per connection and per user (a burst of one second's worth),
 * or no limit at 0. Per-user buckets are forgotten once full, so memory follows active publishers.
 */
export class PublishLimiter {
  private readonly users = new Map<string, TokenBucket>();
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly burst: number;

  constructor(private readonly ratePerSec: number) {
    this.burst = Math.max(1, ratePerSec);
    if (ratePerSec > 0) {
      this.sweeper = setInterval(() => this.forgetIdle(), 10_000);
      this.sweeper.unref();
    }
  }

  /** A bucket for one connection, or undefined when there is no limit. */
  connectionBucket(): TokenBucket | undefined {
    return this.ratePerSec > 0 ? new TokenBucket(this.ratePerSec, this.burst) : undefined;
  }

  /**
   * Charges one publish to the connection and the user.
   * @throws HubError `rate_limited` with `retryAfter` (seconds)
   */
  check(user: string, connection: TokenBucket | undefined): void {
    if (this.ratePerSec <= 0) return;
    const now = Date.now();
    let userBucket = this.users.get(user);
    if (!userBucket) this.users.set(user, (userBucket = new TokenBucket(this.ratePerSec, this.burst, now)));
    // Both must allow it before either is charged, so a refused publish costs nothing.
    const wait = Math.max(connection?.wait(now) ?? 0, userBucket.wait(now));
    if (wait === 0) {
      connection?.take(now);
      userBucket.take(now);
      return;
    }
    const error = new HubError('rate_limited', `more than ${this.ratePerSec} publishes a second; retry in ${wait} s`);
    error.retryAfter = wait;
    throw error;
  }

  /** Users with a bucket (leak checks). */
  get trackedUsers(): number {
    return this.users.size;
  }

  forgetIdle(now = Date.now()): void {
    for (const [user, bucket] of this.users) if (bucket.full(now)) this.users.delete(user);
  }

  close(): void {
    clearInterval(this.sweeper);
  }
}
