import { Cluster, Redis, type Result } from 'ioredis';
import { ConfigError } from '../config.js';
import { HubError } from '../domain/errors.js';
import { EncodedEvent, type EventDraft, type HistoryRead, type RtEvent } from '../domain/events.js';
import { SNAPSHOT_CHAT_SIZE, type Broker, type BrokerHandler, type BrokerObserver, type BrokerOptions, type ResyncHandler } from './broker.js';
import { PUBLISH_SCRIPT, READ_SCRIPT, SNAPSHOT_SCRIPT, TOUCH_SCRIPT, groupKeys, type GroupKeys } from './redis-scripts.js';
import { clusterNodeOptions, redisConnectionOptions } from './redis-options.js';
import { msSinceWholeMs } from '../timers.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rtPublish(...args: (string | number)[]): Result<number, Context>;
    rtRead(...args: (string | number)[]): Result<[number, ...string[]], Context>;
    rtSnapshot(...args: (string | number)[]): Result<[number, string[], string[]], Context>;
    rtTouch(...args: (string | number)[]): Result<number, Context>;
  }
}

/** Options of the Redis broker. */
export interface RedisBrokerOptions extends BrokerOptions {
  /** `redis://` or `rediss://` URL (REDIS_URL); in cluster mode, any node of the cluster. */
  url: string;
  /** The URL names a Redis Cluster node: slot-routed commands and sharded pub/sub (REDIS_CLUSTER). */
  cluster?: boolean;
  /** Prefix of every key and channel (default `rt`), to share one Redis between deployments or test runs. */
  keyPrefix?: string;
  /** Longest wait for one command before it fails with `broker_unavailable` (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Metrics hooks: publish timing, failures, cross-instance delivery lag. */
  observer?: BrokerObserver;
}

/**
 * The shared broker: seqs, history and snapshot state live in Redis, so any number of instances serve
 * the same groups. Standalone mode uses one command connection and one subscriber connection per
 * instance; cluster mode one ioredis Cluster, whose sharded subscribers hold one connection per master.
 */
export class RedisBroker implements Broker {
  readonly name = 'redis';
  private handler: BrokerHandler = () => {};
  private resyncHandler: ResyncHandler = () => {};
  /** Groups this instance subscribes to (what to SUBSCRIBE again after a reconnect). */
  private readonly groups = new Set<string>();
  private readonly prefix: string;
  private readonly cmd: Redis | Cluster;
  private readonly sub: Redis | Cluster;
  private readonly keeper: NodeJS.Timeout;
  private closed = false;
  private lastError: Error | undefined;

  /**
   * Connects to Redis and returns a ready broker.
   * @throws ConfigError naming REDIS_URL when Redis cannot be reached
   */
  static async connect(options: RedisBrokerOptions): Promise<RedisBroker> {
    const broker = new RedisBroker(options);
    try {
      await Promise.all(broker.connections().map((c) => c.connect()));
    } catch (err) {
      await broker.close();
      // The rejection says "Connection is closed"; the error event before it says why (ECONNREFUSED…).
      const reason = (broker.lastError ?? (err as Error)).message;
      throw new ConfigError('REDIS_URL', `cannot reach Redis at ${redact(options.url)}: ${reason}`);
    }
    return broker;
  }

