import { HubError } from './domain/errors.js';

/**
 * Counts held connections against MAX_CONNECTIONS, in all and per client IP. The app keeps two:
 * `app.connections` for open streams and waiting long-polls (each transport acquires a slot before it
 * holds one and releases it on every close path), and `app.sockets` for every TCP socket (http-guard.ts).
 */
export class ConnectionLimiter {
  private open = 0;
  private readonly byIp = new Map<string, number>();

  /**
   * @param max the most connections held at once
   * @param maxPerIp the most held for one client address
   */
  constructor(
    private readonly max: number,
    private readonly maxPerIp = Infinity,
  ) {}

  /**
   * Takes a slot for a client address.
   * @throws HubError `too_many_connections` when all are taken, or all of that address's
   */
  acquire(ip = ''): void {
    if (this.open >= this.max) throw new HubError('too_many_connections', `server holds ${this.max} connections already`);
    const held = this.byIp.get(ip) ?? 0;
    if (held >= this.maxPerIp) throw new HubError('too_many_connections', `${this.maxPerIp} connections from one address already`);
    this.byIp.set(ip, held + 1);
    this.open++;
  }

  /** Gives back a slot taken for that address. */
  release(ip = ''): void {
    const held = this.byIp.get(ip);
    if (held === undefined) return;
    if (held <= 1) this.byIp.delete(ip);
    else this.byIp.set(ip, held - 1);
    this.open--;
  }

  /** Slots taken. */
  get count(): number {
    return this.open;
  }

  /** Addresses holding slots (leak checks). */
  get addresses(): number {
    return this.byIp.size;
  }
}
