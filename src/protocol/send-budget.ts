/**
 * The MAX_BUFFERED_BYTES rule for one consumer, with room for catching up: replayed events (history
 * after a cursor, bounded by HISTORY_SIZE) may exceed the bound, so a cut consumer can always resume;
 * live events may not. While a replay is still unsent, only the live bytes queued behind it count.
 * Pure bookkeeping: the caller passes the socket's unsent byte count.
 */
export class SendBudget {
  private catchingUp = false;
  private liveBytes = 0;

  /** @param max MAX_BUFFERED_BYTES */
  constructor(private readonly max: number) {}

  /**
   * May `length` more bytes be queued?
   * @param pending bytes accepted for this consumer but not yet on the wire
   * @param replay whether the bytes are part of catching up to a cursor
   * @returns false when a live write would put the consumer over the bound (cut it)
   */
  allows(pending: number, length: number, replay: boolean): boolean {
    if (replay) {
      this.catchingUp = true;
      this.liveBytes = 0;
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
