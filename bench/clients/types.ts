import type { TransportName } from '../../src/domain/events.js';
import { SeqTracker } from '../accounting.js';
import { readNext } from '../fastread.js';
import type { HttpPool, Target } from './http-conn.js';

/** What one simulated user is: its transport, group and role in the scenario. */
export interface ClientSpec {
  /** Unique within a phase. */
  id: number;
  transport: TransportName;
  group: string;
  user: string;
  /** Accounting bucket (`subscriber`, `slow`, ...): results are reported per role. */
  role: string;
  /** Source address (127.0.0.x) so connections spread over more ephemeral-port space. */
  localAddress: string;
  /** Cursor to subscribe after; undefined = the group's head at subscribe time. */
  since?: number;
  /** Short polling: ms between a response and the next request (0 = back to back). */
  pollIntervalMs?: number;
  /** Long polling: the `timeout` asked of the server (ms). */
  longPollTimeoutMs?: number;
  /** Polling: connect and take the baseline, but start asking only at `resume()` (closed-loop runs). */
  startPaused?: boolean;
  /** Publishes over HTTP and subscribes to nothing (background publishers). */
  publishOnly?: boolean;
}

/** What a client needs from its worker. */
export interface ClientContext {
  readonly target: Target;
  /** `ws://host:port` */
  readonly wsBase: string;
  /** Shared keep-alive connections for HTTP publishes and head reads. */
  readonly pool: HttpPool;
  /** STOMP heart-beat the clients offer and keep (ms, 0 = none). */
  readonly stompHeartbeatMs: number;
  /** A clock shared by every thread (ms since epoch, sub-ms resolution). */
  now(): number;
  /** One event arrived (the hot path). */
  onEvent(client: BenchClient, seq: number, sentAt: number): void;
  /** Something failed or the server signalled a problem; `code` is the server's code or a socket error. */
  onError(client: BenchClient, code: string): void;
  /** A poll answered: events in it, and the request's round trip (ms). */
  onPoll(client: BenchClient, events: number, rttMs: number): void;
}

/** A transport client as the worker drives it. */
export interface BenchClient {
  readonly spec: ClientSpec;
  /** Created at the first subscribe, when the baseline is known; kept across reconnects. */
  tracker: SeqTracker | undefined;
  /** ms from the first `open()` call to subscribed (NaN until then). */
  connectMs: number;
  /** Whether the client is connected and subscribed. */
  readonly connected: boolean;
  /** Connects and subscribes; a reconnect resumes after the highest seq received. */
  open(): Promise<void>;
  /** Publishes one command (JSON text); resolves with the accepted seq. */
  publish(command: string): Promise<number>;
  /** Drops the connection without a goodbye, as a network failure would. */
  drop(): void;
  /** Stops reading from the socket. */
  pause(): void;
  /** Reads again. */
  resume(): void;
  /** Closes politely. */
  close(): void;
  /** Periodic chores (STOMP heart-beats). */
  heartbeat?(now: number): void;
}

/** Shared plumbing: baseline, the event sink, head reads and HTTP publishing. */
export abstract class BaseClient implements BenchClient {
  tracker: SeqTracker | undefined = undefined;
  connectMs = NaN;
  protected isOpen = false;
  /** True once `close()` or `drop()` was called: a later socket close is ours, not an error. */
  protected closing = false;
  /** Calls the context per event without allocating per call. */
  protected readonly sink: (seq: number, sentAt: number) => void;

  constructor(
    readonly spec: ClientSpec,
    protected readonly ctx: ClientContext,
  ) {
    this.sink = (seq, sentAt) => ctx.onEvent(this, seq, sentAt);
  }

  get connected(): boolean {
    return this.isOpen;
  }

  abstract open(): Promise<void>;
  abstract drop(): void;
  abstract pause(): void;
  abstract resume(): void;
  abstract close(): void;

  /** The cursor to subscribe with: resume point, the spec's, or undefined (= head). */
  protected cursor(): number | undefined {
    return this.tracker ? this.tracker.maxSeen : this.spec.since;
  }

  /** Records the baseline once (at the first subscribe) and the connect time. */
  protected subscribed(head: number, started: number): void {
    this.tracker ??= new SeqTracker(this.spec.since ?? head);
    if (Number.isNaN(this.connectMs)) this.connectMs = this.ctx.now() - started;
    this.isOpen = true;
  }

  /** The group's head, read with a short poll that carries no cursor (answers at once, no events). */
  protected async readHead(): Promise<number> {
    const res = await this.ctx.pool.request('GET', `/poll/groups/${this.spec.group}`);
    const head = readNext(res.body);
    if (res.status !== 200 || head < 0) throw new Error(`head_${res.status}`);
    return head;
  }

  /** HTTP publish (SSE and polling clients). */
  async publish(command: string): Promise<number> {
    const res = await this.ctx.pool.request('POST', `/groups/${this.spec.group}/events?user=${this.spec.user}`, command);
    if (res.status !== 202) throw new Error(errorCode(res.body, res.status));
    const seq = Number(/"seq":(\d+)/.exec(res.body.toString('latin1'))?.[1]);
    if (!Number.isFinite(seq)) throw new Error('bad_ack');
    return seq;
  }
}

/** The `error.code` of an HTTP error body, else `http_<status>`. */
export function errorCode(body: Buffer, status: number): string {
  const match = /"code":"([a-z_]+)"/.exec(body.toString('latin1', 0, 512));
  return match ? match[1]! : `http_${status}`;
}
