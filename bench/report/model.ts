/**
 * The report's shape: what `report.json` holds and what the Markdown and HTML writers read.
 * Numbers are raw units (bytes, seconds, ms); writers format them.
 */
import type { TransportName } from '../../src/domain/events.js';
import type { Agreement, Tally } from '../accounting.js';
import type { Environment } from '../env.js';
import type { Percentiles } from '../histogram.js';
import type { TransportCounters } from '../server-metrics.js';

/** One second of a phase. */
export interface TimelinePoint {
  /** Seconds since the phase's measured window began. */
  t: number;
  sent: number;
  accepted: number;
  received: number;
  polls: number;
  errors: number;
  connected: number;
  p50Ms: number | null;
  p99Ms: number | null;
  serverCpuPercent: number | null;
  serverRssBytes: number | null;
  loadGeneratorCpuPercent: number | null;
  loopDelayMs: number;
}

/** Accounting of a set of clients, with its ratio. */
export type Accounting = Tally & { deliveryRatio: number };

/** A named pass/fail with the measured value (targets of the issue, scenario invariants). */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

/** Results of one role within a transport run. */
export interface RoleReport {
  accounting: Accounting;
  latencyMs: Percentiles;
  connectMs: Percentiles;
  opened: number;
  failed: number;
}

/** Server-side figures over the measured window. */
export interface ServerReport {
  /** Where CPU and RSS came from: the child's /proc, or the server's /metrics. */
  source: '/proc' | '/metrics';
  cpuSeconds: number;
  /** CPU over wall time, 100 = one core busy. */
  cpuPercent: number;
  cpuSecondsPer1kDeliveries: number | null;
  /**
   * Its threads' time runnable but waiting for a CPU over the window, % of one CPU (schedstat, a
   * local child only): other work on the server's CPU, which delays deliveries without showing as CPU.
   */
  runqueueWaitPercent?: number | null;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  rssPeakBytes: number;
  /** (RSS held - RSS before connecting) / connections, where the scenario holds connections. */
  rssPerConnectionBytes: number | null;
  fdsBefore: number | null;
  fdsAfter: number | null;
  bytesPerDelivery: number | null;
  counters: TransportCounters;
  /** The `--sample-process` process over the same window (e.g. RabbitMQ behind stomp-relay). */
  coProcess?: CoProcessReport;
}

/** CPU and RSS of a process beside the server (read from /proc), per the server's deliveries. */
export interface CoProcessReport {
  name: string;
  pid: number | undefined;
  cpuSeconds: number;
  cpuSecondsPer1kDeliveries: number | null;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (RSS held - RSS before connecting) / connections, where the scenario says so. */
  rssPerConnectionBytes: number | null;
}

/** Polling-only figures. */
export interface PollingReport {
  requests: number;
  emptyPolls: number;
  requestsPerSecond: number;
  requestsPerDelivery: number | null;
  emptyPollRatio: number | null;
  rttMs: Percentiles;
}

/** One transport's run of one scenario. */
export interface TransportResult {
  transport: TransportName;
  status: 'ok' | 'failed' | 'skipped';
  /** Why it failed or was skipped. */
  reason?: string;
  parameters: Record<string, unknown>;
  /** Length of the measured window (s). */
  windowSeconds: number;
  clients: { opened: number; failed: number; connectMs: Percentiles };
  /** Headline accounting: every subscribing role together. */
  accounting: Accounting;
  latencyMs: Percentiles;
  roles: Record<string, RoleReport>;
  errors: Record<string, number>;
  publish: { sent: number; accepted: number; failed: number; skipped: number };
  throughput: { deliveredPerSecond: number; acceptedPerSecond: number };
  polling: PollingReport | null;
  server: ServerReport | null;
  loadGenerator: {
    cpuPercent: number | null;
    maxLoopDelayMs: number;
    saturated: boolean;
    /** CPU µs the load generator spent per event it received (all its threads), null without events. */
    cpuMicrosPerEvent?: number | null;
    /** The kernel's share of that CPU (socket reads, epoll). */
    systemShare?: number | null;
    /** Events per streaming socket read (the generator pays per read), null for polling. */
    eventsPerRead?: number | null;
    /**
     * Its threads' time runnable but waiting for a CPU, % of one CPU over the window (schedstat):
     * high means the host starved it (other work on its CPU), not that it was the ceiling.
     */
    runqueueWaitPercent?: number | null;
  };
  agreement: Agreement | null;
  checks: Check[];
  /** Scenario-specific figures (reconnect times, capacity, soak deltas, ...). */
  extra: Record<string, unknown>;
  timeline: TimelinePoint[];
  /** Top functions of a server CPU profile, when one was taken. */
  profile?: { file: string; top: { fn: string; selfPercent: number }[] };
  /** Several processes (`--broker redis`, `--instances N`): each instance and Redis on its own. */
  cluster?: ClusterReport;
}

/** One process of a multi-instance run over the measured window. */
export interface ProcessReport {
  /** `instance 1`, ... or `redis`. */
  name: string;
  cpuSeconds: number;
  cpuPercent: number;
  /** This process' CPU per 1k deliveries: its own for an instance, all instances' for Redis. */
  cpuSecondsPer1kDeliveries: number | null;
  rssAfterBytes: number;
  /** Deliveries written by this instance (null for Redis). */
  delivered: number | null;
  /** Publishes this instance accepted (null for Redis). */
  published: number | null;
  /** Open connections of the transport at the end of the window (null for Redis). */
  connectionsAtEnd: number | null;
}

