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
