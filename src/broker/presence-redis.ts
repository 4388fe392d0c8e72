import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { Cluster, Redis, type ChainableCommander, type Result } from 'ioredis';
import { ConfigError } from '../config.js';
import { HubError } from '../domain/errors.js';
import type { TransportName } from '../domain/events.js';
import type { BrokerObserver } from './broker.js';
import { PresenceCounts, entryKey, toEntries, type Presence, type PresenceEntry } from './presence.js';
import { PRESENCE_ADD_SCRIPT, PRESENCE_READ_SCRIPT, presenceKey } from './redis-scripts.js';
import { clusterNodeOptions, redisConnectionOptions } from './redis-options.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    rtPresenceAdd(key: string, leaseMs: number, ...members: string[]): Result<number, Context>;
    rtPresenceRead(key: string): Result<string[], Context>;
  }
}

/** Options of the Redis presence. */
export interface RedisPresenceOptions {
  /** `redis://` or `rediss://` URL (REDIS_URL); in cluster mode, any node. */
  url: string;
  /** The URL names a Redis Cluster node (REDIS_CLUSTER). */
  cluster?: boolean;
  /** Key prefix (default `rt`, as the broker's). */
  keyPrefix?: string;
  /** How long an entry lives in Redis without renewal (PRESENCE_LEASE_MS). */
  leaseMs: number;
  /** How often this instance renews all its entries, in one pipeline (PRESENCE_RENEW_MS). Less than the lease. */
  renewMs: number;
  /** This process' id in entries (default `<hostname>-<pid>-<random>`). */
  instanceId?: string;
  /** Longest wait for one command (default 2000 ms). */
  commandTimeoutMs?: number;
  /** Counts failed calls (`rt_broker_errors_total{broker="redis"}`). */
  observer?: Pick<BrokerObserver, 'call'>;
}

/** Entries per script call when renewing, so one huge group does not make one huge command. */
const RENEW_CHUNK = 1000;

/**
 * Presence shared by every instance on one Redis (centrifuge's presence_redis, with leases): each
 * instance writes its entries to the group's sorted set when they appear, renews them all every
 * `renewMs`, and removes them when they disappear or on close; a crashed instance's entries expire
 * after `leaseMs`. Removal waits a moment (`leaveDelayMs`), so a long-poll that re-asks at once costs
 * no Redis write at all.
 */
export class RedisPresence implements Presence {
  readonly name = 'redis';
  readonly instanceId: string;
  /** How long a vanished entry stays before it is removed (re-joining within it writes nothing). */
  readonly leaveDelayMs: number;
  private readonly counts = new PresenceCounts();
  /** Entries whose last subscriber left, per group, removed at the next flush unless joined again. */
  private pending = new Map<string, Set<string>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly renewer: NodeJS.Timeout;
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private closed = false;
  private lastError: Error | undefined;

  /**
   * Connects and returns a ready presence.
   * @throws ConfigError naming REDIS_URL when Redis cannot be reached
   */
  static async connect(options: RedisPresenceOptions): Promise<RedisPresence> {
    const presence = new RedisPresence(options);
    try {
      await presence.redis.connect();
    } catch (err) {
      await presence.close();
      throw new ConfigError('REDIS_URL', `cannot reach Redis for presence: ${(presence.lastError ?? (err as Error)).message}`);
    }
    return presence;
  }

  private constructor(private readonly options: RedisPresenceOptions) {
    if (!(options.renewMs > 0 && options.renewMs < options.leaseMs)) {
      throw new ConfigError('PRESENCE_RENEW_MS', `must be less than PRESENCE_LEASE_MS (${options.leaseMs}), got ${options.renewMs}`);
    }
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.prefix = options.keyPrefix ?? 'rt';
    // A re-joined entry keeps the expiry of its last renewal: it must outlive the delay plus a period.
    this.leaveDelayMs = Math.min(1000, Math.floor((options.leaseMs - options.renewMs) / 2));
    const base = redisConnectionOptions(options.commandTimeoutMs);
    if (options.cluster) {
      this.redis = new Cluster([options.url], {
        lazyConnect: true,
        enableOfflineQueue: false,
        clusterRetryStrategy: (attempt) => Math.min(attempt * 100, 1000),
        redisOptions: clusterNodeOptions(options.url, base),
      });
    } else {
      this.redis = new Redis(options.url, { ...base, connectionName: 'rt-presence' });
    }
    this.redis.on('error', (err: Error) => (this.lastError = err));
    this.redis.defineCommand('rtPresenceAdd', { numberOfKeys: 1, lua: PRESENCE_ADD_SCRIPT });
    this.redis.defineCommand('rtPresenceRead', { numberOfKeys: 1, lua: PRESENCE_READ_SCRIPT });
    this.renewer = setInterval(() => this.renew(), options.renewMs);
    this.renewer.unref();
  }

