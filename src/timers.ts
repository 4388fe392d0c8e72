/**
 * Timers whose delay a client can influence. Node holds a delay of at most 2^31-1 ms; a larger one
 * (or NaN, or a negative) runs after 1 ms with a TimeoutOverflowWarning. Every such delay goes
 * through here: short ones are clamped, deadlines further out are re-armed in steps.
 */

/** The longest delay Node's timers hold (about 24.8 days). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A delay Node can hold: NaN and negatives become 0, anything above MAX_TIMER_MS becomes it. */
export function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** `setTimeout` with the delay clamped, unref'd (never keeps the process alive). */
export function clampedTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setTimeout(fn, clampDelay(ms));
  timer.unref();
  return timer;
}

/** `setInterval` with the period clamped (at least 1 ms), unref'd. */
export function clampedInterval(fn: () => void, ms: number): NodeJS.Timeout {
  const timer = setInterval(fn, Math.max(1, clampDelay(ms)));
  timer.unref();
  return timer;
}

/**
 * The wall clock in ms with a fraction: `performance.timeOrigin + performance.now()`, which Node gives
 * to the microsecond where `Date.now()` gives whole ms. `coarse` (a `Date.now()` read) is returned
 * instead when the two disagree by more than a millisecond — the system clock was set since this
 * process started, and a measurement must not show the step as a lag of its size.
 */
export function preciseOrCoarse(precise: number, coarse: number): number {
  return precise > coarse - 1 && precise < coarse + 2 ? precise : coarse;
}

/** Now, in ms since the epoch with a sub-ms fraction (see preciseOrCoarse). */
export function wallClockMs(): number {
  return preciseOrCoarse(performance.timeOrigin + performance.now(), Date.now());
}

/**
 * ms from an event's `at` (a whole-ms `Date.now()`, the instant rounded down) to now. The instant is
 * taken as the middle of its millisecond, `at + 0.5`, so a sample is within ±0.5 ms of the true time
 * and right on average; with `Date.now()` at both ends it was ±1 ms, and whole-ms samples on the ms
 * bucket bounds of a histogram read about 0.5 ms low once interpolated (docs/redis.md, "Metrics").
 */
export function msSinceWholeMs(at: number): number {
  return wallClockMs() - (at + 0.5);
}

/** A timer for an absolute time, however far away; cancel with `clear()`. */
export interface Deadline {
  /** Cancels the timer; safe to call more than once. */
  clear(): void;
}

/**
 * Calls `fn` once at `at` (ms since epoch, as `Date.now()`), re-arming in steps of at most
 * MAX_TIMER_MS so a deadline months away neither fires early nor overflows. Unref'd.
 */
export function atTime(at: number, fn: () => void): Deadline {
  let timer: NodeJS.Timeout | undefined;
  const step = () => {
    const left = at - Date.now();
    if (left <= 0) {
      timer = undefined;
      fn();
      return;
    }
    timer = clampedTimeout(step, left);
  };
  timer = clampedTimeout(step, at - Date.now()); // never synchronously: the caller may not be set up yet
  return { clear: () => clearTimeout(timer) };
}

/** A member of a `SharedTicker`. */
export interface Ticking {
  /** Called once per period while the member is in. */
  tick(now: number): void;
}

/**
 * One interval per distinct period for many members (the heart-beats of every STOMP session that
 * negotiated the same rate) instead of an interval per member: an idle member costs a Set entry, not
 * a Timeout, its closure and their context. A member ticks at the shared phase, so its first tick
 * comes within one period of joining, not exactly one period after. A period's timer stops when its
 * last member leaves. Unref'd.
 */
export class SharedTicker {
  private readonly periods = new Map<number, { timer: NodeJS.Timeout; members: Set<Ticking> }>();

  /** Adds `member` to the interval of `ms` (clamped to [1, MAX_TIMER_MS]); returns that period, to leave with. */
  join(member: Ticking, ms: number): number {
    const period = Math.max(1, clampDelay(ms));
    let entry = this.periods.get(period);
    if (!entry) {
      const members = new Set<Ticking>();
      const timer = setInterval(() => {
        const now = Date.now();
        for (const m of members) m.tick(now);
      }, period);
      timer.unref();
      this.periods.set(period, (entry = { timer, members }));
    }
    entry.members.add(member);
    return period;
  }

  /** Removes `member` from the period it joined; safe to call twice. */
  leave(member: Ticking, period: number): void {
    const entry = this.periods.get(period);
    if (!entry || !entry.members.delete(member) || entry.members.size > 0) return;
    clearInterval(entry.timer);
    this.periods.delete(period);
  }

  /** Intervals running (one per period with members). */
  get intervals(): number {
    return this.periods.size;
  }
}
