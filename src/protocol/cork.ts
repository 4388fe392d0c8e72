/**
 * Batches writes to one socket within a tick: the first write of a tick corks the socket, and one
 * shared `process.nextTick` uncorks every socket corked during that tick, so N events fanned out in
 * one broker callback leave as one syscall per socket, with no closure allocated per write.
 */

/** Anything that can be corked: net.Socket, http.ServerResponse. */
export interface Corkable {
  cork(): void;
  uncork(): void;
  readonly destroyed?: boolean;
}

const corked = new Set<Corkable>();
let scheduled = false;

function uncorkAll(): void {
  scheduled = false;
  for (const target of corked) if (!target.destroyed) target.uncork();
  corked.clear();
}

/** Corks `target` until the end of the current tick (idempotent within the tick). */
export function corkForTick(target: Corkable): void {
  if (corked.has(target)) return;
  target.cork();
  corked.add(target);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(uncorkAll);
  }
}
