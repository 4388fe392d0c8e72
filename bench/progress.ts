import { ownCpuSeconds, ownRunqueueWaitSeconds, ownSystemCpuSeconds } from './env.js';
import { Histogram } from './histogram.js';
import type { Tick } from './load/protocol.js';
import type { WorkerPool } from './pool.js';
import type { TimelinePoint } from './report/model.js';
import type { ProcSample, ServerTarget } from './server-process.js';

/** Compact number: 22500 -> 22.5k. */
export function compact(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

/**
 * The per-second view of a running phase: sums the workers' ticks, samples the server's CPU and RSS,
 * prints one line, and keeps the series for the report's throughput-over-time chart.
 */
export class Progress {
  private ticks: Tick[] = [];
  private timer: NodeJS.Timeout | undefined = undefined;
  private readonly points: TimelinePoint[] = [];
  private startedAt = 0;
  private lastServer: ProcSample | undefined = undefined;
  private lastOwn = { at: 0, cpu: 0 };
  private busy = false;
  private readonly connectedByWorker = new Map<number, number>();
  /** Highest server RSS seen. */
  peakRssBytes = 0;
  /** Highest worker event-loop delay p99 seen (ms). */
  maxLoopDelayMs = 0;
  private ownCpuSum = 0;
  private ownCpuCount = 0;
  /** Over the window: the generator's CPU (all, and in the kernel), events received, socket reads. */
  private readonly cost = { cpuSeconds: 0, systemSeconds: 0, received: 0, reads: 0, lastSystem: 0, waitStart: NaN, startedAt: 0 };

  constructor(
    private readonly pool: WorkerPool,
    private readonly server: ServerTarget,
    private readonly label: string,
    private readonly quiet: boolean,
    /** CPUs the load generator may use (for its CPU%: 100 = all of them busy). */
    private readonly loadGeneratorCpus: number,
  ) {}

  /** Starts collecting (the measured window's t = 0). */
  start(): void {
    this.startedAt = Date.now();
    this.lastOwn = { at: Date.now(), cpu: ownCpuSeconds() };
    this.cost.lastSystem = ownSystemCpuSeconds();
    this.cost.waitStart = ownRunqueueWaitSeconds();
    this.cost.startedAt = Date.now();
    this.pool.onTick((tick) => this.ticks.push(tick));
    this.timer = setInterval(() => void this.flush(), 1000);
  }

  /** Stops and returns the series. */
  stop(): TimelinePoint[] {
    clearInterval(this.timer);
    this.pool.onTick(undefined);
    return this.points;
  }

  /** Mean load-generator CPU over the window (%, of the CPUs it may use). */
  get loadGeneratorCpuPercent(): number | null {
    return this.ownCpuCount ? this.ownCpuSum / this.ownCpuCount : null;
  }

  /**
   * What the load generator spent per event it received over the window: CPU µs (all threads),
   * the kernel's share of it, and events per socket read (null before any event).
   */
  get loadGeneratorCost(): { cpuMicrosPerEvent: number; systemShare: number; eventsPerRead: number | null; runqueueWaitPercent: number | null } | null {
    const c = this.cost;
    if (c.received === 0) return null;
    // Threads waiting for a CPU, as % of one CPU over the window (several threads can wait at once).
    const wait = ((ownRunqueueWaitSeconds() - c.waitStart) / ((Date.now() - c.startedAt) / 1000)) * 100;
    return {
      cpuMicrosPerEvent: (c.cpuSeconds / c.received) * 1e6,
      systemShare: c.cpuSeconds > 0 ? c.systemSeconds / c.cpuSeconds : 0,
      eventsPerRead: c.reads > 0 ? c.received / c.reads : null,
      runqueueWaitPercent: Number.isFinite(wait) ? wait : null,
    };
  }

  private async flush(): Promise<void> {
    if (this.busy) return; // a slow /metrics scrape must not pile up samples
    this.busy = true;
    try {
      const ticks = this.ticks;
      this.ticks = [];
      const latency = new Histogram();
      const sum = { sent: 0, accepted: 0, received: 0, polls: 0, errors: 0, connected: 0, loop: 0, reads: 0 };
      for (const t of ticks) {
        sum.sent += t.sent;
        sum.accepted += t.accepted;
        sum.received += t.received;
        sum.polls += t.polls;
        sum.errors += t.errors;
        sum.reads += t.reads;
        this.connectedByWorker.set(t.worker, t.connected);
        sum.loop = Math.max(sum.loop, t.loopDelayMs);
        latency.merge(t.latency);
      }
      // Each worker's latest count (a worker whose tick missed this window keeps its last one).
      for (const n of this.connectedByWorker.values()) sum.connected += n;
      const sample = await this.server.sample().catch(() => undefined);
      let serverCpu: number | null = null;
      if (sample && this.lastServer) serverCpu = ((sample.cpuSeconds - this.lastServer.cpuSeconds) / ((sample.at - this.lastServer.at) / 1000)) * 100;
      if (sample) {
        this.lastServer = sample;
        this.peakRssBytes = Math.max(this.peakRssBytes, sample.rssBytes);
      }
      const now = Date.now();
      const own = ownCpuSeconds();
      const ownPercent = ((own - this.lastOwn.cpu) / ((now - this.lastOwn.at) / 1000) / this.loadGeneratorCpus) * 100;
      const system = ownSystemCpuSeconds();
      this.cost.cpuSeconds += own - this.lastOwn.cpu;
      this.cost.systemSeconds += system - this.cost.lastSystem;
      this.cost.lastSystem = system;
      this.cost.received += sum.received;
      this.cost.reads += sum.reads;
      this.lastOwn = { at: now, cpu: own };
      this.ownCpuSum += ownPercent;
      this.ownCpuCount++;
      this.maxLoopDelayMs = Math.max(this.maxLoopDelayMs, sum.loop);
      const p = latency.summary();
      const point: TimelinePoint = {
        t: Math.round((now - this.startedAt) / 100) / 10,
        sent: sum.sent,
        accepted: sum.accepted,
        received: sum.received,
        polls: sum.polls,
        errors: sum.errors,
        connected: sum.connected,
        p50Ms: p.p50,
        p99Ms: p.p99,
        serverCpuPercent: serverCpu === null ? null : Math.round(serverCpu),
        serverRssBytes: sample?.rssBytes ?? null,
        loadGeneratorCpuPercent: Math.round(ownPercent),
        loopDelayMs: Math.round(sum.loop * 10) / 10,
      };
      this.points.push(point);
      if (!this.quiet) process.stderr.write(this.line(point) + '\n');
    } finally {
      this.busy = false;
    }
  }

  private line(p: TimelinePoint): string {
    const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(1) : String(Math.round(v)));
    const polls = p.polls ? `  polls ${compact(p.polls)}/s` : '';
    const server = p.serverRssBytes === null ? '' : `  | server cpu ${p.serverCpuPercent ?? '-'}% rss ${Math.round(p.serverRssBytes / 1048576)}MB`;
    return (
      `[${this.label}] ${String(Math.round(p.t)).padStart(4)}s  sent ${compact(p.sent)}/s  recv ${compact(p.received)}/s${polls}` +
      `  p50 ${ms(p.p50Ms)} p99 ${ms(p.p99Ms)} ms  conns ${compact(p.connected)}  err ${p.errors}${server}  | gen cpu ${p.loadGeneratorCpuPercent}%`
    );
  }
}
