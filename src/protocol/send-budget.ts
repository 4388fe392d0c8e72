/**
 * The MAX_BUFFERED_BYTES rule for one consumer, applied to every write (events, replies, receipts,
 * errors, heart-beats), with room for catching up: a replay (history after a cursor, bounded by
 * HISTORY_SIZE) may take the consumer past the bound, so a cut consumer can always resume; live
 * writes may not. While a replay is still unsent, only the live bytes queued behind it count.
 * One replay past the bound at a time: a replay is admitted only while the unsent bytes are within
 * the bound, so repeating subscribe-with-replay cannot queue more than the bound plus one replay.
 * Pure bookkeeping: the caller passes the socket's unsent byte count. A connection class may extend
 * it (be its own budget) so that an idle connection holds its three fields, not one more object.
 */
export class SendBudget {
  private catchingUp = false;
  private liveBytes = 0;

  /** @param max MAX_BUFFERED_BYTES */
  constructor(private readonly max: number) {}

  /**
   * May a replay start now? Call before writing a subscription's replay.
   * @param pending bytes accepted for this consumer but not yet on the wire
   * @returns false when a previous replay is still queued past the bound (cut the consumer)
   */
  admitReplay(pending: number): boolean {
    if (pending > this.max) return false;
    if (!this.catchingUp || pending <= this.liveBytes) {
      this.catchingUp = true;
      this.liveBytes = 0;
    }
    return true;
  }

  /**
   * May `length` more bytes be queued?
   * @param pending bytes accepted for this consumer but not yet on the wire
   * @param replay whether the bytes are part of a replay (a consumer with several subscriptions asks
   *   `admitReplay` first)
   * @returns false when a live write would put the consumer over the bound (cut it)
   */
  allows(pending: number, length: number, replay: boolean): boolean {
    if (replay) {
      if (!this.catchingUp) {
        this.catchingUp = true;
        this.liveBytes = 0;
      }
      return true;
    }
    if (this.catchingUp) {
      // The queue is FIFO: the replay drains first, so once no more than the live bytes are pending,
      // the replay is gone and the plain rule applies again.
      if (pending > this.liveBytes) {
        if (this.liveBytes + length > this.max) return false;
        this.liveBytes += length;
        return true;
      }
      this.catchingUp = false;
    }
    return pending + length <= this.max;
  }
}
