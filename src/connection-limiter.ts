import { HubError } from './domain/errors.js';

/**
 * Counts open streams and waiting long-polls against `MAX_CONNECTIONS`. Each transport acquires a
 * slot before it holds a connection and releases it on every close path.
 */
export class ConnectionLimiter {
  private open = 0;

  /** @param max the most connections held at once */
  constructor(private readonly max: number) {}

  /**
   * Takes a slot.
   * @throws HubError `too_many_connections` when all are taken
   */
  acquire(): void {
    if (this.open >= this.max) throw new HubError('too_many_connections', `server holds ${this.max} connections already`);
    this.open++;
  }

  /** Gives a slot back. */
  release(): void {
    if (this.open > 0) this.open--;
  }

  /** Slots taken. */
  get count(): number {
    return this.open;
  }
}
