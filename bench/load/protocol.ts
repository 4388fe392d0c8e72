/**
 * Messages between the bench's main thread and its load workers. Everything here crosses
 * `postMessage`, so it is plain data: histograms travel in their sparse wire form.
 */
import type { Tally } from '../accounting.js';
import type { HistogramData } from '../histogram.js';
import type { ClientSpec } from '../clients/types.js';
import type { Target } from '../clients/http-conn.js';

/** What a worker is started with. */
export interface WorkerInit {
  index: number;
  /** STOMP heart-beat the clients offer (ms). */
  stompHeartbeatMs: number;
  /** Keep-alive connections per worker for HTTP publishes and head reads. */
  poolSize: number;
  /** Source addresses for the shared pool. */
  addresses: string[];
}

/** What publishers send. */
export interface PublishPlan {
  /** Roles that publish (their clients join the wheel). */
  roles: string[];
  intervalMs: number;
  /** Stop at this time (shared clock, ms). */
  untilMs: number;
  kind: 'chat' | 'location';
  /** Chat text length in characters. */
  textLength: number;
}

/** Commands a worker executes; each gets one reply. */
export type Command =
  | { op: 'begin'; target: Target }
  | { op: 'open'; specs: ClientSpec[]; concurrency: number }
  | { op: 'window-start' }
  | { op: 'latency-reset' }
  | { op: 'publish'; plan: PublishPlan }
  | { op: 'stop-publishing' }
  | { op: 'drop-reconnect'; roles: string[]; attempts: number }
  | { op: 'pause'; roles: string[] }
  | { op: 'resume'; roles: string[]; reopen: boolean }
  | { op: 'leave'; count: number; role: string; waitMs: number }
  | { op: 'cycle'; specs: ClientSpec[]; untilMs: number; holdMinMs: number; holdMaxMs: number; waitMs: number }
  | { op: 'progress'; heads: Record<string, number> }
  | { op: 'finish'; heads: Record<string, number> };

/** Reply to `open`. */
export interface OpenReply {
  opened: number;
  failed: number;
}

/** Reply to `progress`: owed and delivered so far (for the drain wait). */
export interface ProgressReply {
  expected: number;
  delivered: number;
  received: number;
  connected: number;
}

/** Reply to `drop-reconnect`. */
export interface ReconnectReply {
  dropped: number;
  back: number;
  failed: number;
  /** ms from the drop to each client being subscribed again. */
  backMs: HistogramData;
}

/** Results of one role (subscribers, slow consumers, ...). */
export interface RoleResult {
  tally: Tally;
  /** End-to-end latency of first deliveries (now - sentAt). */
  latency: HistogramData;
  /** ms from starting to connect to subscribed. */
  connect: HistogramData;
  /** Clients of this role that opened / failed to open (cycles count each open). */
  opened: number;
  failed: number;
}

/** Reply to `finish`: everything the worker accounted in the phase. */
export interface WorkerResult {
  roles: Record<string, RoleResult>;
  errors: Record<string, number>;
  publish: { sent: number; accepted: number; failed: number; skipped: number };
  polls: { requests: number; empty: number; rtt: HistogramData };
  cycles: number;
  /** Events parsed after their client was booked (still counted by the server as delivered). */
  lateEvents: number;
  /** Clients still registered when the phase finished (booked at the given heads). */
  openAtFinish: number;
}

/** Sent by each worker once a second. */
export interface Tick {
  type: 'tick';
  worker: number;
  sent: number;
  accepted: number;
  received: number;
  polls: number;
  errors: number;
  connected: number;
  latency: HistogramData;
  /** Event-loop delay p99 of the worker over the second (ms): a busy load generator shows here. */
  loopDelayMs: number;
  /** Streaming socket reads handled over the second (events / reads = how many events a read carried). */
  reads: number;
}

/** Worker -> main messages. */
export type WorkerMessage = Tick | { type: 'reply'; id: number; result?: unknown; error?: string };
