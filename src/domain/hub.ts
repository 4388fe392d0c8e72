import type { Broker } from '../broker/broker.js';
import type { Presence } from '../broker/presence.js';
import { HubError } from './errors.js';
import type { EncodedEvent, EventDraft, HistoryRead, PublishCommand, PublishSource, Snapshot, TransportName } from './events.js';

/**
 * What a transport hands the Hub to receive a group's events. `deliver` is called in seq order,
 * exactly once per seq, synchronously from the broker's handler: it must not throw or await.
 */
export interface Subscriber {
  /** The transport, for presence and metrics. */
  readonly transport: TransportName;
  /** The subscribed user, when known (shown in the snapshot's `online`). */
  readonly user: string | undefined;
  /**
   * Receives one event.
   * @param replay true while catching up to the subscriber's cursor (history, and events that arrived
   *   while it subscribed): bounded by HISTORY_SIZE, so transports let it exceed MAX_BUFFERED_BYTES
   */
  deliver(event: EncodedEvent, replay: boolean): void;
}

/** Hooks the Hub calls on publish (metrics live outside the domain). */
export interface HubObserver {
  /** An event was accepted from `source`. */
  published?(event: EncodedEvent, source: PublishSource): void;
}

type SubscriptionState = 'pending' | 'live' | 'closed';

/** Wait before reading a gap again after the broker failed to answer. */
const FILL_RETRY_MS = 500;

/** The replay of a subscription with none left to give: one frozen array for all of them. */
const NO_EVENTS: readonly EncodedEvent[] = Object.freeze([]);

/**
 * A subscriber's registration on one group. Created by `Hub.subscribe` in the pending state: live
 * events are buffered while the transport answers the subscribe; `start()` then delivers the replay and
 * the buffer (no gap, no duplicate at the seam) and switches to live delivery.
 */
export class Subscription {
  /** The group's head when the subscription was made. */
  head = 0;
  /** True when the requested cursor was older than history (or ahead of head). */
  truncated = false;
  /** Events after the cursor, delivered by `start()` (then the shared empty array: idle subscriptions hold none of their own). */
  replay: readonly EncodedEvent[] = NO_EVENTS;
  /** The last seq this subscriber has been given (or was already past). */
  lastSeq = 0;
  private state: SubscriptionState = 'pending';
  private buffer: EncodedEvent[] | undefined = undefined;

  constructor(
    private readonly hub: Hub,
    /** The group id. */
    readonly group: string,
    /** Who receives the events. */
    readonly subscriber: Subscriber,
  ) {}

  /** Delivers the replay and anything buffered, then every live event. Call once. */
  start(): void {
    if (this.state !== 'pending') return;
    this.state = 'live';
    const replay = this.replay;
    this.replay = NO_EVENTS;
    const now = Date.now();
    for (const event of replay) {
      event.handedAt = now;
      this.offer(event, true);
    }
    const buffered = this.buffer;
    this.buffer = undefined;
    if (buffered) {
      for (const event of buffered) {
        event.handedAt = now;
        this.offer(event, true);
      }
    }
  }

  /** Stops delivery and releases the registration. Safe to call more than once. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.buffer = undefined;
    this.hub.release(this);
  }

  /** True until `close()`. */
  get open(): boolean {
    return this.state !== 'closed';
  }

  /** @internal called by the Hub for each live event of the group. */
  offer(event: EncodedEvent, replay = false): void {
    if (this.state === 'pending') {
      (this.buffer ??= []).push(event);
      return;
    }
    if (this.state === 'closed' || event.event.seq <= this.lastSeq) return;
    this.lastSeq = event.event.seq;
    this.subscriber.deliver(event, replay);
  }
}

/** Per-group state held while the group has subscribers on this instance. */
class HubGroup {
  readonly subs = new Set<Subscription>();
  /** Highest seq handed to subscribers (-1 before the first event or history read). */
  lastSeq = -1;
  /** Events that arrived while a gap was being filled from history. */
  backlog: EncodedEvent[] | undefined = undefined;
  /** A resync was asked for while the first read or a fill was in flight: read again once it lands. */
  refill = false;
  ready: Promise<void>;

  constructor(ready: Promise<void>) {
    this.ready = ready;
  }
}

/**
 * The one place transports meet the broker: publish, read at a cursor, subscribe, snapshot.
 * It keeps only groups that have subscribers here, so memory follows live interest, not history.
 */
export class Hub {
  private readonly groups = new Map<string, HubGroup>();
  private closing = false;