  private constructor(private readonly options: RedisBrokerOptions) {
    this.prefix = options.keyPrefix ?? 'rt';
    const base = redisConnectionOptions(options.commandTimeoutMs);
    if (options.cluster) {
      const cluster = new Cluster([options.url], {
        lazyConnect: true,
        enableOfflineQueue: false,
        shardedSubscribers: true,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
        redisOptions: clusterNodeOptions(options.url, base),
      });
      this.cmd = this.sub = cluster;
      cluster.on('smessage', (_channel: string, json: string) => this.onMessage(json));
      // ioredis SSUBSCRIBEs again by itself after losing a shard's subscriber, but does not say when
      // Redis acknowledged it: read the missed events a little later. Anything published in between
      // and still missed shows as a gap at the group's next event, which the Hub fills.
      let lost = false;
      const recovered = () => {
        if (!lost) return;
        lost = false;
        setTimeout(() => this.resyncAll(), CLUSTER_RESYNC_DELAY_MS).unref();
      };
      cluster.on('-subscriber', () => (lost = true)).on('close', () => (lost = true));
      cluster.on('subscribersReady', recovered).on('ready', recovered);
    } else {
      this.cmd = new Redis(options.url, { ...base, connectionName: 'rt-cmd' });
      // Resubscribing ourselves (not ioredis' autoResubscribe) tells us when the SUBSCRIBE is
      // acknowledged again, which is when reading the missed events from the stream becomes safe.
      this.sub = new Redis(options.url, { ...base, connectionName: 'rt-sub', autoResubscribe: false });
      this.sub.on('message', (_channel: string, json: string) => this.onMessage(json));
      this.sub.on('ready', () => void this.resubscribe());
    }
    for (const c of this.connections()) {
      // Failures surface as isReady() false and broker_unavailable; keep the last reason for start-up.
      c.on('error', (err: Error) => (this.lastError = err));
      c.defineCommand('rtPublish', { numberOfKeys: 4, lua: PUBLISH_SCRIPT });
      c.defineCommand('rtRead', { numberOfKeys: 4, lua: READ_SCRIPT });
      c.defineCommand('rtSnapshot', { numberOfKeys: 4, lua: SNAPSHOT_SCRIPT });
      c.defineCommand('rtTouch', { numberOfKeys: 4, lua: TOUCH_SCRIPT });
    }
    // Subscribed groups must outlive GROUP_IDLE_MS without events (docs/protocol.md: only groups with no
    // subscribers are evicted), so keep their keys alive well inside the expiry.
    this.keeper = setInterval(() => this.touchSubscribed(), Math.max(50, Math.floor(options.groupIdleMs / 3)));
    this.keeper.unref();
  }

  setHandler(handler: BrokerHandler): void {
    this.handler = handler;
  }

  setResyncHandler(handler: ResyncHandler): void {
    this.resyncHandler = handler;
  }

  async publish(draft: EventDraft): Promise<EncodedEvent> {
    const k = this.keys(draft.group);
    const draftJson = JSON.stringify(draft);
    const seq = await this.call(
      this.cmd.rtPublish(k.seq, k.log, k.members, k.chat, draftJson, draft.type, draft.user, this.options.historySize,
        this.options.groupIdleMs, k.channel, this.options.cluster ? 'SPUBLISH' : 'PUBLISH', SNAPSHOT_CHAT_SIZE),
      true,
    );
    // The script built the same string; rebuilding it here saves sending it back.
    return new EncodedEvent({ seq, ...draft } as RtEvent, `{"seq":${seq},${draftJson.slice(1)}`);
  }

  async read(group: string, since: number | undefined): Promise<HistoryRead> {
    const k = this.keys(group);
    const reply = await this.call(
      this.cmd.rtRead(k.seq, k.log, k.members, k.chat, since === undefined ? '' : since, this.options.groupIdleMs),
      false,
    );
    const head = reply[0];
    if (head === 0) return { events: [], head: 0, truncated: since !== undefined && since > 0 };
    if (since === undefined || since === head) return { events: [], head, truncated: false };
    const events: EncodedEvent[] = [];
    for (let i = 1; i < reply.length; i++) events.push(decode(reply[i] as string));
    // Exact MAXLEN trimming makes "the first kept event is not since + 1" exactly "history was cut".
    const truncated = since > head || events.length === 0 || events[0]!.event.seq !== since + 1;
    return { events, head, truncated };
  }

  async snapshot(group: string): Promise<{ seq: number; members: RtEvent[]; chat: RtEvent[] }> {
    const k = this.keys(group);
    const [seq, members, chat] = await this.call(
      this.cmd.rtSnapshot(k.seq, k.log, k.members, k.chat, this.options.groupIdleMs),
      false,
    );
    // A hash has no order; the memory broker lists members least recently moved first, i.e. by seq.
    const parsed = members.map((json) => JSON.parse(json) as RtEvent).sort((a, b) => a.seq - b.seq);
    return { seq, members: parsed, chat: chat.map((json) => JSON.parse(json) as RtEvent) };
  }

