import type { TransportName } from '../../src/domain/events.js';
import type { BenchArgs } from '../args.js';
import type { ClientSpec } from '../clients/types.js';
import { ownCpuSeconds } from '../env.js';
import { mergeResults, type MergedResult } from '../load/merge.js';
import type { ProgressReply, PublishPlan, WorkerResult } from '../load/protocol.js';
import { sharedNow } from '../load/stats.js';
import type { WorkerPool } from '../pool.js';
import { Progress } from '../progress.js';
import type { TimelinePoint } from '../report/model.js';
import type { MetricsSnapshot } from '../server-metrics.js';
import { findPid, procSample, type ProcSample, type ServerTarget } from '../server-process.js';
import type { PartSample } from '../server-group.js';

/** What every scenario gets from the CLI. */
export interface RunContext {
  args: BenchArgs;
  pool: WorkerPool;
  /** Short id that makes this run's group names unique. */
  runId: string;
  outDir: string;
  /** CPUs the load generator may use. */
  loadGeneratorCpus: number;
  /** Source addresses the clients spread over. */
  addresses: string[];
  /**
   * Starts the server for one transport run (or hands out the `--url` one). With `floor`, the floor
   * server instead (bench/floors/), started and pinned the same way (in-process beside `--url`).
   */
  startServer(env: Record<string, string>, name: string, floor?: boolean): Promise<ServerTarget>;
  /** A line for the user (stderr), unless quiet. */
  log(line: string): void;
}

/** The server's state at one instant. */
export interface Mark {
  at: number;
  sample: ProcSample;
  metrics: MetricsSnapshot;
  ownCpu: number;
  /** Each instance and Redis on its own, when the target has several processes. */
  parts?: PartSample[];
  /** The `--sample-process` process (e.g. RabbitMQ behind the relay), when asked for and found. */
  coProcess?: ProcSample;
}

/** Options of the client specs a phase makes. */
export interface SpecOptions {
  role: string;
  groups: number;
  since?: number;
  pollIntervalMs?: number;
  longPollTimeoutMs?: number;
  publishOnly?: boolean;
  startPaused?: boolean;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One transport's run inside a scenario: the measured window, the clients, the drain and the
 * collection of every worker's results. Scenarios compose these steps.
 */
export class Phase {
  before: Mark | undefined = undefined;
  after: Mark | undefined = undefined;
  timeline: TimelinePoint[] = [];
  readonly progress: Progress;
  private nextId = 0;

  constructor(
    readonly ctx: RunContext,
    readonly scenario: string,
    readonly transport: TransportName,
    readonly server: ServerTarget,
    label = `${scenario} ${transport}`,
  ) {
    this.progress = new Progress(ctx.pool, server, label, ctx.args.quiet, ctx.loadGeneratorCpus);
  }

  /** The name of group `i` of this run (unique per run, scenario and transport). */
  group(i: number): string {
    return `${this.scenario}-${this.ctx.runId}-${this.transport}-${i}`;
  }

  /** `count` client specs spread round-robin over groups and source addresses. */
  specs(count: number, options: SpecOptions): ClientSpec[] {
    const addresses = this.ctx.addresses;
    return Array.from({ length: count }, (_, i) => {
      const id = this.nextId++;
      return {
        id,
        transport: this.transport,
        group: this.group(i % options.groups),
        user: `u${id}`,
        role: options.role,
        localAddress: addresses[id % addresses.length]!,
        since: options.since,
        pollIntervalMs: options.pollIntervalMs,
        longPollTimeoutMs: options.longPollTimeoutMs,
        publishOnly: options.publishOnly,
        startPaused: options.startPaused,
      };
    });
  }

  /** Opens clients on the workers. */
  open(specs: readonly ClientSpec[]): Promise<{ opened: number; failed: number }> {
    return this.ctx.pool.open(specs, this.ctx.args.concurrency);
  }

