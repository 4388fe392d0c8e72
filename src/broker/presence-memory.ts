import type { TransportName } from '../domain/events.js';
import { PresenceCounts, toEntries, type Presence, type PresenceEntry } from './presence.js';

/** Presence of one process: the users subscribed here (the memory broker's companion). */
export class MemoryPresence implements Presence {
  readonly name = 'memory';
  private readonly counts = new PresenceCounts();
  private closed = false;

  join(group: string, user: string, transport: TransportName): void {
    if (!this.closed) this.counts.add(group, user, transport);
  }

  leave(group: string, user: string, transport: TransportName): void {
    this.counts.remove(group, user, transport);
  }

  async online(group: string): Promise<PresenceEntry[]> {
    return toEntries(this.counts.keys(group));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.counts.clear();
  }
}
