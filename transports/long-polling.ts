import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { longPollQuerySchema, groupParamsSchema } from '../src/domain/schemas.js';
import type { EncodedEvent } from '../src/domain/events.js';
import type { Subscriber, Subscription } from '../src/domain/hub.js';
import type { TransportMetrics } from '../src/metrics.js';
import { HubError } from '../src/domain/errors.js';
import { encodePollBody, nextCursor } from '../src/protocol/poll-codec.js';
import { accountPoll, countResponseBytes } from './http-accounting.js';

/** A long-poll waiting for its group's next event: it answers once, on the first of event, timeout, close. */
class Waiter implements Subscriber {
  readonly transport = 'long-polling' as const;
  subscription: Subscription | undefined = undefined;
  private timer: NodeJS.Timeout | undefined = undefined;
  private done = false;

  constructor(
    readonly user: string | undefined,
    private readonly since: number | undefined,
    private readonly reply: FastifyReply,
    private readonly metrics: TransportMetrics,
    private readonly onDone: (waiter: Waiter) => void,
  ) {}

  wait(timeoutMs: number): void {
    this.timer = setTimeout(() => this.answer([], false, true, 'timeout'), timeoutMs);
    this.subscription!.start();
  }

  deliver(event: EncodedEvent): void {
    this.answer([event], false, false, 'answered', (event.longPoll ??= encodePollBody([event], event.event.seq, false)));
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
    accountPoll(this.metrics, events, timedOut);
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
    this.metrics.connectionClosed(reason);
    this.onDone(this);
  }
}

/** Options of one long-poll. */
export interface LongPollOptions {
  group: string;
  since: number | undefined;
  timeoutMs: number;
  user: string | undefined;
}

/**
 * Long polling as a reusable piece (the compatibility aliases use it too): answers as soon as any
 * event after `since` exists, else at the timeout with no events.
 */
export function createLongPoller(app: FastifyInstance) {
  const metrics = app.metrics.transport('long-polling');
  const waiting = new Set<Waiter>();

  app.addHook('preClose', async () => {
    for (const waiter of [...waiting]) waiter.release();
  });

  const waitingPerGroup = new Map<string, number>();
  const { maxLongpollsPerGroup } = app.config;

  return async function longPoll(request: FastifyRequest, reply: FastifyReply, options: LongPollOptions) {
    const onGroup = waitingPerGroup.get(options.group) ?? 0;
    if (onGroup >= maxLongpollsPerGroup) throw new HubError('too_many_connections', `${maxLongpollsPerGroup} long-polls already wait on ${options.group}`);
    app.connections.acquire(request.ip);
    waitingPerGroup.set(options.group, onGroup + 1);
    metrics.connectionOpened();
    const waiter = new Waiter(options.user, options.since, reply, metrics, (w) => {
      waiting.delete(w);
      const left = (waitingPerGroup.get(options.group) ?? 1) - 1;
      if (left > 0) waitingPerGroup.set(options.group, left);
      else waitingPerGroup.delete(options.group);
      app.connections.release(request.ip);
    });
    waiting.add(waiter);
    try {
      waiter.subscription = await app.hub.subscribe(options.group, waiter, options.since);
    } catch (err) {
      waiter.abandon();
      throw err;
    }
    const { replay, truncated } = waiter.subscription;
    if (replay.length > 0 || truncated) {
      waiter.answer(replay, truncated, false, 'answered');
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
    { schema: { params: groupParamsSchema, querystring: longPollQuerySchema } },
    async (request, reply) =>
      longPoll(request, reply, {
        group: request.params.group,
        since: request.query.since,
        timeoutMs: request.query.timeout ?? app.config.longpollTimeoutMs,
        user: request.principal?.user ?? request.query.user,
      }),
  );
}
