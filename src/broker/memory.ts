import { HubError } from '../domain/errors.js';
import { EncodedEvent, type EventDraft, type HistoryRead, type RtEvent } from '../domain/events.js';
import { SNAPSHOT_CHAT_SIZE, type Broker, type BrokerHandler, type BrokerOptions } from './broker.js';

/**
 * One group's log: the last `historySize` events plus the snapshot state. The ring grows with the
 * events kept (seq `s` sits at `(s - 1) % historySize`), so a group costs what it holds, not its bound.
 */
class GroupLog {
  head = 0;
  readonly ring: EncodedEvent[] = [];
  readonly members = new Map<string, RtEvent>();
  readonly chat: RtEvent[] = [];
  lastActivity = 0;
  subscribed = false;
}

/** The embedded broker: one process, no other service. */
export class MemoryBroker implements Broker {
  readonly name = 'memory';
  private handler: BrokerHandler = () => {};
  private readonly groups = new Map<string, GroupLog>();
  /** Groups nobody subscribes to, least recently active first (eviction order). */
  private readonly idle = new Map<string, GroupLog>();
  private readonly maxGroups: number;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: BrokerOptions) {
    this.maxGroups = options.maxGroups ?? Infinity;
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
    log.ring[(event.seq - 1) % this.options.historySize] = encoded;
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
    return this.readNow(group, since);
  }

  readNow(group: string, since: number | undefined): HistoryRead {
    const log = this.groups.get(group);
    if (!log) return { events: [], head: 0, truncated: since !== undefined && since > 0 };
    this.touch(group, log);
    if (since === undefined || since === log.head) return { events: [], head: log.head, truncated: false };
    const size = this.options.historySize;
    const oldest = Math.max(1, log.head - size + 1);
    const truncated = since > log.head || since + 1 < oldest;
    const from = truncated ? oldest : since + 1;
    const events: EncodedEvent[] = [];
    for (let seq = from; seq <= log.head; seq++) events.push(log.ring[(seq - 1) % size]!);
    return { events, head: log.head, truncated };
  }

  async snapshot(group: string): Promise<{ seq: number; members: RtEvent[]; chat: RtEvent[] }> {
    const log = this.groups.get(group);
    if (!log) return { seq: 0, members: [], chat: [] };
    this.touch(group, log);
    return { seq: log.head, members: [...log.members.values()], chat: [...log.chat] };
  }

  async subscribe(group: string): Promise<void> {
    const log = this.log(group);
    log.subscribed = true;
    this.idle.delete(group);
  }

  async unsubscribe(group: string): Promise<void> {
    const log = this.groups.get(group);
    if (!log) return;
    log.subscribed = false;
    this.touch(group, log);
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    this.groups.clear();
    this.idle.clear();
  }

  /** Number of groups held (for tests of eviction). */
  get groupCount(): number {
    return this.groups.size;
  }

  /** Drops groups that nobody subscribes to and nobody touched for `groupIdleMs`. */
  evictIdle(now: number): void {
    // `idle` is in activity order: stop at the first group still fresh.
    for (const [name, log] of this.idle) {
      if (now - log.lastActivity < this.options.groupIdleMs) break;
      this.drop(name);
    }
  }

  /**
   * The group's log, created when new. At MAX_GROUPS the least recently active idle group makes room.
   * @throws HubError `too_many_groups` when every group held has subscribers
   */
  private log(group: string): GroupLog {
    let log = this.groups.get(group);
    if (!log) {
      if (this.groups.size >= this.maxGroups) {
        const oldest = this.idle.keys().next();
        if (oldest.done) throw new HubError('too_many_groups', `the server holds ${this.maxGroups} groups, all with subscribers`);
        this.drop(oldest.value);
      }
      log = new GroupLog();
      this.groups.set(group, log);
    }
    this.touch(group, log);
    return log;
  }

  /** Marks activity; an idle group moves to the back of the eviction order. */
  private touch(group: string, log: GroupLog): void {
    log.lastActivity = Date.now();
    if (log.subscribed) return;
    this.idle.delete(group);
    this.idle.set(group, log);
  }

  private drop(group: string): void {
    this.groups.delete(group);
    this.idle.delete(group);
  }
}
