import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { longPollQuerySchema, groupParamsSchema } from '../src/domain/schemas.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { EncodedEvent, HistoryRead } from '../src/domain/events.js';
import type { Subscriber, Subscription } from '../src/domain/hub.js';
import type { TransportMetrics } from '../src/metrics.js';
import { HubError } from '../src/domain/errors.js';
import { encodePollBody, nextCursor } from '../src/protocol/poll-codec.js';
import { capEvents, PollBodyCache } from '../src/protocol/poll-cache.js';
import { accountPoll, appLogger, countResponseBytes } from './http-accounting.js';
import { MAX_TIMER_MS } from '../src/timers.js';

/**
 * Waiters of one group woken by the same event: they are owed the same events, so they are answered
 * together, after the linger, with one body built once.
 */
class Batch {
  readonly waiters: Waiter[] = [];
  readonly events: EncodedEvent[];
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined = undefined;

  constructor(
    private readonly batches: Map<EncodedEvent, Batch>,
    private readonly first: EncodedEvent,
    private readonly maxEvents: number,
    lingerMs: number,
  ) {
    this.events = [first];
    // Linger 0 still waits for the end of the turn: events that arrive together (one socket read from
    // Redis, a burst of publishes) go out in one answer.
    this.timer = lingerMs > 0 ? setTimeout(() => this.flush(), Math.min(lingerMs, MAX_TIMER_MS)) : setImmediate(() => this.flush());
  }

  /** A later event for the waiters (each of them is offered it; it is kept once). */
  add(event: EncodedEvent): void {
    if (event.event.seq <= this.events[this.events.length - 1]!.event.seq) return;
    this.events.push(event);
    if (this.events.length >= this.maxEvents) this.flush();
  }

  /** Answers every waiter with the events so far. */
  flush(): void {
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
    this.batches.delete(this.first);
    const body = encodePollBody(this.events, this.events[this.events.length - 1]!.event.seq, false);
    for (const waiter of this.waiters) waiter.answer(this.events, false, false, 'answered', body);
  }
}

/** A long-poll waiting for its group's next event: it answers once, on the first of event, timeout, close. */
class Waiter implements Subscriber {
  readonly transport = 'long-polling' as const;
  subscription: Subscription | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private batch: Batch | undefined = undefined;
  private done = false;

  constructor(
    readonly user: string | undefined,
    private readonly since: number | undefined,
    private readonly reply: FastifyReply,
    private readonly poller: Poller,
    private readonly nextOnly: boolean,
    private readonly onDone: (waiter: Waiter) => void,
  ) {}

  wait(timeoutMs: number): void {
    this.timer = setTimeout(() => this.answer([], false, true, 'timeout'), Math.min(timeoutMs, MAX_TIMER_MS));
    this.subscription!.start();
  }

  deliver(event: EncodedEvent): void {
    if (this.done) return;
    if (this.batch !== undefined) return this.batch.add(event);
    if (this.nextOnly) return this.answer([event], false, false, 'answered', (event.longPoll ??= encodePollBody([event], event.event.seq, false)));
    clearTimeout(this.timer); // owed events now: the linger decides when it answers, not the timeout
    this.timer = undefined;
    this.batch = this.poller.join(this, event);
  }

  /** Answers with what it has (shutdown): no events, the cursor unchanged. */
  release(): void {
    this.answer([], false, false, 'shutdown');
  }

  /** The client went away before an answer. */
  abandon(): void {
    this.finish('client');
  }

  answer(events: readonly EncodedEvent[], truncated: boolean, timedOut: boolean, reason: string, body?: string): void {
    if (this.done) return;
    this.finish(reason);
    accountPoll(this.poller.metrics, events, timedOut);
    if (body === undefined) {
      const head = this.subscription?.head ?? 0;
      const next = events.length > 0 ? nextCursor(events, head) : Math.min(this.since ?? head, head);
      body = encodePollBody(events, next, truncated);
    }
    this.reply.type('application/json; charset=utf-8').send(body);
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.subscription?.close();
    this.poller.metrics.connectionClosed(reason);
    this.onDone(this);
  }
}

/** What waiters share: the transport's metrics and the batches being lingered over. */
class Poller {
  private readonly batches = new Map<EncodedEvent, Batch>();

  constructor(
    readonly metrics: TransportMetrics,
    private readonly maxEvents: number,
    private readonly lingerMs: number,
  ) {}

  /** Puts a woken waiter into the batch of the event that woke it (one per event, so per cursor). */
  join(waiter: Waiter, event: EncodedEvent): Batch {
    let batch = this.batches.get(event);
    if (batch === undefined) {
      batch = new Batch(this.batches, event, this.maxEvents, this.lingerMs);
      if (this.maxEvents > 1) this.batches.set(event, batch);
    }
    batch.waiters.push(waiter);
    if (this.maxEvents <= 1) batch.flush();
    return batch;
  }

