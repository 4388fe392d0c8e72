// Delivery accounting from `seq`, the per-group cursor every transport shares.
// Pure: no k6 imports, so Node unit-tests it and every k6 script uses the same rules.
//
// A jump in `seq` does not count as a gap at once: the missing seqs wait in `pending` until either
// they arrive (a reorder) or they fall `reorderWindow` seqs behind the head or the session ends
// (then they are gaps). k6 counters cannot be decremented, so a gap is only reported when final.

/**
 * @typedef {{ fresh: boolean, duplicate: boolean, reordered: boolean, gaps: number, truncated: number }} Observation
 * @typedef {{ last: number, pending: number[], truncated: boolean }} GroupState
 */

const MAX_PENDING = 10000;

export class SeqTracker {
  /** @param {{ reorderWindow?: number }} [opts] */
  constructor(opts = {}) {
    this.reorderWindow = opts.reorderWindow ?? 100;
    /** @type {Record<string, GroupState>} */
    this.groups = {};
    this.totals = { received: 0, duplicates: 0, reordered: 0, gaps: 0, truncated: 0 };
  }

  /** Highest seq seen in `group` (the cursor to resume from), or undefined before any. @param {string} group */
  cursor(group) {
    const g = this.groups[group];
    return g ? g.last : undefined;
  }

  /**
   * The server told us the group's head (`subscribed.seq`, a poll's `next`, a snapshot's `seq`).
   * Only a group without state takes it: with state, events after our cursor are still owed to us.
   * @param {string} group @param {number} seq
   */
  baseline(group, seq) {
    if (!this.groups[group] && Number.isInteger(seq) && seq >= 0) {
      this.groups[group] = { last: seq, pending: [], truncated: false };
    }
  }

  /** The server signalled cut history: the next seq starts a new baseline, the skip is not a gap. @param {string} group */
  markTruncated(group) {
    const g = this.groups[group];
    if (g) g.truncated = true;
  }

  /** Whether a loss signal still waits for the event that rebases the group. @param {string} group */
  awaitingRebase(group) {
    const g = this.groups[group];
    return g ? g.truncated : false;
  }

  /**
   * The server says the head is `seq` after a loss signal with no event to rebase on.
   * Returns the number of seqs counted as truncated.
   * @param {string} group @param {number} seq
   */
  resync(group, seq) {
    const g = this.groups[group];
    if (!g) {
      this.baseline(group, seq);
      return 0;
    }
    const lost = g.pending.length + Math.max(0, seq - g.last);
    g.pending = [];
    g.last = seq;
    g.truncated = false;
    this.totals.truncated += lost;
    return lost;
  }

  /**
   * Account one delivered event.
   * @param {string} group @param {number} seq
   * @returns {Observation}
   */
  observe(group, seq) {
    /** @type {Observation} */
    const out = { fresh: false, duplicate: false, reordered: false, gaps: 0, truncated: 0 };
    const g = this.groups[group];
    if (!g) {
      this.groups[group] = { last: seq, pending: [], truncated: false };
      out.fresh = true;
    } else if (g.truncated) {
      // Whatever comes first after a loss signal is the new baseline, even behind the old cursor
      // (the server restarted or evicted the group and replays what it kept).
      out.truncated = g.pending.length + Math.max(0, seq - g.last - 1);
      g.pending = [];
      g.last = seq;
      g.truncated = false;
      out.fresh = true;
    } else if (seq === g.last + 1) {
      g.last = seq;
      out.fresh = true;
    } else if (seq > g.last + 1) {
      const missing = seq - g.last - 1;
      const kept = Math.min(missing, Math.max(0, MAX_PENDING - g.pending.length));
      // Bound memory: a jump larger than we can hold is counted as gaps straight away.
      out.gaps += missing - kept;
      for (let s = seq - kept; s < seq; s++) g.pending.push(s);
      g.last = seq;
      out.fresh = true;
    } else {
      const i = g.pending.indexOf(seq);
      if (i >= 0) {
        g.pending.splice(i, 1);
        out.reordered = true;
      } else {
        out.duplicate = true;
      }
    }
    if (g) out.gaps += this.expire(g);
    if (out.fresh || out.reordered) this.totals.received++;
    if (out.duplicate) this.totals.duplicates++;
    if (out.reordered) this.totals.reordered++;
    this.totals.gaps += out.gaps;
    this.totals.truncated += out.truncated;
    return out;
  }

