import type { HistoryRead } from '../domain/events.js';
import { encodePollBody, nextCursor } from './poll-codec.js';

/** One group's cached bodies, valid while the group's head (and its head event) stay the same. */
interface GroupBodies {
  head: number;
  /** The JSON of the head event, so a group restarted at the same head is not answered stale. */
  headJson: string | undefined;
  bySince: Map<number, string>;
}

/**
 * Poll answers built once per (group, head, cursor) and shared by every poll asking the same: the
 * clients of a busy group ask at the same few cursors (the last `next` they were given), so most
 * answers are a cache hit. Bounded: at most `maxGroups` groups and `maxCursors` cursors per group.
 */
export class PollBodyCache {
  private readonly groups = new Map<string, GroupBodies>();

  /**
   * @param maxEvents most events one answer carries (POLL_MAX_EVENTS); `next` says where to resume
   * @param maxGroups groups held (least recently changed dropped first)
   * @param maxCursors cursors held per group head
   */
  constructor(
    readonly maxEvents: number,
    private readonly maxGroups = 4096,
    private readonly maxCursors = 64,
  ) {}

  /**
   * The body answering `read` (a read of `group` after `since`), capped to `maxEvents`.
   * @param since the cursor asked for; `undefined` (from now) is answered like the head
   */
  body(group: string, since: number | undefined, read: HistoryRead): string {
    const events = read.events;
    const headJson = events.length > 0 ? events[events.length - 1]!.json : undefined;
    let entry = this.groups.get(group);
    if (entry === undefined || entry.head !== read.head || (headJson !== undefined && entry.headJson !== undefined && entry.headJson !== headJson)) {
      if (entry === undefined && this.groups.size >= this.maxGroups) this.groups.delete(this.groups.keys().next().value!);
      if (entry !== undefined) this.groups.delete(group); // re-insert: map order is "least recently changed first"
      entry = { head: read.head, headJson, bySince: new Map() };
      this.groups.set(group, entry);
    } else if (entry.headJson === undefined) {
      entry.headJson = headJson;
    }
    const key = since ?? read.head;
    let body = entry.bySince.get(key);
    if (body === undefined) {
      body = capBody(read, this.maxEvents);
      if (entry.bySince.size >= this.maxCursors) entry.bySince.delete(entry.bySince.keys().next().value!);
      entry.bySince.set(key, body);
    }
    return body;
  }

  /** Groups held, and bodies held in all (bound checks). */
  stats(): { groups: number; bodies: number } {
    let bodies = 0;
    for (const entry of this.groups.values()) bodies += entry.bySince.size;
    return { groups: this.groups.size, bodies };
  }
}

/** The poll body for a read, its events capped to `maxEvents` (the rest follows from `next`). */
export function capBody(read: HistoryRead, maxEvents: number): string {
  const events = capEvents(read.events, maxEvents);
  return encodePollBody(events, nextCursor(events, read.head), read.truncated);
}

/** The first `maxEvents` of `events` (the same array when it is not longer). */
export function capEvents<T>(events: readonly T[], maxEvents: number): readonly T[] {
  return events.length > maxEvents ? events.slice(0, maxEvents) : events;
}
