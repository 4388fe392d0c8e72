/**
 * Exact delivery accounting from `seq`, the per-group cursor every transport shares.
 *
 * A subscription owes its client every seq in (baseline, end]: the baseline is the cursor it
 * subscribed with (or the head the server told it), the end is the group's head when the run (or
 * the client) stopped. Anything missing in that range is a gap, anything seen twice a duplicate,
 * anything older than the highest seq already seen is out of order. Counting is O(1) per event for
 * in-order streams: only seqs that arrive ahead of a hole are kept in a set.
 */

/** Counts over one or many subscriptions; every field adds up across clients and workers. */
export interface Tally {
  /** Subscriptions accounted. */
  subscriptions: number;
  /** Seqs owed: sum of (end - baseline). */
  expected: number;
  /** Distinct owed seqs received. */
  delivered: number;
  /** Every event received, duplicates and seqs outside the owed range included. */
  received: number;
  /** Events received again. */
  duplicates: number;
  /** Owed seqs never received. */
  gaps: number;
  /** Events that arrived after a higher seq. */
  outOfOrder: number;
  /** Distinct seqs after the end (delivered after the client stopped counting; not owed). */
  beyond: number;
  /** Distinct seqs at or before the baseline (not owed; a server replaying too much). */
  stale: number;
  /** Loss signals from the server (`truncated`): history was cut before the cursor. */
  truncatedSignals: number;
}

/** An all-zero tally. */
export function emptyTally(): Tally {
  return { subscriptions: 0, expected: 0, delivered: 0, received: 0, duplicates: 0, gaps: 0, outOfOrder: 0, beyond: 0, stale: 0, truncatedSignals: 0 };
}

/** Adds `b` into `a` (field by field) and returns `a`. */
export function addTally(a: Tally, b: Tally): Tally {
  for (const key of Object.keys(a) as (keyof Tally)[]) a[key] += b[key];
  return a;
}

/** delivered / expected, 1 when nothing was owed. */
export function deliveryRatio(t: Tally): number {
  return t.expected === 0 ? 1 : t.delivered / t.expected;
}

/** One client's accounting on one group. */
export class SeqTracker {
  /** All seqs in (baseline, contiguous] have been received. */
  private contiguous: number;
  /** Distinct seqs received above `contiguous` (only while a hole is open). */
  private ahead: Set<number> | undefined = undefined;
  /** Distinct seqs at or below the baseline. */
  private staleSeqs: Set<number> | undefined = undefined;
  /** Highest seq received (the cursor a client resumes from, like Last-Event-ID). */
  maxSeen: number;
  received = 0;
  duplicates = 0;
  outOfOrder = 0;
  truncatedSignals = 0;

  /** @param baseline the cursor the subscription starts after */
  constructor(readonly baseline: number) {
    this.contiguous = baseline;
    this.maxSeen = baseline;
  }

  /**
   * Accounts one event.
   * @returns true when the seq is new (record its latency), false for a duplicate
   */
  observe(seq: number): boolean {
    this.received++;
    if (seq <= this.baseline) {
      const stale = (this.staleSeqs ??= new Set());
      if (stale.has(seq)) return this.duplicate();
      stale.add(seq);
      if (seq < this.maxSeen) this.outOfOrder++;
      return true;
    }
    if (seq <= this.contiguous || (this.ahead !== undefined && this.ahead.has(seq))) return this.duplicate();
    if (seq < this.maxSeen) this.outOfOrder++;
    else this.maxSeen = seq;
    if (seq === this.contiguous + 1) {
      this.contiguous = seq;
      const ahead = this.ahead;
      if (ahead !== undefined && ahead.size > 0) {
        while (ahead.delete(this.contiguous + 1)) this.contiguous++;
      }
    } else {
      (this.ahead ??= new Set()).add(seq);
    }
    return true;
  }

  private duplicate(): false {
    this.duplicates++;
    return false;
  }

  /** The server said history was cut before our cursor (the skipped seqs still count as gaps). */
  markTruncated(): void {
    this.truncatedSignals++;
  }

  /** Distinct seqs in (baseline, end] received so far. */
  deliveredUpTo(end: number): number {
    let n = Math.max(0, Math.min(this.contiguous, end) - this.baseline);
    if (this.ahead) for (const seq of this.ahead) if (seq <= end && seq > this.contiguous) n++;
    return n;
  }

