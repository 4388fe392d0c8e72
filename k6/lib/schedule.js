// Timers on k6's event loop. An iteration (one session) ends only when no timer, socket or
// pending request is left, so every timer started here must be stopped by the session's end.
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers';

/**
 * Call `fn` every `intervalMs`, the first time after a random offset so that VUs started together
 * do not publish in lockstep.
 * @param {number} intervalMs @param {() => void} fn
 * @returns {{ stop(): void }}
 */
export function startPublisher(intervalMs, fn) {
  /** @type {number | undefined} */
  let interval;
  let stopped = false;
  const first = setTimeout(() => {
    if (stopped) return;
    fn();
    interval = setInterval(fn, intervalMs);
  }, Math.floor(Math.random() * intervalMs));
  return {
    stop() {
      stopped = true;
      clearTimeout(first);
      if (interval !== undefined) clearInterval(interval);
    },
  };
}

/** A sleep that lets other callbacks run (k6's sleep() blocks the whole VU). @param {number} ms */
export function pause(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, Math.max(0, ms));
  });
}