/** Instances, Redis and the broker's own histograms (summed over instances) of a multi-instance run. */
export interface ClusterReport {
  instances: ProcessReport[];
  /** Null when Redis' pid is not readable here (or the broker is memory). */
  redis: ProcessReport | null;
  /** `rt_broker_publish_seconds`: the publish script's round trip, ms. */
  brokerPublishMs: { count: number; p50: number | null; p99: number | null; p999: number | null };
  /** `rt_broker_delivery_lag_seconds`: accept on any instance -> arrival from Redis on each instance, ms. */
  deliveryLagMs: { count: number; p50: number | null; p99: number | null; p999: number | null };
}

/** One step of a sweep. */
export interface SweepStep {
  clients: number;
  offeredDeliveriesPerSecond: number;
  deliveredPerSecond: number;
  deliveryRatio: number;
  p99Ms: number | null;
  cpuSecondsPer1kDeliveries: number | null;
  serverCpuPercent: number | null;
  loadGeneratorSaturated: boolean;
  /** The load generator over the step: CPU % of its CPUs, µs per event received, worst event-loop delay (ms). */
  loadGeneratorCpuPercent?: number | null;
  loadGeneratorMicrosPerEvent?: number | null;
  loadGeneratorLoopDelayMs?: number | null;
  /** Its threads' wait for a CPU (% of one CPU): the host's contention, see TransportResult.loadGenerator. */
  loadGeneratorRunqueueWaitPercent?: number | null;
  /** The same for the server (ServerReport.runqueueWaitPercent). */
  serverRunqueueWaitPercent?: number | null;
  ok: boolean;
}

/** A transport's sweep and where it stopped keeping up. */
export interface SweepResult {
  transport: TransportName;
  steps: SweepStep[];
  /** The largest passing step, or null when even the first failed. */
  knee: { clients: number; deliveriesPerSecond: number } | null;
  /** Why the sweep stopped. */
  stoppedBecause: string;
}

/** Median figures of one side (product or floor) of a floor comparison. */
export interface FloorSide {
  /** Median over the runs of server CPU-seconds per 1,000 deliveries. */
  cpuSecondsPer1kDeliveries: number | null;
  p50Ms: number | null;
  p99Ms: number | null;
  deliveryRatio: number | null;
  deliveredPerSecond: number | null;
  /** Each run's CPU-seconds per 1,000 deliveries, in run order. */
  runs: (number | null)[];
}

/** A transport measured against its floor server, runs interleaved (product, floor, product, ...). */
export interface FloorComparison {
  transport: TransportName;
  product: FloorSide;
  floor: FloorSide;
  /** product.cpuSecondsPer1kDeliveries ÷ floor.cpuSecondsPer1kDeliveries (null when either is missing). */
  overheadOverFloor: number | null;
  /** The same ratio per interleaved pair of runs. */
  pairRatios: (number | null)[];
  /** The floor's median run, whole (its accounting, latency, server figures). */
  floorResult: TransportResult;
}

/** Memory per idle connection of one side (product or floor): medians over its runs (bytes). */
export interface MemorySide {
  /** Least-squares slope of RSS against connections, each read after a full GC. */
  rssPerConnectionBytes: number | null;
  /** The same for JS heap used + external. */
  jsPerConnectionBytes: number | null;
  /** The same for RSS without V8's young generation. */
  rssWithoutYoungPerConnectionBytes: number | null;
  /** Each run's RSS slope, in run order. */
  runs: (number | null)[];
}

/** Memory per idle connection, the product against its floor server (capacity `--floor`), runs interleaved. */
export interface MemoryFloorComparison {
  transport: TransportName;
  product: MemorySide;
  floor: MemorySide;
  /** product − floor RSS per connection: what the product holds beyond the minimal server. */
  rssOverFloorBytes: number | null;
  /** product − floor JS heap + external per connection. */
  jsOverFloorBytes: number | null;
}

/** One scenario's report. */
export interface ScenarioReport {
  scenario: string;
  title: string;
  /** Which published experiment it reproduces and how. */
  description: string;
  parameters: Record<string, unknown>;
  startedAt: string;
  finishedAt: string;
  transports: TransportResult[];
  sweep?: { bound: { deliveryRatio: number; p99Ms: number }; results: SweepResult[] };
  /** The hostile scenario: one row per attack. */
  attacks?: AttackRow[];
  /** With `--floor`: each transport against its floor server. */
  floor?: FloorComparison[];
  /** capacity with `--floor`: memory per connection of each transport against its floor server. */
  memoryFloor?: MemoryFloorComparison[];
  notes: string[];
}

/** One attack of the hostile scenario: what it cost the server and the bystanders, and whether it was cut. */
export interface AttackRow {
  attack: string;
  title: string;
  /** The transport the attacker abuses. */
  transport: TransportName;
  seconds: number;
  rssBeforeBytes: number;
  rssPeakBytes: number;
  cpuPercent: number;
  /** null when the attack ran without bystanders. */
  bystanders: { expected: number; delivered: number; gaps: number; duplicates: number; ratio: number | null } | null;
  /** Worst p99 of the stream bystanders (SSE, WebSocket, STOMP). */
  p99Ms: number | null;
  /** Worst p99 of the polling bystanders. */
  pollP99Ms: number | null;
  cut: boolean;
  detail: string;
}

/** The whole run. */
export interface BenchReport {
  tool: string;
  command: string;
  startedAt: string;
  finishedAt: string;
  environment: Environment;
  scenarios: ScenarioReport[];
}
