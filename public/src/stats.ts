/**
 * What the demo page counts about its own connection, kept apart from the DOM so it is unit-tested:
 * the cursor and the seqs received (gaps, duplicates), and end-to-end latency percentiles.
 */

/** Seqs kept for `received` (the testing hook); older ones are dropped, the counts keep going. */
export const RECEIVED_KEPT = 20_000;
/** Latency samples kept for the percentiles (the most recent ones). */
export const LATENCY_KEPT = 2000;

/** Outcome of one event handed to {@link SeqTracker.accept}. */
export type Accepted = 'next' | 'gap' | 'duplicate' | 'first';

/** The page's cursor over one group: every seq received, in order, and what was missing or repeated. */
export class SeqTracker {
  /** Last seq applied; null before the first snapshot or event. */
  cursor: number | null = null;
  /** Every seq received, in arrival order (duplicates included), the newest {@link RECEIVED_KEPT}. */
  readonly received: number[] = [];
  /** Events received, duplicates included. */
  count = 0;
  /** Seqs skipped over (owed but never received). */
  gaps = 0;
  /** Events received at or below the cursor. */
  duplicates = 0;

  /** Starts counting after `seq` (the snapshot's seq on join). */
  start(seq: number): void {
    this.cursor = seq;
  }

  /** Records an event; `duplicate` means the caller must not apply it again. */
  accept(seq: number): Accepted {
    this.received.push(seq);
    if (this.received.length > RECEIVED_KEPT) this.received.splice(0, this.received.length - RECEIVED_KEPT);
    this.count++;
    const cursor = this.cursor;
    if (cursor !== null && seq <= cursor) {
      this.duplicates++;
      return 'duplicate';
    }
    this.cursor = seq;
    if (cursor === null) return 'first';
    if (seq > cursor + 1) {
      this.gaps += seq - cursor - 1;
      return 'gap';
    }
    return 'next';
  }

  /** Forgets everything (a different group). */
  reset(): void {
    this.cursor = null;
    this.received.length = 0;
    this.count = this.gaps = this.duplicates = 0;
  }
}

/** True when `seqs` rise by exactly 1 each step (no gap, no duplicate, no reordering). */
export function contiguous(seqs: readonly number[]): boolean {
  for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1]! + 1) return false;
  return true;
}

/** The most recent latency samples and their percentiles (nearest rank). */
export class LatencyWindow {
  private readonly samples: number[] = [];
  private next = 0;

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    if (this.samples.length < LATENCY_KEPT) this.samples.push(ms);
    else this.samples[this.next] = ms;
    this.next = (this.next + 1) % LATENCY_KEPT;
  }

  get size(): number {
    return this.samples.length;
  }

  /** The p-th percentile (0 < p <= 100) of the kept samples; null when there are none. */
  percentile(p: number): number | null {
    if (this.samples.length === 0) return null;
    const sorted = [...this.samples].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  }

  reset(): void {
    this.samples.length = 0;
    this.next = 0;
  }
}

/** UTF-8 length of a string without encoding it (what the wire carried for a text message). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
