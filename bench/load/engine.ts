import { monitorEventLoopDelay } from 'node:perf_hooks';
import { addTally } from '../accounting.js';
import { createClient } from '../clients/index.js';
import { HttpPool, type Target } from '../clients/http-conn.js';
import type { BenchClient, ClientContext, ClientSpec } from '../clients/types.js';
import { readNext } from '../fastread.js';
import { Histogram } from '../histogram.js';
import type { OpenReply, ProgressReply, PublishPlan, RoleResult, Tick, WorkerInit, WorkerResult } from './protocol.js';
import { readClock, RoleStats, sharedNow } from './stats.js';
import { PublishWheel } from './scheduler.js';

const OPEN_TIMEOUT_MS = 30_000;

/**
 * The clients of one worker in one phase: it opens them, feeds their events to the accounting,
 * publishes on a wheel, and reports a tick a second. Scenario actions live in `actions.ts`.
 */
export class LoadEngine implements ClientContext {
  readonly target: Target;
  readonly wsBase: string;
  readonly pool: HttpPool;
  readonly stompHeartbeatMs: number;
  readonly now = sharedNow;
  readonly clients = new Map<number, BenchClient>();
  /** Clients a leave has picked and not yet retired. */
  readonly leaving = new Set<BenchClient>();
  private readonly statsOf = new Map<BenchClient, RoleStats>();
  readonly roles = new Map<string, RoleStats>();
  private readonly errors = new Map<string, number>();
  readonly publishing = { sent: 0, accepted: 0, failed: 0, inFlight: 0 };
  private readonly polls = { requests: 0, empty: 0, rtt: new Histogram() };
  private wheel: PublishWheel<BenchClient> | undefined = undefined;
  private plan: PublishPlan | undefined = undefined;
  private text = '';
  private received = 0;
  /** Events that reached a client after it was booked (written while it was closing). */
  private late = 0;
  cycles = 0;
  private readonly tick = { sent: 0, accepted: 0, received: 0, polls: 0, errors: 0, latency: new Histogram() };
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 10 });
  private readonly timers: NodeJS.Timeout[] = [];
  private readsAtTick = readClock.reads;

  constructor(
    private readonly init: WorkerInit,
    target: Target,
    private readonly post: (tick: Tick) => void,
  ) {
    this.target = target;
    this.wsBase = `ws://${target.host}:${target.port}`;
    this.pool = new HttpPool(target, init.addresses, init.poolSize);
    this.stompHeartbeatMs = init.stompHeartbeatMs;
    this.loopDelay.enable();
    this.timers.push(setInterval(() => this.sendTick(), 1000));
    // STOMP heart-beats: one sweep for all clients instead of a timer each.
    if (init.stompHeartbeatMs > 0) {
      this.timers.push(setInterval(() => {
        const now = this.now();
        for (const client of this.clients.values()) client.heartbeat?.(now);
      }, Math.max(250, init.stompHeartbeatMs / 4)));
    }
  }

  // --- ClientContext: the hot path -------------------------------------------------------------

  onEvent(client: BenchClient, seq: number, sentAt: number): void {
    this.received++;
    this.tick.received++;
    const stats = this.statsOf.get(client);
    if (stats === undefined) {
      this.late++; // arrived after the client was booked and closed
      return;
    }
    const tracker = client.tracker;
    if (tracker === undefined) return this.onError(client, 'event_before_subscribed');
    if (!tracker.observe(seq) || sentAt !== sentAt) return; // duplicate, or no sentAt (NaN)
    const at = readClock.at;
    stats.recent.record((at === at ? at : sharedNow()) - sentAt);
  }

  /** Folds every role's recent latency into its totals and the per-second tick. */
  private foldLatency(): void {
    for (const stats of this.roles.values()) stats.fold(this.tick.latency);
  }

  onError(_client: BenchClient | undefined, code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
    this.tick.errors++;
  }

  onPoll(_client: BenchClient, events: number, rttMs: number): void {
    this.polls.requests++;
    if (events === 0) this.polls.empty++;
    this.polls.rtt.record(rttMs);
    this.tick.polls++;
  }

  // --- lifecycle --------------------------------------------------------------------------------

  /** The stats of a role (created on first use). */
  role(name: string): RoleStats {
    let stats = this.roles.get(name);
    if (!stats) this.roles.set(name, (stats = new RoleStats()));
    return stats;
  }

  /** Opens specs with at most `concurrency` connects in flight. */
  async openAll(specs: readonly ClientSpec[], concurrency: number): Promise<OpenReply> {
    let next = 0;
    let opened = 0;
    let failed = 0;
    const lane = async () => {
      while (next < specs.length) {
        if (await this.openOne(specs[next++]!)) opened++;
        else failed++;
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, specs.length)) }, lane));
    return { opened, failed };
  }

  /** Creates, registers and opens one client; a failure is counted and the client discarded. */
  async openOne(spec: ClientSpec): Promise<BenchClient | undefined> {
    const client = createClient(spec, this);
    const stats = this.role(spec.role);
    this.clients.set(spec.id, client);
    this.statsOf.set(client, stats);
    try {
      await this.reopen(client);
      stats.opened++;
      stats.connect.record(client.connectMs);
      if (this.plan?.roles.includes(spec.role) && this.wheel?.running) this.wheel.add(client);
      return client;
    } catch (err) {
      stats.failed++;
      this.onError(client, (err as Error).message);
      this.discard(client);
      return undefined;
    }
  }

  /** `client.open()` bounded in time. */
  reopen(client: BenchClient): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.drop();
        reject(new Error('connect_timeout'));
      }, OPEN_TIMEOUT_MS);
      client.open().then(
        () => (clearTimeout(timer), resolve()),
        (err: unknown) => (clearTimeout(timer), reject(err)),
      );
    });
  }

  /** Closes a client and books its accounting up to `end` (the group's head it was owed). */
  retire(client: BenchClient, end: number | undefined): void {
    const stats = this.statsOf.get(client);
    if (client.tracker && stats) addTally(stats.tally, client.tracker.tally(end ?? client.tracker.maxSeen));
    client.close();
    this.discard(client);
  }

  private discard(client: BenchClient): void {
    this.leaving.delete(client);
    this.wheel?.remove(client);
    if (this.clients.get(client.spec.id) === client) this.clients.delete(client.spec.id);
    this.statsOf.delete(client);
  }

  /** The group's head via a cursor-less short poll (answers at once with `next` = head). */
  async readHead(group: string): Promise<number> {
    const res = await this.pool.request('GET', `/poll/groups/${group}`);
    const head = readNext(res.body);
    if (res.status !== 200 || head < 0) throw new Error(`head_${res.status}`);
    return head;
  }

  /** The measured window begins: poll counts restart so requests/s covers the same span as the server's. */
  windowStart(): void {
    this.polls.requests = 0;
    this.polls.empty = 0;
    this.polls.rtt.reset();
  }

  /** Warm-up over: latency from now on is the steady state (accounting keeps counting everything). */
  latencyReset(): void {
    this.foldLatency(); // the warm-up's samples still count in the per-second view
    for (const stats of this.roles.values()) stats.latency.reset();
  }

  // --- publishing -------------------------------------------------------------------------------

  /** Starts the publish wheel for the plan's roles. */
  startPublishing(plan: PublishPlan): void {
    this.wheel?.stop();
    this.plan = plan;
    this.text = 'x'.repeat(Math.max(1, Math.min(1000, plan.textLength)));
    this.wheel = new PublishWheel<BenchClient>(plan.intervalMs, (client) => this.publishOne(client), this.now);
    for (const client of this.clients.values()) if (plan.roles.includes(client.spec.role)) this.wheel.add(client);
    this.wheel.start(plan.untilMs);
  }

  /** Stops publishing and waits (bounded) for the publishes in flight to be answered. */
  async stopPublishing(): Promise<void> {
    this.wheel?.stop();
    const deadline = this.now() + 10_000;
    while (this.publishing.inFlight > 0 && this.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  private publishOne(client: BenchClient): void {
    if (!client.connected) return;
    const sentAt = this.now();
    const id = client.spec.id;
    const command =
      this.plan!.kind === 'chat'
        ? `{"type":"chat","text":"${this.text}","sentAt":${sentAt}}`
        : `{"type":"location","lat":${37 + (id % 1000) / 1000},"lng":${127 + (sentAt % 1000) / 10000},"accuracy":5,"sentAt":${sentAt}}`;
    this.publishing.sent++;
    this.publishing.inFlight++;
    this.tick.sent++;
    client.publish(command).then(
      () => {
        this.publishing.inFlight--;
        this.publishing.accepted++;
        this.tick.accepted++;
      },
      (err: unknown) => {
        this.publishing.inFlight--;
        this.publishing.failed++;
        this.onError(client, `publish_${(err as Error).message}`);
      },
    );
  }

  // --- reporting --------------------------------------------------------------------------------

  /** Owed vs delivered so far, given the groups' heads. */
  progress(heads: Record<string, number>): ProgressReply {
    let expected = 0;
    let delivered = 0;
    let connected = 0;
    for (const stats of this.roles.values()) {
      expected += stats.tally.expected;
      delivered += stats.tally.delivered;
    }
    for (const client of this.clients.values()) {
      if (client.connected) connected++;
      const tracker = client.tracker;
      const head = heads[client.spec.group];
      if (!tracker || head === undefined) continue;
      expected += Math.max(0, head - tracker.baseline);
      delivered += tracker.deliveredUpTo(head);
    }
    return { expected, delivered, received: this.received, connected };
  }

  /** Books every client at the given heads, closes them and returns the phase's results. */
  finish(heads: Record<string, number>): WorkerResult {
    this.wheel?.stop();
    const openAtFinish = this.clients.size;
    for (const client of [...this.clients.values()]) this.retire(client, heads[client.spec.group]);
    const roles: Record<string, RoleResult> = {};
    for (const [name, stats] of this.roles) roles[name] = stats.toResult();
    return {
      roles,
      errors: Object.fromEntries(this.errors),
      publish: { sent: this.publishing.sent, accepted: this.publishing.accepted, failed: this.publishing.failed, skipped: this.wheel?.skipped ?? 0 },
      polls: { requests: this.polls.requests, empty: this.polls.empty, rtt: this.polls.rtt.toJSON() },
      cycles: this.cycles,
      lateEvents: this.late,
      openAtFinish,
    };
  }

  /** Stops the timers and the shared pool (after `finish`). */
  dispose(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.loopDelay.disable();
    this.pool.destroy();
  }

  private sendTick(): void {
    let connected = 0;
    for (const client of this.clients.values()) if (client.connected) connected++;
    this.foldLatency();
    const t = this.tick;
    this.post({
      type: 'tick',
      worker: this.init.index,
      sent: t.sent,
      accepted: t.accepted,
      received: t.received,
      polls: t.polls,
      errors: t.errors,
      connected,
      latency: t.latency.toJSON(),
      loopDelayMs: this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0,
      reads: readClock.reads - this.readsAtTick,
    });
    this.readsAtTick = readClock.reads;
    t.sent = t.accepted = t.received = t.polls = t.errors = 0;
    t.latency.reset();
    this.loopDelay.reset();
  }
}