  /**
   * End of a session: every still-missing seq is a gap, since resuming from the cursor (the highest
   * seq seen) will not bring it back. Returns the gaps found now. @param {string} [group]
   */
  flush(group) {
    let gaps = 0;
    for (const name of group === undefined ? Object.keys(this.groups) : [group]) {
      const g = this.groups[name];
      if (!g) continue;
      gaps += g.pending.length;
      g.pending = [];
    }
    this.totals.gaps += gaps;
    return gaps;
  }

  /** @param {GroupState} g @returns {number} */
  expire(g) {
    let gaps = 0;
    // pending is ascending: seqs are appended in order and only ever removed.
    while (g.pending.length > 0 && g.last - g.pending[0] >= this.reorderWindow) {
      g.pending.shift();
      gaps++;
    }
    return gaps;
  }
}

/**
 * @typedef {{ add(value: number, tags?: Record<string, string>): void }} Sink
 * @typedef {{ latency: Sink, received: Sink, sent: Sink, gaps: Sink, duplicates: Sink,
 *   reordered: Sink, truncated: Sink, connect: Sink, errors: Sink }} Sinks
 */

/**
 * Turns observations into metric samples tagged with the transport. The sinks are k6 metrics in a
 * script (see metrics.js) and plain recorders in unit tests.
 */
export class Recorder {
  /** @param {string} transport @param {SeqTracker} tracker @param {Sinks} sinks */
  constructor(transport, tracker, sinks) {
    this.transport = transport;
    this.tracker = tracker;
    this.sinks = sinks;
    this.tags = { transport };
  }

  /** Zero samples make every counter appear in the summary, so `count==0` thresholds have data. */
  begin() {
    const s = this.sinks;
    for (const m of [s.gaps, s.duplicates, s.received, s.sent, s.reordered, s.truncated, s.errors]) {
      m.add(0, this.tags);
    }
  }

  /**
   * One event as delivered by the server; returns false when it is not an event object.
   * @param {any} event @param {number} [now]
   */
  event(event, now = Date.now()) {
    if (!event || typeof event.group !== 'string' || !Number.isInteger(event.seq)) {
      this.error('bad_event');
      return false;
    }
    const o = this.tracker.observe(event.group, event.seq);
    const s = this.sinks;
    if (o.fresh || o.reordered) {
      s.received.add(1, this.tags);
      if (typeof event.sentAt === 'number' && Number.isFinite(event.sentAt)) {
        s.latency.add(Math.max(0, now - event.sentAt), this.tags);
      }
    }
    if (o.duplicate) s.duplicates.add(1, this.tags);
    if (o.reordered) s.reordered.add(1, this.tags);
    if (o.gaps > 0) s.gaps.add(o.gaps, this.tags);
    if (o.truncated > 0) s.truncated.add(o.truncated, this.tags);
    return true;
  }

  /** @param {any[]} events @param {number} [now] */
  events(events, now = Date.now()) {
    if (!Array.isArray(events)) return;
    for (const e of events) this.event(e, now);
  }

  /** @param {number} [n] */
  sent(n = 1) {
    this.sinks.sent.add(n, this.tags);
  }

  /** @param {number} ms */
  connected(ms) {
    this.sinks.connect.add(Math.max(0, ms), this.tags);
  }

  /** @param {string} kind a low-cardinality reason: connect, publish, receive, protocol, bad_event */
  error(kind) {
    this.sinks.errors.add(1, { transport: this.transport, kind });
  }

  /** @param {string} group @param {number} seq */
  resync(group, seq) {
    const lost = this.tracker.resync(group, seq);
    if (lost > 0) this.sinks.truncated.add(lost, this.tags);
  }

  /** End of session: missing seqs become gaps. */
  end() {
    const gaps = this.tracker.flush();
    if (gaps > 0) this.sinks.gaps.add(gaps, this.tags);
  }
}

/**
 * Account a polling answer `{"events":[...],"next":M,"truncated"?:true}` (short and long polling
 * share it). A first answer without a cursor baselines at `next`; a loss signal with no event to
 * rebase on moves the cursor to `next`. Returns false for a body that is not such an answer.
 * @param {Recorder} rec @param {string} group @param {any} body @param {number} [now]
 */
export function applyBatch(rec, group, body, now = Date.now()) {
  if (!body || !Array.isArray(body.events)) {
    rec.error('receive');
    return false;
  }
  const t = rec.tracker;
  if (body.truncated === true) t.markTruncated(group);
  rec.events(body.events, now);
  if (Number.isInteger(body.next)) {
    if (t.cursor(group) === undefined) t.baseline(group, body.next);
    else if (t.awaitingRebase(group)) rec.resync(group, body.next);
  }
  return true;
}