  /** Answers every lingering batch now (shutdown). */
  flushAll(): void {
    for (const batch of [...this.batches.values()]) batch.flush();
  }
}

/** Options of one long-poll. */
export interface LongPollOptions {
  group: string;
  since: number | undefined;
  timeoutMs: number;
  user: string | undefined;
  /** Answer with the one event that wakes the poll, at once (the Spring app's long poll). */
  nextOnly?: boolean;
}

/**
 * How long to hold a history answer: until LONGPOLL_BATCH_MS after the first event it owes was accepted
 * (0 when that has passed, the answer is already full or cut, or there is no linger).
 */
export function historyHoldMs(read: HistoryRead, lingerMs: number, maxEvents: number, now: number): number {
  if (lingerMs <= 0 || read.truncated || read.events.length === 0 || read.events.length >= maxEvents) return 0;
  const hold = read.events[0]!.event.at + lingerMs - now;
  return hold > 0 ? Math.min(hold, lingerMs) : 0;
}

/**
 * Long polling as a reusable piece (the compatibility aliases use it too): a cursor with events after
 * it is answered from history at once (no subscription); otherwise the poll waits, and is answered
 * with every event after its cursor (up to POLL_MAX_EVENTS) LONGPOLL_BATCH_MS after the first one,
 * else at the timeout with no events.
 */
export function createLongPoller(app: FastifyInstance) {
  const { maxLongpollsPerGroup, pollMaxEvents, longpollBatchMs } = app.config;
  const poller = new Poller(app.metrics.transport('long-polling'), pollMaxEvents, longpollBatchMs);
  const bodies = new PollBodyCache(pollMaxEvents);
  const waiting = new Set<Waiter>();
  const waitingPerGroup = new Map<string, number>();

  app.addHook('preClose', async () => {
    poller.flushAll();
    for (const waiter of [...waiting]) waiter.release();
  });

  return async function longPoll(request: FastifyRequest, reply: FastifyReply, options: LongPollOptions) {
    const { group, since } = options;
    if (since !== undefined) {
      // A re-ask whose events already exist is a short poll: no slot, no subscription, a shared body.
      let read = await app.hub.read(group, since);
      if (read.events.length > 0 || read.truncated) {
        // Events younger than the linger are held for the rest of it, as a woken waiter's are, so a busy
        // group's re-asks (events that came during the round trip) also carry several events each.
        const holdMs = options.nextOnly ? 0 : historyHoldMs(read, longpollBatchMs, pollMaxEvents, Date.now());
        if (holdMs > 0) {
          await sleep(holdMs);
          read = await app.hub.read(group, since);
        }
        accountPoll(poller.metrics, capEvents(read.events, pollMaxEvents), false);
        return reply.type('application/json; charset=utf-8').send(bodies.body(group, since, read));
      }
    }
    const onGroup = waitingPerGroup.get(group) ?? 0;
    if (onGroup >= maxLongpollsPerGroup) throw new HubError('too_many_connections', `${maxLongpollsPerGroup} long-polls already wait on ${group}`);
    app.connections.acquire(request.ip);
    waitingPerGroup.set(group, onGroup + 1);
    poller.metrics.connectionOpened();
    const waiter = new Waiter(options.user, since, reply, poller, options.nextOnly === true, (w) => {
      waiting.delete(w);
      const left = (waitingPerGroup.get(group) ?? 1) - 1;
      if (left > 0) waitingPerGroup.set(group, left);
      else waitingPerGroup.delete(group);
      app.connections.release(request.ip);
    });
    waiting.add(waiter);
    try {
      waiter.subscription = await app.hub.subscribe(group, waiter, since);
    } catch (err) {
      waiter.abandon();
      throw err;
    }
    const { replay, truncated } = waiter.subscription;
    if (replay.length > 0 || truncated) {
      // Events arrived between the read and the subscribe.
      waiter.answer(capEvents(replay, pollMaxEvents), truncated, false, 'answered');
    } else if (request.raw.destroyed) {
      waiter.abandon();
    } else {
      request.raw.once('close', () => waiter.abandon());
      waiter.wait(options.timeoutMs);
    }
    return reply;
  };
}

/** Long polling: `GET /longpoll/groups/:group?since=N&timeout=MS`. */
export default async function longPolling(app: FastifyInstance): Promise<void> {
  countResponseBytes(app, app.metrics.transport('long-polling'));
  const longPoll = createLongPoller(app);

  app.get<{ Params: { group: string }; Querystring: { since?: number; timeout?: number; user?: string } }>(
    '/longpoll/groups/:group',
    { schema: { params: groupParamsSchema, querystring: longPollQuerySchema }, childLoggerFactory: appLogger },
    async (request, reply) =>
      longPoll(request, reply, {
        group: request.params.group,
        since: request.query.since,
        timeoutMs: request.query.timeout ?? app.config.longpollTimeoutMs,
        user: request.principal?.user ?? request.query.user,
      }),
  );
}
