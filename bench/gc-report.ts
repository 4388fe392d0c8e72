/**
 * The memory line the server child's GC hook (bench/server-gc-hook.mjs) writes after a full GC,
 * once RSS has settled: `[bench-gc] {json}` on stderr. Parsing and waiting for it live here so the
 * child wrapper stays thin and the parsing can be tested without a child.
 */

/** One V8 heap space after the GC (bytes). */
export interface HeapSpace {
  size: number;
  used: number;
  physical: number;
}

/** What the hook reports (bytes; `settledMs` is how long RSS took to stop falling). */
export interface GcMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  heapPhysical: number;
  mallocedMemory: number;
  spaces: Record<string, HeapSpace>;
  settledMs: number;
}

export const GC_LINE_PREFIX = '[bench-gc] ';

/** The report in one line of the child's output, or undefined when the line is something else. */
export function parseGcLine(line: string): GcMemory | undefined {
  const at = line.indexOf(GC_LINE_PREFIX);
  if (at === -1) return undefined;
  try {
    const m = JSON.parse(line.slice(at + GC_LINE_PREFIX.length)) as Partial<GcMemory>;
    const numbers = ['rss', 'heapUsed', 'heapTotal', 'external', 'arrayBuffers', 'heapPhysical', 'mallocedMemory', 'settledMs'] as const;
    if (!numbers.every((k) => typeof m[k] === 'number') || typeof m.spaces !== 'object' || m.spaces === null) return undefined;
    return m as GcMemory;
  } catch {
    return undefined;
  }
}

/**
 * The part of RSS that is not V8's young generation. New space is a fixed-size pair of semi-spaces
 * that V8 grows (up to --max-semi-space-size, 16 MB each here) when allocation is fast and shrinks
 * again when its memory reducer decides the process is idle, so a read at one connection count can
 * carry 30 MB more or less than the next for reasons unrelated to connections. Per-connection
 * figures fitted on this are steadier than on RSS itself.
 */
export function rssWithoutYoung(m: GcMemory): number {
  const young = (m.spaces['new_space']?.physical ?? 0) + (m.spaces['new_large_object_space']?.physical ?? 0);
  return m.rss - young;
}

/** JS heap used + external (Buffers and other off-heap memory V8 knows of). */
export function jsMemory(m: GcMemory): number {
  return m.heapUsed + m.external;
}

/**
 * Splits a child's output stream into lines (chunks may end mid-line) and hands each GC report to
 * whoever waits for the next one. Bounded: a line longer than `maxLine` is dropped, not buffered.
 */
export class GcLineReader {
  private partial = '';
  private waiters: ((m: GcMemory) => void)[] = [];

  constructor(private readonly maxLine = 64 * 1024) {}

  push(chunk: string): void {
    const text = this.partial + chunk;
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > this.maxLine) this.partial = '';
    for (const line of lines) {
      const m = parseGcLine(line);
      if (m) for (const resolve of this.waiters.splice(0)) resolve(m);
    }
  }

  /** The next report, or null after `timeoutMs`. */
  next(timeoutMs: number): Promise<GcMemory | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve(null);
      }, timeoutMs);
      const done = (m: GcMemory) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(done);
    });
  }
}
