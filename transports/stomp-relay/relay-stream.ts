import { EncodedEvent, type HistoryRead, type RtEvent } from '../../src/domain/events.js';
import type { Subscriber } from '../../src/domain/hub.js';
import type { RelayBroker, RelayBrokerSubscription } from './relay-broker.js';

/** Who receives a relayed stream: a STOMP subscription, which can also carry the loss signal. */
export type RelaySink = Subscriber & { signalTruncation: boolean };

/** What a relayed stream needs besides the broker. */
export interface RelayStreamDeps {
  broker: RelayBroker;
  /** The Hub's history read (the authority for gaps and resumes). */
  read(group: string, since: number | undefined): Promise<HistoryRead>;
  events: RelayEventCache;
  /** Most events held at the seam or behind a gap fill; past it they are dropped and read from history. */
  maxHeld: number;
}

/** Wait before reading history again after the store failed to answer. */
const FILL_RETRY_MS = 500;

/**
 * Turns each group's broker MESSAGEs into one shared EncodedEvent per seq, so the JSON is parsed and the
 * STOMP tail encoded once per event however many relay subscriptions receive it. Holds one event per
 * group with relay subscribers, nothing for groups without.
 */
export class RelayEventCache {
  private readonly last = new Map<string, { refs: number; event: EncodedEvent | undefined }>();
  constructor(private readonly onFirstSight?: (event: EncodedEvent) => void) {}
  acquire(group: string): void {
    const entry = this.last.get(group);
    if (entry) entry.refs++;
    else this.last.set(group, { refs: 1, event: undefined });
  }
  release(group: string): void {
    const entry = this.last.get(group);
    if (entry && --entry.refs === 0) this.last.delete(group);
  }
  /** The shared event for (group, seq), decoded from `json` the first time it is seen. */
  event(group: string, seq: number, json: string): EncodedEvent {
    const entry = this.last.get(group);
    if (entry?.event && entry.event.event.seq === seq && entry.event.json === json) return entry.event;
    const event = new EncodedEvent({ ...(JSON.parse(json) as RtEvent), seq }, json);
    if (entry) entry.event = event;
    this.onFirstSight?.(event);
    return event;
  }
  /** Groups held (leak checks). */
  get size(): number {
    return this.last.size;
  }
}

/**
 * One relay client's subscription: the broker's live stream for a group, made gap-free and
 * duplicate-free against the Hub's seq. Opened pending — broker subscription confirmed first, then the
 * history after `since` read — so nothing falls between the two; `start()` delivers the replay, then what
 * arrived meanwhile (duplicates dropped by seq), then live. A gap in the live stream is filled from
 * history before anything newer is forwarded.
 */
export class RelayStream {
  head = 0;
  truncated = false;
  private state: 'pending' | 'live' | 'closed' = 'pending';
  private lastSeq = 0;
  /** History after `since`, delivered by `start()`. */
  replay: EncodedEvent[] = [];
  /** Broker messages held while pending or while a gap is being filled; undefined when neither. */
  private held: EncodedEvent[] | undefined = [];
  /** Messages were dropped from `held` (over its bound): read history again before going live. */
  private overflowed = false;
  private filling = false;
  private brokerSubscription: RelayBrokerSubscription | undefined;

  private constructor(
    private readonly group: string,
    private readonly sink: RelaySink,
    private readonly deps: RelayStreamDeps,
  ) {}

  /**
   * Subscribes on the broker, then reads the Hub's history after `since` (undefined = from now).
   * @throws HubError `broker_unavailable` from the broker, or the history read's error
   */
  static async open(group: string, sink: RelaySink, since: number | undefined, deps: RelayStreamDeps): Promise<RelayStream> {
    const stream = new RelayStream(group, sink, deps);
    deps.events.acquire(group);
    try {
      stream.brokerSubscription = await deps.broker.subscribe(group, (seq, json) => stream.onMessage(seq, json));
      const history = await deps.read(group, since);
      stream.head = history.head;
      stream.truncated = history.truncated;
      stream.replay = history.events;
      stream.lastSeq = since === undefined ? history.head : history.truncated ? 0 : since;
      return stream;
    } catch (err) {
      stream.close();
      throw err;
    }
  }

  /** Delivers the replay and what the broker sent meanwhile, then goes live. Call once. */
  start(): void {
    if (this.state !== 'pending') return;
    this.state = 'live';
    for (const event of this.replay) this.forward(event, true);
    this.replay = [];
    this.drainHeld();
  }

  /** Stops delivery and unsubscribes on the broker. Safe to call more than once. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.held = undefined;
    this.replay = [];
    this.brokerSubscription?.unsubscribe();
    this.deps.events.release(this.group);
  }

  private onMessage(seq: number, json: string): void {
    if (this.state === 'closed') return;
    const event = this.deps.events.event(this.group, seq, json);
    if (this.held) return this.hold(event);
    this.accept(event, false);
  }

  private hold(event: EncodedEvent): void {
    if (this.held!.length >= this.deps.maxHeld) {
      this.held = [];
      this.overflowed = true;
    }
    this.held!.push(event);
  }

  private accept(event: EncodedEvent, replay: boolean): void {
    const seq = event.event.seq;
    if (seq <= this.lastSeq) {
      // Already delivered (replay, history fill, or a late copy from another instance). A 1 may also mean
      // the group was evicted and started over: history decides, never the broker's order.
      if (seq === 1 && this.lastSeq > 1) {
        this.held = [];
        this.fill();
      }
      return;
    }
    if (seq === this.lastSeq + 1) return this.forward(event, replay);
    this.held = [event];
    this.fill();
  }

  private forward(event: EncodedEvent, replay: boolean): void {
    if (event.event.seq <= this.lastSeq) return;
    this.lastSeq = event.event.seq;
    this.sink.deliver(event, replay);
  }

  private drainHeld(): void {
    if (this.state !== 'live') return;
    if (this.overflowed) return this.fill();
    const held = this.held ?? [];
    this.held = undefined;
    for (const event of held) {
      if (this.held) this.hold(event); // a gap opened a fill: keep the rest behind it, in order
      else this.accept(event, true);
    }
  }

  // Reads what the broker's stream skipped from the Hub's history; `held` keeps newer messages meanwhile.
  private fill(): void {
    if (this.filling || this.state !== 'live') return;
    this.filling = true;
    this.overflowed = false;
    const from = this.lastSeq;
    this.deps.read(this.group, from).then(
      (history) => {
        this.filling = false;
        if (this.state !== 'live') return;
        if (history.truncated && history.head >= from) this.sink.signalTruncation = true;
        if (history.head < from) {
          this.lastSeq = 0; // the group restarted while we were behind: read it from its start
          return this.fill();
        }
        for (const event of history.events) this.forward(event, true);
        this.drainHeld();
      },
      () => {
        this.filling = false;
        setTimeout(() => this.state === 'live' && this.fill(), FILL_RETRY_MS).unref();
      },
    );
  }
}
