import type { FastifyInstance } from 'fastify';
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

  app.get<{ Params: { group: string }; Querystring: { since?: number } }>(
    '/poll/groups/:group',
    { schema: { params: groupParamsSchema, querystring: cursorQuerySchema }, childLoggerFactory: appLogger },
    async (request, reply) => {
      const { group } = request.params;
      const since = request.query.since;
      const history = await app.hub.read(group, since);
      // A pipelining socket cut while this read ran (too many answers queued): build nothing for it.
      if (request.raw.socket?.destroyed) return reply.hijack();
      accountPoll(metrics, capEvents(history.events, maxEvents), false);
      return reply.type('application/json; charset=utf-8').send(bodies.body(group, since, history));
    },
  );
}
