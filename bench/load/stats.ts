import { emptyTally } from '../accounting.js';
import { Histogram } from '../histogram.js';
import type { RoleResult } from './protocol.js';

const ORIGIN = performance.timeOrigin;

/** A shared clock across threads: every thread's timeOrigin + now() agree to ~0.02 ms. */
export const sharedNow = (): number => ORIGIN + performance.now();

/**
 * The time of the socket read being handled. Every event of one read arrived together, so a reader
 * takes the clock once per read (`readClock.begin()` ... `end()` around its synchronous parse) and
 * the accounting uses it for each event of that read instead of reading the clock per event.
 * Outside a read (`at` = NaN) the accounting reads the clock itself.
 */
export const readClock = {
  at: NaN,
  /** Socket reads handled so far (the load generator's cost is mostly per read: syscall, libuv, callback). */
  reads: 0,
  begin(): void {
    this.at = sharedNow();
    this.reads++;
  },
  end(): void {
    this.at = NaN;
  },
};

/** Per-role accumulators. */
export class RoleStats {
  readonly tally = emptyTally();
  /** Steady-state latency (reset after the warm-up), folded in from `recent`. */
  readonly latency = new Histogram();
  /**
   * Latency since the last fold: the hot path records each event once, here; once a second (and
   * before any read of `latency`) it is added to `latency` and to the worker's per-second tick.
   */
  readonly recent = new Histogram();
  readonly connect = new Histogram();
  opened = 0;
  failed = 0;

  /** Moves `recent` into `latency` (and into `tick`, when given). */
  fold(tick?: Histogram): void {
    if (this.recent.count === 0) return;
    tick?.merge(this.recent);
    this.latency.merge(this.recent);
    this.recent.reset();
  }

  toResult(): RoleResult {
    this.fold();
    return { tally: { ...this.tally }, latency: this.latency.toJSON(), connect: this.connect.toJSON(), opened: this.opened, failed: this.failed };
  }
}