  /**
   * @param presence where joins and leaves are reported and `online` is read (every instance's users,
   *   with Redis); without one, `online` lists the subscribers this Hub holds
   * @param options.maxGroups most groups with subscribers held here at once (MAX_GROUPS): a subscribe
   *   to a new group beyond it fails with `too_many_groups`
   */
  constructor(
    private readonly broker: Broker,
    private readonly observer: HubObserver = {},
    private readonly presence?: Presence,
    private readonly options: { maxGroups?: number } = {},
  ) {
    broker.setHandler((event) => this.onBrokerEvent(event));
    broker.setResyncHandler?.((group) => this.resync(group));
  }

  /**
   * Accepts a publish command on a group.
   * @param user the publishing user (already resolved by the transport)
   * @returns the accepted event with its seq
   */
  async publish(group: string, command: PublishCommand, user: string, source: PublishSource): Promise<EncodedEvent> {
    if (this.closing) throw new HubError('shutting_down', 'server is shutting down');
    const at = Date.now();
    // Key order follows docs/protocol.md's example: group, type, user, at, sentAt, data.
    const draft: EventDraft =
      command.type === 'location'
        ? { group, type: 'location', user, at, ...sentAtOf(command), data: locationData(command) }
        : { group, type: 'chat', user, at, ...sentAtOf(command), data: chatData(command) };
    const event = await this.broker.publish(draft);
    this.observer.published?.(event, source);
    return event;
  }

  /** Reads events after a cursor (polling). `since` undefined means "from now". */
  read(group: string, since: number | undefined): Promise<HistoryRead> {
    return this.broker.read(group, since);
  }

  /** `read` answered at once when the broker holds history in this process; undefined when it must ask. */
  readNow(group: string, since: number | undefined): HistoryRead | undefined {
    return this.broker.readNow?.(group, since);
  }

  /**
   * Registers a subscriber on a group and reads history after `since`. Nothing is delivered until
   * the caller has answered the subscribe and calls `start()` on the returned subscription.
   */
  async subscribe(group: string, subscriber: Subscriber, since: number | undefined): Promise<Subscription> {
    if (this.closing) throw new HubError('shutting_down', 'server is shutting down');
    let hubGroup = this.groups.get(group);
    if (!hubGroup) {
      if (this.groups.size >= (this.options.maxGroups ?? Infinity)) {
        throw new HubError('too_many_groups', `the server delivers ${this.options.maxGroups} groups already`);
      }
      hubGroup = new HubGroup(this.broker.subscribe(group));
      this.groups.set(group, hubGroup);
    }
    const subscription = new Subscription(this, group, subscriber);
    hubGroup.subs.add(subscription);
    if (subscriber.user !== undefined) this.presence?.join(group, subscriber.user, subscriber.transport);
    try {
      await hubGroup.ready;
      const history = await this.broker.read(group, since);
      subscription.head = history.head;
      subscription.truncated = history.truncated;
      subscription.replay = history.events;
      // A subscriber "from now" has everything up to head; a resuming one has up to its cursor,
      // unless history was cut, in which case it gets what is kept.
      subscription.lastSeq = since === undefined ? history.head : history.truncated ? 0 : since;
      // Only the group's first read sets where live delivery stands. A later subscriber's read may run
      // ahead of events still in flight from a remote broker; raising lastSeq would drop them as
      // duplicates for the subscribers already live (the newcomer dedups against its replay itself).
      if (hubGroup.lastSeq < 0) {
        hubGroup.lastSeq = history.head;
        if (hubGroup.refill) this.resync(group);
      }
      return subscription;
    } catch (err) {
      subscription.close();
      throw err;
    }
  }

  /** The group's snapshot, with its online users (from the presence, else this instance's subscribers). */
  async snapshot(group: string): Promise<Snapshot> {
    if (this.presence) {
      const [state, online] = await Promise.all([this.broker.snapshot(group), this.presence.online(group)]);
      return { group, seq: state.seq, members: state.members, chat: state.chat, online };
    }
    const state = await this.broker.snapshot(group);
    const online: Snapshot['online'] = [];
    const seen = new Set<string>();
    for (const sub of this.groups.get(group)?.subs ?? []) {
      const { user, transport } = sub.subscriber;
      if (user === undefined || seen.has(`${user}\n${transport}`)) continue;
      seen.add(`${user}\n${transport}`);
      online.push({ user, transport });
    }
    return { group, seq: state.seq, members: state.members, chat: state.chat, online };
  }

  /** Number of groups with subscribers on this instance, and subscriptions in all (leak checks). */
  stats(): { groups: number; subscriptions: number } {
    let subscriptions = 0;
    for (const g of this.groups.values()) subscriptions += g.subs.size;
    return { groups: this.groups.size, subscriptions };
  }

  /** Refuses new publishes and subscriptions from now on (graceful shutdown). */
  beginShutdown(): void {
    this.closing = true;
  }

