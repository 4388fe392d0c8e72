import type { TransportName } from '../domain/events.js';

/** One entry of a snapshot's `online`: a user subscribed to the group over one transport. */
export interface PresenceEntry {
  /** The subscribed user. */
  user: string;
  /** The transport it is subscribed over. */
  transport: TransportName;
}

/**
 * Who is online in a group, beside the Broker (pub/sub and history are the broker's; presence is
 * this interface's, as centrifuge separates `Broker` and `PresenceManager`).
 *
 * The Hub reports every subscriber it registers (`join`) and releases (`leave`), one call per
 * subscriber, so an implementation counts them: the same user on the same transport twice is one
 * entry, gone when the last of them leaves. `join` and `leave` are called synchronously from the Hub's
 * subscribe path and must not throw or await; an implementation backed by another service writes only
 * when an entry appears or disappears on this instance (and on its own lease renewals), never per event.
 */
export interface Presence {
  /** Implementation name (`memory`, `redis`). */
  readonly name: string;

  /** A subscriber of `user` over `transport` was registered on `group` on this instance. */
  join(group: string, user: string, transport: TransportName): void;

  /** A subscriber reported by `join` was released. */
  leave(group: string, user: string, transport: TransportName): void;

  /**
   * The group's online users: one entry per (user, transport), over every instance that shares this
   * presence, sorted by user then transport.
   * @throws HubError `broker_unavailable` when the backing store cannot be reached
   */
  online(group: string): Promise<PresenceEntry[]>;

  /**
   * Removes everything this instance holds (its users leave at once, as on a clean shutdown), stops
   * renewing and releases connections. Later `join` and `leave` calls do nothing.
   */
  close(): Promise<void>;
}

/**
 * Reference counts of this instance's subscribers per group and (user, transport): the bookkeeping
 * every implementation shares. `add` and `remove` say whether an entry appeared or disappeared.
 */
export class PresenceCounts {
  private readonly groups = new Map<string, Map<string, number>>();

  /** Counts one subscriber in. @returns true when the entry is new on this instance */
  add(group: string, user: string, transport: TransportName): boolean {
    let entries = this.groups.get(group);
    if (!entries) this.groups.set(group, (entries = new Map()));
    const key = entryKey(user, transport);
    const count = entries.get(key) ?? 0;
    entries.set(key, count + 1);
    return count === 0;
  }

  /** Counts one subscriber out. @returns true when the entry's last subscriber left */
  remove(group: string, user: string, transport: TransportName): boolean {
    const entries = this.groups.get(group);
    const key = entryKey(user, transport);
    const count = entries?.get(key);
    if (!entries || count === undefined) return false;
    if (count > 1) {
      entries.set(key, count - 1);
      return false;
    }
    entries.delete(key);
    if (entries.size === 0) this.groups.delete(group);
    return true;
  }

  /** True while at least one subscriber holds the entry. */
  has(group: string, user: string, transport: TransportName): boolean {
    return this.groups.get(group)?.has(entryKey(user, transport)) ?? false;
  }

  /** This instance's entries of a group, as `user|transport` keys. */
  keys(group: string): IterableIterator<string> | [] {
    return this.groups.get(group)?.keys() ?? [];
  }

  /** Groups with at least one entry. */
  groupNames(): IterableIterator<string> {
    return this.groups.keys();
  }

  /** Forgets everything. */
  clear(): void {
    this.groups.clear();
  }
}

/** `user|transport`: user ids cannot contain `|` (`^[A-Za-z0-9_.-]{1,64}$`). */
export function entryKey(user: string, transport: TransportName): string {
  return `${user}|${transport}`;
}

/** Parses `user|transport` keys (duplicates dropped) into entries sorted by user, then transport. */
export function toEntries(keys: Iterable<string>): PresenceEntry[] {
  const entries = [...new Set(keys)].map((key) => {
    const bar = key.indexOf('|');
    return { user: key.slice(0, bar), transport: key.slice(bar + 1) as TransportName };
  });
  return entries.sort((a, b) => compare(a.user, b.user) || compare(a.transport, b.transport));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