  /** Reads CPU, RSS and the metrics now. */
  async mark(): Promise<Mark> {
    const name = this.ctx.args.sampleProcess;
    const coPid = name ? await findPid(name) : undefined;
    const [sample, metrics, parts, coProcess] = await Promise.all([
      this.server.sample(),
      this.server.metrics(),
      this.server.parts?.(),
      coPid ? procSample(coPid) : undefined,
    ]);
    return { at: Date.now(), sample, metrics, ownCpu: ownCpuSeconds(), ...(parts ? { parts } : {}), ...(coProcess ? { coProcess } : {}) };
  }

  /** Begins the measured window. */
  async startWindow(): Promise<void> {
    await this.ctx.pool.all({ op: 'window-start' });
    this.before = await this.mark();
    this.progress.start();
  }

  /** Ends the measured window. */
  async endWindow(): Promise<void> {
    this.timeline = this.progress.stop();
    this.after = await this.mark();
  }

  /** Starts publishing on every worker until `durationMs` from now. */
  async publish(plan: Omit<PublishPlan, 'untilMs'>, durationMs: number): Promise<void> {
    const untilMs = sharedNow() + durationMs;
    await this.ctx.pool.all({ op: 'publish', plan: { ...plan, untilMs } });
  }

  /** Stops publishing everywhere; returns publishes sent and accepted. */
  async stopPublishing(): Promise<{ sent: number; accepted: number; failed: number }> {
    const replies = await this.ctx.pool.all<{ sent: number; accepted: number; failed: number }>({ op: 'stop-publishing' });
    return replies.reduce((a, r) => ({ sent: a.sent + r.sent, accepted: a.accepted + r.accepted, failed: a.failed + r.failed }), { sent: 0, accepted: 0, failed: 0 });
  }

  /** The heads of groups, read with cursor-less short polls. */
  async heads(groups: readonly string[]): Promise<Record<string, number>> {
    const heads: Record<string, number> = {};
    await Promise.all(
      groups.map(async (group) => {
        const res = await fetch(`${this.server.url}/poll/groups/${group}`, { signal: AbortSignal.timeout(10_000) });
        const body = (await res.json()) as { next?: number };
        heads[group] = body.next ?? 0;
      }),
    );
    return heads;
  }

  /** Owed and delivered so far across workers. */
  async progressAt(heads: Record<string, number>): Promise<ProgressReply> {
    const replies = await this.ctx.pool.all<ProgressReply>({ op: 'progress', heads });
    return replies.reduce((a, r) => ({ expected: a.expected + r.expected, delivered: a.delivered + r.delivered, received: a.received + r.received, connected: a.connected + r.connected }), {
      expected: 0,
      delivered: 0,
      received: 0,
      connected: 0,
    });
  }

  /**
   * Waits until every owed event has arrived or `timeoutMs` passed, then waits `settleMs` more so
   * duplicates or stragglers still in flight are counted too.
   */
  async drain(groups: readonly string[], timeoutMs: number, settleMs = 300, stallMs = 3000): Promise<{ heads: Record<string, number>; complete: boolean; waitedMs: number }> {
    const started = Date.now();
    const heads = await this.heads(groups);
    let complete = false;
    let last = -1;
    let lastChange = Date.now();
    // Bounded twice: by the timeout, and by `stallMs` without any new delivery (nothing is coming).
    while (Date.now() - started < timeoutMs && Date.now() - lastChange < stallMs) {
      const p = await this.progressAt(heads);
      if (p.delivered >= p.expected) {
        complete = true;
        break;
      }
      if (p.delivered !== last) {
        last = p.delivered;
        lastChange = Date.now();
      }
      await sleep(100);
    }
    await sleep(settleMs);
    return { heads, complete, waitedMs: Date.now() - started };
  }

  /** Books and closes every client; returns all workers' results added up. */
  async finish(heads: Record<string, number>): Promise<MergedResult> {
    const results = await this.ctx.pool.all<WorkerResult>({ op: 'finish', heads });
    return mergeResults(results);
  }

  /** Sleeps in the measured window (progress keeps printing). */
  wait(ms: number): Promise<void> {
    return sleep(ms);
  }
}