  /** True once shutdown has begun. */
  get shuttingDown(): boolean {
    return this.closing;
  }

  /**
   * Delivers what a group's subscribers here may have missed while the broker's delivery was down:
   * reads after the last seq fanned out and hands it to the live path (see `Broker.setResyncHandler`).
   */
  resync(group: string): void {
    const hubGroup = this.groups.get(group);
    if (!hubGroup) return;
    // A first read or a fill in flight may predate the broker's new subscription: read again after it.
    hubGroup.refill = hubGroup.lastSeq < 0 || hubGroup.backlog !== undefined;
    if (hubGroup.refill) return;
    hubGroup.backlog = [];
    this.fill(group, hubGroup);
  }

  /** @internal called by `Subscription.close()`. */
  release(subscription: Subscription): void {
    const hubGroup = this.groups.get(subscription.group);
    if (!hubGroup || !hubGroup.subs.delete(subscription)) return;
    const { user, transport } = subscription.subscriber;
    if (user !== undefined) this.presence?.leave(subscription.group, user, transport);
    if (hubGroup.subs.size > 0) return;
    this.groups.delete(subscription.group);
    this.broker.unsubscribe(subscription.group).catch(() => {
      // The broker logs its own failures; a group we no longer hold needs nothing more from us.
    });
  }

  private onBrokerEvent(event: EncodedEvent): void {
    const hubGroup = this.groups.get(event.event.group);
    if (!hubGroup) return;
    if (hubGroup.backlog) {
      hubGroup.backlog.push(event);
      return;
    }
    const seq = event.event.seq;
    if (seq <= hubGroup.lastSeq && seq !== 1) return; // duplicate; seq 1 again means the group restarted
    if (hubGroup.lastSeq >= 1 && seq > hubGroup.lastSeq + 1) {
      hubGroup.backlog = [event];
      this.fill(event.event.group, hubGroup);
      return;
    }
    this.fanOut(hubGroup, event);
  }

  private fanOut(hubGroup: HubGroup, event: EncodedEvent): void {
    if (event.event.seq === 1 && hubGroup.lastSeq > 1) {
      // The group was evicted and restarted elsewhere: subscribers' cursors start over with it.
      for (const sub of hubGroup.subs) sub.lastSeq = 0;
    }
    hubGroup.lastSeq = event.event.seq;
    event.handedAt = Date.now(); // one clock read per fan-out, not per delivery
    for (const sub of hubGroup.subs) sub.offer(event);
  }

  // Events were missed (e.g. the broker's subscriber connection dropped): fetch them from history,
  // holding anything newer in the backlog (set by the caller) so the group still goes out in seq order.
  private fill(group: string, hubGroup: HubGroup): void {
    const from = Math.max(0, hubGroup.lastSeq);
    this.broker.read(group, from).then(
      (history) => this.drainBacklog(group, hubGroup, history, from),
      // Unreachable store: hold the backlog rather than deliver past a gap; retry while the group is held.
      () => void setTimeout(() => this.groups.get(group) === hubGroup && this.fill(group, hubGroup), FILL_RETRY_MS).unref(),
    );
  }

  private drainBacklog(group: string, hubGroup: HubGroup, history: HistoryRead, from: number): void {
    const backlog = hubGroup.backlog ?? [];
    hubGroup.backlog = undefined;
    if (history.head < from) {
      // The group restarted (evicted, or the store lost it) while we were away: cursors start over.
      hubGroup.lastSeq = 0;
      for (const sub of hubGroup.subs) sub.lastSeq = 0;
    }
    for (const event of history.events) if (event.event.seq > hubGroup.lastSeq) this.fanOut(hubGroup, event);
    for (const event of backlog) if (event.event.seq > hubGroup.lastSeq) this.fanOut(hubGroup, event);
    if (hubGroup.refill && this.groups.get(group) === hubGroup) this.resync(group);
  }
}

function sentAtOf(command: PublishCommand): { sentAt?: number } {
  return command.sentAt === undefined ? {} : { sentAt: command.sentAt };
}

function locationData(command: Extract<PublishCommand, { type: 'location' }>) {
  const data: { lat: number; lng: number; accuracy?: number; heading?: number; speed?: number } = {
    lat: command.lat,
    lng: command.lng,
  };
  if (command.accuracy !== undefined) data.accuracy = command.accuracy;
  if (command.heading !== undefined) data.heading = command.heading;
  if (command.speed !== undefined) data.speed = command.speed;
  return data;
}

function chatData(command: Extract<PublishCommand, { type: 'chat' }>) {
  return command.clientId === undefined ? { text: command.text } : { text: command.text, clientId: command.clientId };
}
