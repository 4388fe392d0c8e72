import fp from 'fastify-plugin';
import { Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { CounterChild, FastCounter, FastHistogram, type HistogramChild } from './fast-metrics.js';
import type { FastifyInstance } from 'fastify';
import type { EncodedEvent, PublishSource, TransportName } from './domain/events.js';
import { TRANSPORTS } from './domain/events.js';

type EventType = 'location' | 'chat';
type PollResult = 'events' | 'empty' | 'timeout';

/** Transports that answer polls: only they get `rt_poll_requests_total` rows up front. */
const POLLING: ReadonlySet<TransportName> = new Set(['short-polling', 'long-polling']);
/** Transports that keep a stream a slow consumer can be cut from: `rt_dropped_events_total{reason="slow_consumer"}` starts at 0. */
const STREAMING: ReadonlySet<TransportName> = new Set(['sse', 'websocket', 'stomp']);

/** Latency buckets (seconds): sub-millisecond loopback up to the long-poll ceiling. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/**
 * Cross-instance lag buckets (seconds): ms steps up to 5 ms and 6 / 7.5 ms past it, so a p99 near the
 * 5 ms target is read from buckets rather than interpolated across 5-10 ms (which put it up to ~1 ms
 * high against the exact figure in docs/redis.md's measurements).
 */
const BROKER_LAG_BUCKETS = [0.0005, 0.001, 0.0015, 0.002, 0.0025, 0.003, 0.004, 0.005, 0.006, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One transport's metric children, bound once so the hot path pays no label lookup per delivery:
 * a delivery is two field increments and a bucket scan. Close and drop reasons are bound on first use.
 */
export class TransportMetrics {
  private readonly deliveredByType: Record<EventType, CounterChild>;
  private readonly latency: HistogramChild;
  private readonly bytes: CounterChild;
  private readonly connections: Gauge.Internal<string>;
  private readonly opened: CounterChild;
  private polls: Record<PollResult, CounterChild> | undefined;
  private readonly closedByReason = new Map<string, CounterChild>();
  private readonly droppedByReason = new Map<string, CounterChild>();
  /** Deliveries of one event at one clock reading (a fan-out), counted as one batch. */
  private batchEvent: EncodedEvent | undefined = undefined;
  private batchAt = 0;
  private batchCount = 0;

  constructor(
    readonly transport: TransportName,
    private readonly set: MetricSet,
  ) {
    const t = transport;
    this.deliveredByType = { location: set.delivered.child(t, 'location'), chat: set.delivered.child(t, 'chat') };
    this.latency = set.latency.child(t);
    this.bytes = set.bytes.child(t);
    this.connections = set.connections.labels(t);
    this.opened = set.opened.child(t);
    // Rows a transport can never move would only export zeros: poll rows exist for the polling
    // transports, and a streaming transport's slow_consumer drop row exists from the start so that a
    // rate over it reads 0, not "no data", until the first cut.
    if (POLLING.has(t)) this.polls = this.bindPolls();
    if (STREAMING.has(t)) this.droppedByReason.set('slow_consumer', set.dropped.child(t, 'slow_consumer'));
    set.delivered.beforeCollect(() => this.settle());
    set.latency.beforeCollect(() => this.settle());
  }

  private bindPolls(): Record<PollResult, CounterChild> {
    const t = this.transport;
    return { events: this.set.polls.child(t, 'events'), empty: this.set.polls.child(t, 'empty'), timeout: this.set.polls.child(t, 'timeout') };
  }

  /**
   * One event handed to a socket at `now`: counts it and observes accept -> written latency.
   * Consecutive deliveries of the same event at the same `now` (a fan-out) are added up and
   * recorded once, when another event comes or at the next scrape.
   */
  delivered(event: EncodedEvent, now: number): void {
    if (event === this.batchEvent && now === this.batchAt) {
      this.batchCount++;
      return;
    }
    this.settle();
    this.batchEvent = event;
    this.batchAt = now;
    this.batchCount = 1;
  }

  /** Records the pending batch of deliveries. */
  private settle(): void {
    const event = this.batchEvent;
    if (!event) return;
    this.deliveredByType[event.event.type].value += this.batchCount;
    this.latency.observeMany((this.batchAt - event.event.at) / 1000, this.batchCount);
    this.batchEvent = undefined;
    this.batchCount = 0;
  }

  /** Wire bytes handed to a socket (framing and headers included). */
  sent(bytes: number): void {
    this.bytes.value += bytes;
  }

  /** A stream or waiting long-poll opened. */
  connectionOpened(): void {
    this.opened.value++;
    this.connections.inc();
  }

  /** A stream or waiting long-poll closed, with why (`client`, `slow_consumer`, `dead_peer`, `shutdown`, `expired`, `error`, `answered`, `timeout`). */
  connectionClosed(reason: string): void {
    this.connections.dec();
    let child = this.closedByReason.get(reason);
    if (!child) this.closedByReason.set(reason, (child = this.set.closed.child(this.transport, reason)));
    child.value++;
  }

  /** A poll answered, with its result. */
  poll(result: PollResult): void {
    (this.polls ??= this.bindPolls())[result].value++;
  }

  /**
   * Events not delivered to a consumer because it was cut (e.g. `slow_consumer`): the event that found
   * its buffer full, so one per cut. What it missed after that is not lost: it resumes by cursor.
   */
  dropped(reason: string, count = 1): void {
    let child = this.droppedByReason.get(reason);
    if (!child) this.droppedByReason.set(reason, (child = this.set.dropped.child(this.transport, reason)));
    child.value += count;
  }
}

/** The registered metric families (docs/observability.md). */
function createMetricSet(registry: Registry) {
  const counter = (name: string, help: string, labels: string[]) => new FastCounter(name, help, labels, registry);
  return {
    connections: new Gauge({ name: 'rt_connections', help: 'Open streams and waiting long-polls', labelNames: ['transport'], registers: [registry] }),
    opened: counter('rt_connections_opened_total', 'Streams and long-polls opened', ['transport']),
    closed: counter('rt_connections_closed_total', 'Streams and long-polls closed, by reason', ['transport', 'reason']),
    published: counter('rt_events_published_total', 'Events accepted, by the transport that published them', ['transport', 'type']),
    delivered: counter('rt_events_delivered_total', 'Events handed to a socket', ['transport', 'type']),
    latency: new FastHistogram('rt_delivery_latency_seconds', 'Server accept to written to the socket', ['transport'], LATENCY_BUCKETS, registry),
    bytes: counter('rt_bytes_sent_total', 'Wire bytes written (framing and headers included where the process sees them)', ['transport']),
    polls: counter('rt_poll_requests_total', 'Poll requests answered, by result', ['transport', 'result']),
    dropped: counter('rt_dropped_events_total', 'Events not delivered, by reason', ['transport', 'reason']),
    brokerPublish: new FastHistogram('rt_broker_publish_seconds', 'Broker publish duration', ['broker'], [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registry),
    brokerErrors: counter('rt_broker_errors_total', 'Broker operations that failed', ['broker']),
    httpSocketsClosed: counter('rt_http_sockets_closed_total', 'TCP sockets the server refused or closed for a limit, by reason', ['reason']),
    brokerLag: new FastHistogram('rt_broker_delivery_lag_seconds', 'Server accept (on any instance) to arrival from the broker here; accept taken as the middle of the event\'s whole-ms at, so within 0.5 ms of the true lag', ['broker'], BROKER_LAG_BUCKETS, registry),
  };
}
type MetricSet = ReturnType<typeof createMetricSet>;

/** The process's metrics: one registry, bound children per transport. */
export class Metrics {
  readonly registry = new Registry();
  private readonly set = createMetricSet(this.registry);
  private readonly byTransport = new Map<TransportName, TransportMetrics>();
  private readonly publishedBySource = new Map<string, CounterChild>();

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    for (const t of TRANSPORTS) this.byTransport.set(t, new TransportMetrics(t, this.set));
  }

  /** The bound children of one transport. */
  transport(name: TransportName): TransportMetrics {
    return this.byTransport.get(name)!;
  }

  /** An event accepted from `source`. */
  published(event: EncodedEvent, source: PublishSource): void {
    const key = `${source}:${event.event.type}`;
    let child = this.publishedBySource.get(key);
    if (!child) this.publishedBySource.set(key, (child = this.set.published.child(source, event.event.type)));
    child.value++;
  }

  /** A TCP socket refused or closed by a limit (`too_many_connections`, `pipeline_limit`, `slow_consumer`, `request_timeout`). */
  httpSocketClosed(reason: string): void {
    this.set.httpSocketsClosed.child(reason).inc();
  }

  /** Reports the open TCP sockets (every kind: idle, reading, streaming, upgraded) as `rt_http_sockets`, read at scrape. */
  watchHttpSockets(count: () => number): void {
    new Gauge({ name: 'rt_http_sockets', help: 'Open TCP sockets counted against MAX_CONNECTIONS', registers: [this.registry], collect() { this.set(count()); } });
  }

  /**
   * `rt_groups{scope}`: groups this process holds, read at scrape time against MAX_GROUPS. `subscribed`
   * counts the Hub's groups with subscribers here; `held`, when the broker keeps groups in process, all of them.
   */
  watchGroups(read: () => Record<string, number>): void {
    new Gauge({
      name: 'rt_groups',
      help: 'Groups held in this process (against MAX_GROUPS), by scope',
      labelNames: ['scope'],
      registers: [this.registry],
      collect() {
        for (const [scope, value] of Object.entries(read())) this.set({ scope }, value);
      },
    });
  }

  /** The cross-instance delivery lag histogram of one broker, bound once: call it with seconds. */
  brokerDeliveryLag(broker: string): (seconds: number) => void {
    const child = this.set.brokerLag.child(broker);
    return (seconds) => child.observe(seconds);
  }

  /** Times a broker call and counts its failure (both children exist, at zero, from the first call). */
  brokerCall<T>(broker: string, call: Promise<T>, timed: boolean): Promise<T> {
    const started = timed ? performance.now() : 0;
    const errors = this.set.brokerErrors.child(broker);
    return call.then(
      (value) => {
        if (timed) this.set.brokerPublish.child(broker).observe((performance.now() - started) / 1000);
        return value;
      },
      (err: unknown) => {
        errors.inc();
        throw err;
      },
    );
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Prometheus metrics, bound per transport. */
    metrics: Metrics;
  }
}

/** Decorates `app.metrics` and serves `GET /metrics` in the Prometheus text format. */
export const metricsPlugin = fp(
  async (app: FastifyInstance, options: { metrics: Metrics }) => {
    app.decorate('metrics', options.metrics);
    app.get('/metrics', { config: { public: true } }, async (_request, reply) => {
      reply.header('content-type', options.metrics.registry.contentType);
      return options.metrics.registry.metrics();
    });
  },
  { name: 'realtime-arena-metrics', fastify: '5.x' },
);
