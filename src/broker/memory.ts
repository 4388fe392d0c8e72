import { EncodedEvent, type EventDraft, type HistoryRead, type RtEvent } from '../domain/events.js';
import { SNAPSHOT_CHAT_SIZE, type Broker, type BrokerHandler, type BrokerOptions } from './broker.js';

/** One group's log: a ring of the last `historySize` events plus the snapshot state. */
class GroupLog {
  head = 0;
  readonly ring: (EncodedEvent | undefined)[];
  readonly members = new Map<string, RtEvent>();
  readonly chat: RtEvent[] = [];
  lastActivity = 0;
  subscribed = false;

  constructor(size: number) {
    this.ring = new Array(size);
  }
}

/** The embedded broker: one process, no other service. */
export class MemoryBroker implements Broker {
  readonly name = 'memory';
  private handler: BrokerHandler = () => {};
  private readonly groups = new Map<string, GroupLog>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: BrokerOptions) {
    // Sweep often enough that an idle group lives at most ~1.25 x groupIdleMs.
    this.sweeper = setInterval(() => this.evictIdle(Date.now()), Math.max(250, options.groupIdleMs / 4));
    this.sweeper.unref();
  }

  setHandler(handler: BrokerHandler): void {
    this.handler = handler;
  }

  async publish(draft: EventDraft): Promise<EncodedEvent> {
    const log = this.log(draft.group);
    const event = { seq: log.head + 1, ...draft } as RtEvent; // seq first, as in docs/protocol.md's example
    const encoded = EncodedEvent.of(event);
    log.head = event.seq;
    log.ring[event.seq % log.ring.length] = encoded;
    if (event.type === 'location') {
      log.members.delete(event.user); // re-insert so iteration order is "least recently moved first"
      log.members.set(event.user, event);
    } else {
      log.chat.push(event);
      if (log.chat.length > SNAPSHOT_CHAT_SIZE) log.chat.shift();
    }
    // Same path as an event arriving from Redis: the handler, synchronously, in seq order.
    if (log.subscribed) this.handler(encoded);
    return encoded;
  }

  async read(group: string, since: number | undefined): Promise<HistoryRead> {
    const log = this.groups.get(group);
    if (!log) return { events: [], head: 0, truncated: since !== undefined && since > 0 };
    log.lastActivity = Date.now();
    if (since === undefined || since === log.head) return { events: [], head: log.head, truncated: false };
    const oldest = Math.max(1, log.head - log.ring.length + 1);
    const truncated = since > log.head || since + 1 < oldest;
    const from = truncated ? oldest : since + 1;
    const events: EncodedEvent[] = [];
    for (let seq = from; seq <= log.head; seq++) events.push(log.ring[seq % log.ring.length]!);
    return { events, head: log.head, truncated };
  }

  async snapshot(group: string): Promise<{ seq: number; members: RtEvent[]; chat: RtEvent[] }> {
    const log = this.groups.get(group);
    if (!log) return { seq: 0, members: [], chat: [] };
    log.lastActivity = Date.now();
    return { seq: log.head, members: [...log.members.values()], chat: [...log.chat] };
  }

  async subscribe(group: string): Promise<void> {
    this.log(group).subscribed = true;
  }

  async unsubscribe(group: string): Promise<void> {
    const log = this.groups.get(group);
    if (!log) return;
    log.subscribed = false;
    log.lastActivity = Date.now();
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.groups.clear();
  }

  /** Number of groups held (for tests of eviction). */
  get groupCount(): number {
    return this.groups.size;
  }

  /** Drops groups that nobody subscribes to and nobody touched for `groupIdleMs`. */
  evictIdle(now: number): void {
    for (const [name, log] of this.groups) {
      if (!log.subscribed && now - log.lastActivity >= this.options.groupIdleMs) this.groups.delete(name);
    }
  }

  private log(group: string): GroupLog {
    let log = this.groups.get(group);
    if (!log) {
      log = new GroupLog(this.options.historySize);
      this.groups.set(group, log);
    }
    log.lastActivity = Date.now();
    return log;
  }
}
