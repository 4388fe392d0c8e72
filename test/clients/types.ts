import type { RtEvent, TransportName, PublishCommand } from '../../src/domain/events.js';

/** What a subscribe answered: the group's head and whether history was cut. */
export interface SubscribeResult {
  /** The group's head, where the transport tells it (SSE does not). */
  seq: number | undefined;
  truncated: boolean;
}

/** A subscribing client of one transport, on one group, recording what it receives. */
export interface TestClient {
  readonly transport: TransportName;
  /** Events received, in arrival order. */
  readonly events: RtEvent[];
  /** True once the server signalled truncated history (reply, header, or SSE `truncated` event). */
  truncated: boolean;
  /** Subscribes (or starts polling) at `since`; resolves once events published afterwards will arrive. */
  subscribe(group: string, since?: number): Promise<SubscribeResult>;
  /** Resolves with the events once `count` have arrived. */
  waitForCount(count: number, timeoutMs?: number): Promise<RtEvent[]>;
  /** The last seq received (0 if none). */
  lastSeq(): number;
  /** Closes the connection or stops polling. */
  close(): Promise<void>;
}

/** The transports a test publishes through. */
export type PublishVia = 'http' | 'websocket' | 'stomp' | 'stomp-relay';

/** A client that publishes over one transport. */
export interface Publisher {
  readonly via: PublishVia;
  publish(group: string, command: PublishCommand): Promise<number>;
  close(): Promise<void>;
}

/** Options of a test client. */
export interface ClientOptions {
  user?: string;
  /** Short-polling interval in ms (default 20). */
  pollMs?: number;
}

/** Shared bookkeeping of the adapters: the event list, the loss signal and waiting for a count. */
export abstract class ReceivingClient {
  abstract readonly transport: TestClient['transport'];
  readonly events: RtEvent[] = [];
  truncated = false;
  private waiters: { count: number; resolve: () => void }[] = [];

  /** Records one received event. */
  protected push(event: RtEvent): void {
    this.events.push(event);
    this.waiters = this.waiters.filter((w) => (this.events.length >= w.count ? (w.resolve(), false) : true));
  }

  lastSeq(): number {
    return this.events.length ? this.events[this.events.length - 1]!.seq : 0;
  }

  async waitForCount(count: number, timeoutMs = 5000): Promise<RtEvent[]> {
    if (this.events.length >= count) return this.events;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.transport}: ${this.events.length}/${count} events after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({ count, resolve: () => (clearTimeout(timer), resolve()) });
    });
    return this.events;
  }
}