  async subscribe(group: string): Promise<void> {
    this.groups.add(group);
    const channel = this.keys(group).channel;
    try {
      await this.call(this.sub instanceof Cluster ? this.sub.ssubscribe(channel) : this.sub.subscribe(channel), false);
    } catch (err) {
      this.groups.delete(group);
      throw err;
    }
    this.touch(group);
  }

  async unsubscribe(group: string): Promise<void> {
    if (!this.groups.delete(group)) return;
    this.touch(group); // idle time counts from the last subscriber leaving, as in the memory broker
    // A lost connection forgets its subscriptions, and we only resubscribe `groups`: nothing to undo.
    if (this.sub.status !== 'ready') return;
    const channel = this.keys(group).channel;
    await (this.sub instanceof Cluster ? this.sub.sunsubscribe(channel) : this.sub.unsubscribe(channel)).catch(() => {});
  }

  isReady(): boolean {
    return !this.closed && this.connections().every((c) => c.status === 'ready');
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.keeper);
    this.groups.clear();
    await Promise.all(
      this.connections().map((c) => (c.status === 'ready' ? c.quit().then(() => {}, () => c.disconnect()) : c.disconnect())),
    );
  }

  private connections(): (Redis | Cluster)[] {
    return this.cmd === this.sub ? [this.cmd] : [this.cmd, this.sub];
  }

  private keys(group: string): GroupKeys {
    return groupKeys(this.prefix, group);
  }

  private onMessage(json: string): void {
    let encoded: EncodedEvent;
    try {
      encoded = decode(json);
    } catch {
      return; // not ours (someone else publishing on our channel); the stream stays the source of truth
    }
    this.options.observer?.deliveryLag(msSinceWholeMs(encoded.event.at) / 1000);
    this.handler(encoded);
  }

  // After a reconnect (standalone): SUBSCRIBE every group again, and once Redis has acknowledged it,
  // have the Hub read what was published meanwhile. Anything published later arrives on the channel.
  private async resubscribe(): Promise<void> {
    if (this.closed || this.groups.size === 0 || this.sub instanceof Cluster) return;
    const groups = [...this.groups];
    try {
      for (let i = 0; i < groups.length; i += 1000) {
        await this.sub.subscribe(...groups.slice(i, i + 1000).map((g) => this.keys(g).channel));
      }
    } catch {
      return; // lost again: the next 'ready' starts over
    }
    this.resyncAll(groups);
  }

  private resyncAll(groups: Iterable<string> = [...this.groups]): void {
    for (const group of groups) if (!this.closed && this.groups.has(group)) this.resyncHandler(group);
  }

  private touch(group: string): void {
    if (this.cmd.status !== 'ready') return;
    const k = this.keys(group);
    this.cmd.rtTouch(k.seq, k.log, k.members, k.chat, this.options.groupIdleMs).catch(() => {});
  }

  private touchSubscribed(): void {
    for (const group of this.groups) this.touch(group);
  }

  private call<T>(call: Promise<T>, timed: boolean): Promise<T> {
    const observed = this.options.observer ? this.options.observer.call(call, timed) : call;
    return observed.catch((err: unknown) => {
      throw new HubError('broker_unavailable', `broker unavailable: ${(err as Error).message}`);
    });
  }
}

/** Wait after ioredis reports its sharded subscribers ready again before reading what was missed. */
const CLUSTER_RESYNC_DELAY_MS = 300;

function decode(json: string): EncodedEvent {
  return new EncodedEvent(JSON.parse(json) as RtEvent, json);
}

/** The URL without its password, for error messages. */
function redact(raw: string): string {
  const url = new URL(raw);
  if (url.password) url.password = '***';
  return url.toString();
}
