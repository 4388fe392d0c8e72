import fp from 'fastify-plugin';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { EncodedEvent, PublishSource, TransportName } from './domain/events.js';
import { TRANSPORTS } from './domain/events.js';

type EventType = 'location' | 'chat';
type PollResult = 'events' | 'empty' | 'timeout';

/** Latency buckets (seconds): sub-millisecond loopback up to the long-poll ceiling. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One transport's metric children, bound once so the hot path pays no label lookup per delivery.
 * Label values that are open-ended only in principle (close and drop reasons) are bound on first use.
 */
export class TransportMetrics {
  private readonly deliveredByType: Record<EventType, Counter.Internal>;
  private readonly latency: Histogram.Internal<string>;
  private readonly bytes: Counter.Internal;
  private readonly connections: Gauge.Internal<string>;
  private readonly opened: Counter.Internal;
  private readonly polls: Record<PollResult, Counter.Internal>;
  private readonly closedByReason = new Map<string, Counter.Internal>();
  private readonly droppedByReason = new Map<string, Counter.Internal>();

  constructor(
    readonly transport: TransportName,
    private readonly set: MetricSet,
  ) {
    const t = transport;
    this.deliveredByType = { location: set.delivered.labels(t, 'location'), chat: set.delivered.labels(t, 'chat') };
    this.latency = set.latency.labels(t);
    this.bytes = set.bytes.labels(t);
    this.connections = set.connections.labels(t);
    this.opened = set.opened.labels(t);
    this.polls = { events: set.polls.labels(t, 'events'), empty: set.polls.labels(t, 'empty'), timeout: set.polls.labels(t, 'timeout') };
  }

  /** One event handed to a socket: counts it and observes accept -> written latency. */
  delivered(event: EncodedEvent, now: number): void {
    this.deliveredByType[event.event.type].inc();
    this.latency.observe((now - event.event.at) / 1000);
  }

  /** Wire bytes handed to a socket (framing and headers included). */
  sent(bytes: number): void {
    this.bytes.inc(bytes);
  }

  /** A stream or waiting long-poll opened. */
  connectionOpened(): void {
    this.opened.inc();
    this.connections.inc();
  }

  /** A stream or waiting long-poll closed, with why (`client`, `server`, `slow_consumer`, `dead_peer`, `shutdown`, `error`, `answered`). */
  connectionClosed(reason: string): void {
    this.connections.dec();
    let child = this.closedByReason.get(reason);
    if (!child) this.closedByReason.set(reason, (child = this.set.closed.labels(this.transport, reason)));
    child.inc();
  }

  /** A poll answered, with its result. */
  poll(result: PollResult): void {
    this.polls[result].inc();
  }

  /** Events not delivered to a consumer (e.g. `slow_consumer`): counted per event lost to that consumer. */
  dropped(reason: string, count = 1): void {
    let child = this.droppedByReason.get(reason);
    if (!child) this.droppedByReason.set(reason, (child = this.set.dropped.labels(this.transport, reason)));
    child.inc(count);
  }
}

/** The registered metric families (DESIGN.md section 6). */
function createMetricSet(registry: Registry) {
  const registers = [registry];
  return {
    connections: new Gauge({ name: 'rt_connections', help: 'Open streams and waiting long-polls', labelNames: ['transport'], registers }),
    opened: new Counter({ name: 'rt_connections_opened_total', help: 'Streams and long-polls opened', labelNames: ['transport'], registers }),
    closed: new Counter({ name: 'rt_connections_closed_total', help: 'Streams and long-polls closed, by reason', labelNames: ['transport', 'reason'], registers }),
    published: new Counter({ name: 'rt_events_published_total', help: 'Events accepted, by the transport that published them', labelNames: ['transport', 'type'], registers }),
    delivered: new Counter({ name: 'rt_events_delivered_total', help: 'Events handed to a socket', labelNames: ['transport', 'type'], registers }),
    latency: new Histogram({ name: 'rt_delivery_latency_seconds', help: 'Server accept to written to the socket', labelNames: ['transport'], buckets: LATENCY_BUCKETS, registers }),
    bytes: new Counter({ name: 'rt_bytes_sent_total', help: 'Wire bytes written (framing and headers included where the process sees them)', labelNames: ['transport'], registers }),
    polls: new Counter({ name: 'rt_poll_requests_total', help: 'Poll requests answered, by result', labelNames: ['transport', 'result'], registers }),
    dropped: new Counter({ name: 'rt_dropped_events_total', help: 'Events not delivered, by reason', labelNames: ['transport', 'reason'], registers }),
    brokerPublish: new Histogram({ name: 'rt_broker_publish_seconds', help: 'Broker publish duration', labelNames: ['broker'], buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1], registers }),
    brokerErrors: new Counter({ name: 'rt_broker_errors_total', help: 'Broker operations that failed', labelNames: ['broker'], registers }),
    brokerLag: new Histogram({ name: 'rt_broker_delivery_lag_seconds', help: 'Server accept (on any instance) to arrival from the broker here', labelNames: ['broker'], buckets: LATENCY_BUCKETS, registers }),
  };
}
type MetricSet = ReturnType<typeof createMetricSet>;

/** The process's metrics: one registry, bound children per transport. */
export class Metrics {
  readonly registry = new Registry();
  private readonly set = createMetricSet(this.registry);
  private readonly byTransport = new Map<TransportName, TransportMetrics>();
  private readonly publishedBySource = new Map<string, Counter.Internal>();

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
    if (!child) this.publishedBySource.set(key, (child = this.set.published.labels(source, event.event.type)));
    child.inc();
  }

  /** The cross-instance delivery lag histogram of one broker, bound once: call it with seconds. */
  brokerDeliveryLag(broker: string): (seconds: number) => void {
    const child = this.set.brokerLag.labels(broker);
    return (seconds) => child.observe(seconds);
  }

  /** Times a broker call and counts its failure. */
  brokerCall<T>(broker: string, call: Promise<T>, timed: boolean): Promise<T> {
    const end = timed ? this.set.brokerPublish.labels(broker).startTimer() : undefined;
    return call.then(
      (value) => {
        end?.();
        return value;
      },
      (err: unknown) => {
        this.set.brokerErrors.labels(broker).inc();
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