  /** Distinct seqs received after the baseline. */
  get distinct(): number {
    return this.contiguous - this.baseline + (this.ahead?.size ?? 0);
  }

  /** The tally of this subscription if it owed everything up to `end`. */
  tally(end: number): Tally {
    const owedEnd = Math.max(end, this.baseline);
    const delivered = this.deliveredUpTo(owedEnd);
    const expected = owedEnd - this.baseline;
    return {
      subscriptions: 1,
      expected,
      delivered,
      received: this.received,
      duplicates: this.duplicates,
      gaps: expected - delivered,
      outOfOrder: this.outOfOrder,
      beyond: this.distinct - delivered,
      stale: this.staleSeqs?.size ?? 0,
      truncatedSignals: this.truncatedSignals,
    };
  }
}

/** What the server's counters say over the same window. */
export interface ServerCounts {
  /** rt_events_delivered_total of the transport under test. */
  delivered: number;
  /** rt_events_published_total over every source. */
  published: number;
}

/** The three-way check between the expected count, the clients' counts and the server's counters. */
export interface Agreement {
  /** True when all three sources agree exactly. */
  ok: boolean;
  /**
   * True when they do not, but only because the server counted events written to connections the
   * scenario itself dropped, cut or closed (every owed event still arrived, publishes match).
   */
  explained: boolean;
  expected: number;
  clientDelivered: number;
  clientReceived: number;
  serverDelivered: number;
  /** Publishes the clients saw accepted. */
  clientAccepted: number;
  serverPublished: number;
  /** Each disagreement, with its likely cause. */
  notes: string[];
}

/**
 * Compares expected vs client vs server. `received` (every event a client parsed, duplicates and
 * out-of-range included) must equal the server's delivered counter, since the server counts each
 * event it hands to a socket; `delivered` (distinct owed seqs) must equal expected.
 * @param context what the scenario did that explains a known difference (e.g. cut consumers)
 */
export function checkAgreement(
  tally: Tally,
  server: ServerCounts | undefined,
  clientAccepted: number,
  context: { cutConsumers?: number; droppedConnections?: number; closedConnections?: number } = {},
): Agreement {
  const notes: string[] = [];
  let unexplained = false;
  if (tally.delivered !== tally.expected) {
    const why = tally.truncatedSignals > 0 ? ` (the server signalled cut history ${tally.truncatedSignals} time(s))` : '';
    notes.push(`clients got ${tally.delivered} of ${tally.expected} owed events: ${tally.gaps} missing${why}`);
    unexplained = true;
  }
  if (tally.duplicates > 0) {
    notes.push(`${tally.duplicates} duplicate deliveries`);
    unexplained = true;
  }
  if (server) {
    const diff = server.delivered - tally.received;
    if (diff > 0) {
      const known = !!(context.cutConsumers || context.droppedConnections || context.closedConnections);
      if (!known) unexplained = true;
      const cause = context.cutConsumers
        ? `written to ${context.cutConsumers} consumer(s) that were cut or dropped before reading them`
        : context.droppedConnections
          ? `in flight on ${context.droppedConnections} connection(s) dropped by the scenario`
          : context.closedConnections
            ? `in flight to some of the ${context.closedConnections} users who left during the run (written after they closed)`
            : 'written by the server but never parsed by a client (lost in flight, or a client closed before reading)';
      notes.push(`server delivered ${diff} more than clients received: ${cause}`);
    } else if (diff < 0) {
      notes.push(`clients received ${-diff} more than the server counted as delivered (a server counter misses a path)`);
      unexplained = true;
    }
    if (server.published !== clientAccepted) {
      const unacknowledged = server.published - clientAccepted;
      const leavers = (context.closedConnections ?? 0) + (context.droppedConnections ?? 0);
      notes.push(`server accepted ${server.published} publishes, clients saw ${clientAccepted} acknowledged`);
      // A user who leaves (or is dropped) with a publish in flight never sees its acknowledgement.
      if (unacknowledged < 0 || unacknowledged > leavers) unexplained = true;
    }
  } else {
    notes.push('no server counters (metrics unavailable)');
    unexplained = true;
  }
  const ok = notes.length === 0;
  return {
    ok,
    explained: !ok && !unexplained,
    expected: tally.expected,
    clientDelivered: tally.delivered,
    clientReceived: tally.received,
    serverDelivered: server?.delivered ?? NaN,
    clientAccepted,
    serverPublished: server?.published ?? NaN,
    notes,
  };
}
