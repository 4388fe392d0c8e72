import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HistoryRead } from '../src/domain/events.js';
import { cursorQuerySchema, groupParamsSchema } from '../src/domain/schemas.js';
import { capEvents, PollBodyCache } from '../src/protocol/poll-cache.js';
import { accountPoll, appLogger, countResponseBytes } from './http-accounting.js';

/**
 * Short polling: `GET /poll/groups/:group?since=N` answers at once with the events after N (at most
 * POLL_MAX_EVENTS; `next` says where to resume). Stateless, so any instance can answer any cursor.
 * Kept close to a bare Fastify handler: answers are built once per group head and cursor and shared.
 */
export default async function shortPolling(app: FastifyInstance): Promise<void> {
  const metrics = app.metrics.transport('short-polling');
  countResponseBytes(app, metrics);
  const maxEvents = app.config.pollMaxEvents;
  const bodies = new PollBodyCache(maxEvents);

  const answer = (request: FastifyRequest, reply: FastifyReply, group: string, since: number | undefined, history: HistoryRead) => {
    // A pipelining socket cut while this read ran (too many answers queued): build nothing for it.
    if (request.raw.socket?.destroyed) return reply.hijack();
    accountPoll(metrics, capEvents(history.events, maxEvents), false);
    return reply.type('application/json; charset=utf-8').send(bodies.body(group, since, history));
  };

  // Not an async handler: with the memory broker the answer is built at once, without a promise.
  app.get<{ Params: { group: string }; Querystring: { since?: number } }>(
    '/poll/groups/:group',
    { schema: { params: groupParamsSchema, querystring: cursorQuerySchema }, childLoggerFactory: appLogger },
    (request, reply) => {
      const { group } = request.params;
      const since = request.query.since;
      const now = app.hub.readNow(group, since);
      if (now !== undefined) return answer(request, reply, group, since, now);
      return app.hub.read(group, since).then((history) => answer(request, reply, group, since, history));
    },
  );
}