  join(group: string, user: string, transport: TransportName): void {
    if (this.closed || !this.counts.add(group, user, transport)) return;
    const key = entryKey(user, transport);
    const waiting = this.pending.get(group);
    if (waiting?.delete(key)) {
      if (waiting.size === 0) this.pending.delete(group);
      return; // still in Redis, and renewed with the others from now on
    }
    this.quietly(this.redis.rtPresenceAdd(presenceKey(this.prefix, group), this.options.leaseMs, this.member(key)));
  }

  leave(group: string, user: string, transport: TransportName): void {
    if (this.closed || !this.counts.remove(group, user, transport)) return;
    let waiting = this.pending.get(group);
    if (!waiting) this.pending.set(group, (waiting = new Set()));
    waiting.add(entryKey(user, transport));
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), this.leaveDelayMs);
      this.flushTimer.unref();
    }
  }

  async online(group: string): Promise<PresenceEntry[]> {
    let members: string[];
    try {
      const read = this.redis.rtPresenceRead(presenceKey(this.prefix, group));
      members = await (this.options.observer ? this.options.observer.call(read, false) : read);
    } catch (err) {
      throw new HubError('broker_unavailable', `broker unavailable: ${(err as Error).message}`);
    }
    // `<instance>|<user>|<transport>`: the instance id may hold anything but the last two parts cannot.
    return toEntries(members.map((m) => m.slice(m.lastIndexOf('|', m.lastIndexOf('|') - 1) + 1)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.renewer);
    clearTimeout(this.flushTimer);
    if (this.redis.status === 'ready') {
      const all = new Map<string, string[]>();
      for (const group of this.counts.groupNames()) all.set(group, [...this.counts.keys(group)]);
      for (const [group, keys] of this.pending) all.set(group, [...(all.get(group) ?? []), ...keys]);
      await this.batch([...all].map(([group, keys]) => (c) => c.zrem(presenceKey(this.prefix, group), ...keys.map((k) => this.member(k)))));
    }
    this.counts.clear();
    this.pending.clear();
    await (this.redis.status === 'ready' ? this.redis.quit().then(() => {}, () => this.redis.disconnect()) : this.redis.disconnect());
  }

  private member(key: string): string {
    return `${this.instanceId}|${key}`;
  }

  // Removes the entries that nobody joined again during the delay, one ZREM per group.
  private flush(): void {
    this.flushTimer = undefined;
    const pending = this.pending;
    this.pending = new Map();
    if (this.closed || pending.size === 0 || this.redis.status !== 'ready') return; // the lease removes them
    void this.batch([...pending].map(([group, keys]) => (c) => c.zrem(presenceKey(this.prefix, group), ...[...keys].map((k) => this.member(k)))));
  }

  // One pipeline per period renews every entry this instance holds (and re-adds them if Redis lost them).
  private renew(): void {
    if (this.closed || this.redis.status !== 'ready') return;
    const calls: ((c: Redis | Cluster | ChainableCommander) => unknown)[] = [];
    for (const group of this.counts.groupNames()) {
      const members = [...this.counts.keys(group)].map((k) => this.member(k));
      for (let i = 0; i < members.length; i += RENEW_CHUNK) {
        const chunk = members.slice(i, i + RENEW_CHUNK);
        calls.push((c) => c.rtPresenceAdd(presenceKey(this.prefix, group), this.options.leaseMs, ...chunk));
      }
    }
    void this.batch(calls);
  }

  // Standalone: one pipeline. Cluster: a pipeline may only touch one slot, so the commands go out
  // together unawaited and ioredis writes each node's share in one go.
  private async batch(calls: ((c: Redis | Cluster | ChainableCommander) => unknown)[]): Promise<void> {
    if (calls.length === 0) return;
    if (this.redis instanceof Cluster) {
      await Promise.all(calls.map((call) => this.quietly(call(this.redis) as Promise<unknown>)));
      return;
    }
    const pipeline = this.redis.pipeline();
    for (const call of calls) call(pipeline);
    await this.quietly(pipeline.exec());
  }

  // A failed presence write needs no answer: the next renewal re-adds, an unremoved entry's lease ends.
  private quietly(call: Promise<unknown>): Promise<void> {
    const observed = this.options.observer ? this.options.observer.call(call, false) : call;
    return observed.then(() => {}, () => {});
  }
}
