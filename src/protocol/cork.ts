/**
 * Coalesces writes to one socket per event-loop turn: the first write of a turn corks the socket, and
 * one shared `setImmediate` (the check phase, after every I/O callback of the turn) uncorks every
 * socket corked since. Publishes that arrive in the same turn — several frames read from one socket,
 * several sockets readable at once — therefore leave each subscriber's socket as one write. Under
 * light load a turn carries one publish and nothing changes; under heavy load the syscalls per
 * delivery divide. No closure is allocated per write.
 *
 * With a flush window (FLUSH_WINDOW_MS > 0) the uncork waits that many ms instead, coalescing across
 * turns at the cost of up to the window in latency. Corked bytes count in the socket's
 * `writableLength` (and so in `bufferedAmount`), so the MAX_BUFFERED_BYTES rule sees them as before.
 */

/** Anything that can be corked: net.Socket, http.ServerResponse. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed?: boolean;
}

const corked = new Set<Corkable>();
let scheduled = false;
let windowMs = 0;

function uncorkAll(): void {
  scheduled = false;
  for (const target of corked) if (!target.destroyed) target.uncork();
  corked.clear();
}

/**
 * Sets the flush window for the process (FLUSH_WINDOW_MS): 0 = flush at the end of each event-loop
 * turn; n > 0 = flush n ms after the first corked write. Takes effect from the next flush scheduled.
 */
export function setFlushWindow(ms: number): void {
  windowMs = Math.min(Math.max(0, ms), 2 ** 31 - 1);
}

/** Corks `target` until the end of the current event-loop turn, or the flush window (idempotent until then). */
export function corkForTurn(target: Corkable): void {
  if (corked.has(target)) return;
  target.cork();
  corked.add(target);
  if (!scheduled) {
    scheduled = true;
    if (windowMs > 0) setTimeout(uncorkAll, windowMs);
    else setImmediate(uncorkAll);
  }
}
