/**
 * Fires each member once per `intervalMs` at its own phase, from one timer per worker. A timer per
 * simulated user (10,000 users publishing every 3 s) would cost the load generator more than the
 * publishing; here members sit in time buckets and each tick walks only the buckets that came due.
 */

/** How often the wheel turns at most (ms). */
const MAX_TICK_MS = 5;
/** A wheel that fell further behind than this (ms, or two turns if longer) skips ahead and counts it, rather than bursting. */
const MAX_CATCH_UP_MS = 1000;

export class PublishWheel<T> {
  private readonly buckets: Set<T>[];
  private readonly bucketOf = new Map<T, number>();
  private readonly tickMs: number;
  private timer: NodeJS.Timeout | undefined = undefined;
  private startedAt = 0;
  private doneSteps = 0;
  /** Firings skipped because the process was too busy to keep up (reported as an error). */
  skipped = 0;

  /**
   * @param intervalMs each member fires once per interval (>= 1 ms)
   * @param fire called per member per interval
   * @param now the shared clock
   */
  constructor(
    readonly intervalMs: number,
    private readonly fire: (member: T) => void,
    private readonly now: () => number,
  ) {
    this.tickMs = Math.min(MAX_TICK_MS, Math.max(1, intervalMs));
    const count = Math.max(1, Math.round(intervalMs / this.tickMs));
    this.buckets = Array.from({ length: count }, () => new Set<T>());
  }

  /** Adds a member at a random phase (spreads publishes evenly over the interval). */
  add(member: T, phase = Math.random()): void {
    if (this.bucketOf.has(member)) return;
    const index = Math.min(this.buckets.length - 1, Math.floor(phase * this.buckets.length));
    this.buckets[index]!.add(member);
    this.bucketOf.set(member, index);
  }

  /** Removes a member. */
  remove(member: T): void {
    const index = this.bucketOf.get(member);
    if (index === undefined) return;
    this.buckets[index]!.delete(member);
    this.bucketOf.delete(member);
  }

  /** Number of members. */
  get size(): number {
    return this.bucketOf.size;
  }

  /** Starts turning; stops by itself at `untilMs` (shared clock). */
  start(untilMs: number): void {
    this.stop();
    this.startedAt = this.now();
    this.doneSteps = 0;
    this.timer = setInterval(() => {
      const now = this.now();
      if (now >= untilMs) return this.stop();
      this.turn(now);
    }, this.tickMs);
  }

  /** Stops turning. */
  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Whether the wheel is turning. */
  get running(): boolean {
    return this.timer !== undefined;
  }

  private turn(now: number): void {
    const due = Math.floor((now - this.startedAt) / this.tickMs);
    const limit = Math.max(this.buckets.length * 2, Math.ceil(MAX_CATCH_UP_MS / this.tickMs));
    if (due - this.doneSteps > limit) {
      for (; this.doneSteps < due - limit; this.doneSteps++) this.skipped += this.buckets[this.doneSteps % this.buckets.length]!.size;
    }
    while (this.doneSteps < due) {
      const bucket = this.buckets[this.doneSteps % this.buckets.length]!;
      this.doneSteps++;
      for (const member of bucket) this.fire(member);
    }
  }
}
