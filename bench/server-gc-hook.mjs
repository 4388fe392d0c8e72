// Preloaded into the bench's server child (node --expose-gc --import): a full GC on SIGUSR2, so the
// heap the soak and capacity scenarios read is live objects rather than garbage not yet collected.
// Plain JS so it loads before tsx's loader; it touches nothing of the server's own.
//
// RSS right after gc() is not yet what the heap holds: V8 hands freed pages back to the OS from a
// background task (its unmapper), so RSS keeps falling for some hundreds of ms, and longer when the
// machine is busy. The hook therefore waits until RSS stops falling (bounded) and then writes one
// line `[bench-gc] {json}` to stderr with RSS and V8's own figures, so the bench reads memory at a
// settled point rather than after a fixed sleep.
import v8 from 'node:v8';

/** Settling: RSS read every STEP_MS until the last WINDOW reads lie within SETTLED_BYTES, at most MAX_MS. */
const STEP_MS = 50;
const WINDOW = 5;
const SETTLED_BYTES = 64 * 1024;
const MAX_MS = 3000;

let running = false;

function report(settledMs) {
  const mem = process.memoryUsage();
  const heap = v8.getHeapStatistics();
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) {
    spaces[s.space_name] = { size: s.space_size, used: s.space_used_size, physical: s.physical_space_size };
  }
  return {
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    heapPhysical: heap.total_physical_size,
    mallocedMemory: heap.malloced_memory,
    spaces,
    settledMs,
  };
}

process.on('SIGUSR2', () => {
  if (running || typeof globalThis.gc !== 'function') return;
  running = true;
  const started = Date.now();
  globalThis.gc();
  // The unmapper may not have started by the first read (a busy machine delays it), so "settled"
  // means the last WINDOW reads span less than SETTLED_BYTES, not merely two equal reads.
  const reads = [];
  const step = () => {
    reads.push(process.memoryUsage.rss());
    const recent = reads.slice(-WINDOW);
    const span = Math.max(...recent) - Math.min(...recent);
    const waited = Date.now() - started;
    if ((recent.length < WINDOW || span > SETTLED_BYTES) && waited < MAX_MS) {
      setTimeout(step, STEP_MS).unref();
      return;
    }
    running = false;
    process.stderr.write(`\n[bench-gc] ${JSON.stringify(report(waited))}\n`);
  };
  setTimeout(step, STEP_MS).unref();
});
