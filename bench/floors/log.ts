/**
 * The floors' whole domain: per group a seq counter and the last events' JSON (only so a subscriber
 * can start at a cursor and polls have something to answer). No validation, eviction or metrics
 * beyond the counts the bench's agreement check reads.
 */

/** Events kept per group (the bench's cursors are never further behind than this). */
const KEEP = 2000;

/** One accepted event: its seq, type and JSON, encoded once. */
export interface FloorEvent {
  seq: number;
  type: string;
  json: string;
}

/** Receives every accepted event of every group (a transport's fan-out). */
export type FanOut = (group: string, event: FloorEvent) => void;

class GroupLog {
  seq = 0;
  /** Oldest first; `events[0].seq === seq - events.length + 1`. */
  events: FloorEvent[] = [];
}

/** Counters per transport, rendered at /metrics for the bench's agreement check. */
export class FloorCounters {
  delivered = 0;
  bytes = 0;
}

/** The groups, their logs, and the transports listening. */
export class FloorLog {
  private readonly groups = new Map<string, GroupLog>();
  private readonly listeners: FanOut[] = [];
  /** Published events by the transport that accepted them. */
  readonly published = new Map<string, number>();
  /** Delivered events and bytes by transport. */
  readonly counters = new Map<string, FloorCounters>();

  /** The counters of `transport` (created once; keep the object). */
  countersOf(transport: string): FloorCounters {
    let c = this.counters.get(transport);
    if (!c) this.counters.set(transport, (c = new FloorCounters()));
    return c;
  }

  /** Adds a transport's fan-out. */
  listen(fanOut: FanOut): void {
    this.listeners.push(fanOut);
  }

  /** The group's head (0 before its first event). */
  head(group: string): number {
    return this.groups.get(group)?.seq ?? 0;
  }

  /** Events after `since` that are still kept. */
  after(group: string, since: number): FloorEvent[] {
    const g = this.groups.get(group);
    if (!g || since >= g.seq) return [];
    const first = g.seq - g.events.length + 1;
    return g.events.slice(Math.max(0, since + 1 - first));
  }

  /**
   * Accepts a publish: the event JSON in the product's key order (seq, group, type, user, at,
   * sentAt, data), which the bench's scanner relies on. `command` is the parsed publish body.
   */
  publish(group: string, user: string, command: Record<string, unknown>, source: string): FloorEvent {
    let g = this.groups.get(group);
    if (!g) this.groups.set(group, (g = new GroupLog()));
    const seq = ++g.seq;
    const { type, sentAt, user: _user, ...data } = command;
    const json = JSON.stringify({ seq, group, type, user, at: Date.now(), sentAt, data });
    const event: FloorEvent = { seq, type: String(type), json };
    g.events.push(event);
    if (g.events.length > KEEP * 2) g.events = g.events.slice(-KEEP);
    this.published.set(source, (this.published.get(source) ?? 0) + 1);
    for (const fanOut of this.listeners) fanOut(group, event);
    return event;
  }

  /** Prometheus text with the few series the bench reads, plus process CPU and RSS. */
  metrics(): string {
    const lines: string[] = [];
    for (const [transport, n] of this.published) lines.push(`rt_events_published_total{transport="${transport}",type="all"} ${n}`);
    for (const [transport, c] of this.counters) {
      lines.push(`rt_events_delivered_total{transport="${transport}",type="all"} ${c.delivered}`);
      lines.push(`rt_bytes_sent_total{transport="${transport}"} ${c.bytes}`);
    }
    const cpu = process.cpuUsage();
    lines.push(`process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`);
    lines.push(`process_resident_memory_bytes ${process.memoryUsage.rss()}`);
    return lines.join('\n') + '\n';
  }
}

/**
 * Corks a socket until the end of the tick: the first write of a tick corks, one shared
 * `process.nextTick` uncorks them all (what the floor is allowed: one write per socket per tick).
 */
const corked = new Set<{ cork(): void; uncork(): void }>();
let scheduled = false;
function uncorkAll(): void {
  scheduled = false;
  for (const s of corked) s.uncork();
  corked.clear();
}
export function corkForTick(socket: { cork(): void; uncork(): void }): void {
  if (corked.has(socket)) return;
  socket.cork();
  corked.add(socket);
  if (!scheduled) {
    scheduled = true;
    process.nextTick(uncorkAll);
  }
}
