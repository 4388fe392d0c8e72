import type { EncodedEvent, EventDraft, HistoryRead, RtEvent } from '../domain/events.js';

/**
 * The one broker interface. It assigns each group's `seq`, keeps the last `historySize` events per
 * group, keeps the snapshot state, and fans accepted events out to every instance's handler.
 *
 * Every implementation delivers through `setHandler`'s callback — the memory broker calls it from
 * `publish`, the Redis broker from its subscriber connection — so the Hub has exactly one delivery path.
 */
export interface Broker {
  /** Implementation name, used as the `broker` metric label (`memory`, `redis`). */
  readonly name: string;

  /**
   * Sets the callback that receives every event published on a group this instance subscribed to,
   * in seq order per group. Called once, by the Hub, before anything else.
   */
  setHandler(handler: BrokerHandler): void;

  /**
   * Optional: sets the callback a broker calls when it may have missed events of a group it delivers —
   * its subscriber connection was lost and is subscribed again — and no later event might reveal the
   * gap. The Hub answers by reading the group from the last seq it delivered and fanning out what it
   * missed, through the same path as live events. Called once, by the Hub, before anything else.
   * Brokers that cannot miss events (the memory broker) do not implement it.
   */
  setResyncHandler?(handler: ResyncHandler): void;

  /**
   * Accepts an event: assigns the next seq of its group, appends it to history and the snapshot
   * state, and fans it out.
   * @returns the accepted event, encoded
   * @throws HubError `broker_unavailable` when the backing store cannot be reached
   */
  publish(draft: EventDraft): Promise<EncodedEvent>;

  /**
   * Reads history after a cursor.
   * @param since the last seq the reader has; `undefined` means "from now" (no events, the head)
   * @returns events after `since` (at most what is kept), the head, and whether anything was cut
   */
  read(group: string, since: number | undefined): Promise<HistoryRead>;

  /**
   * Optional: `read` answered synchronously, for brokers that hold history in this process (the
   * memory broker). Short polls use it to answer without a promise per request.
   */
  readNow?(group: string, since: number | undefined): HistoryRead;

  /** The group's snapshot state: head seq, latest location per user, last 50 chats. */
  snapshot(group: string): Promise<{ seq: number; members: RtEvent[]; chat: RtEvent[] }>;

  /**
   * Tells the broker this instance has subscribers on a group, so its events must reach the handler.
   * The Hub calls it once per group (on the first subscriber) and awaits it before reading history.
   */
  subscribe(group: string): Promise<void>;

  /** Tells the broker this instance has no subscribers left on a group. */
  unsubscribe(group: string): Promise<void>;

  /** True while the backing store is reachable (`/readyz`). */
  isReady(): boolean;

  /** Releases connections and timers. */
  close(): Promise<void>;
}

/** Receives accepted events from the broker. */
export type BrokerHandler = (event: EncodedEvent) => void;

/** Receives the name of a group whose delivery may have missed events (see `Broker.setResyncHandler`). */
export type ResyncHandler = (group: string) => void;

/**
 * Hooks a broker backed by another service reports through, so metrics stay outside the broker.
 * The broker binds to one observer at construction; every member is called on hot paths, so it must
 * be cheap and must not throw.
 */
export interface BrokerObserver {
  /**
   * Wraps one call to the backing store: times it when `timed` (publishes) and counts its failure.
   * @returns a promise settling as `call` does
   */
  call<T>(call: Promise<T>, timed: boolean): Promise<T>;
  /** An event arrived from the backing store `seconds` after it was accepted (cross-instance lag). */
  deliveryLag(seconds: number): void;
}

/** Options every broker takes. */
export interface BrokerOptions {
  /** Events kept per group. */
  historySize: number;
  /** A group with no subscribers and no activity for this long is evicted. */
  groupIdleMs: number;
  /**
   * Most groups held in this process (MAX_GROUPS; default unbounded). A broker that keeps groups in
   * process memory evicts the least recently active group without subscribers to make room, and
   * refuses a new group with `too_many_groups` when all have subscribers. A broker backed by another
   * service (Redis) keeps groups there, bounded by GROUP_IDLE_MS and the service's own memory limit,
   * and ignores it; the Hub applies it to the groups it delivers in this process.
   */
  maxGroups?: number;
}

/** How many chat events the snapshot keeps. */
export const SNAPSHOT_CHAT_SIZE = 50;
