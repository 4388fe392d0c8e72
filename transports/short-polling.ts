import type { FastifyInstance } from 'fastify';
import { cursorQuerySchema, groupParamsSchema } from '../src/domain/schemas.js';
import { encodePollBody, nextCursor } from '../src/protocol/poll-codec.js';
import { accountPoll, countResponseBytes } from './http-accounting.js';

/**
 * Short polling: `GET /poll/groups/:group?since=N` answers at once with the events after N.
 * Stateless, so any instance can answer any cursor.
 */
export default async function shortPolling(app: FastifyInstance): Promise<void> {
  const metrics = app.metrics.transport('short-polling');
  countResponseBytes(app, metrics);

  app.get<{ Params: { group: string }; Querystring: { since?: number } }>(
    '/poll/groups/:group',
    { schema: { params: groupParamsSchema, querystring: cursorQuerySchema } },
    async (request, reply) => {
      const history = await app.hub.read(request.params.group, request.query.since);
      accountPoll(metrics, history.events, false);
      const body = encodePollBody(history.events, nextCursor(history.events, history.head), history.truncated);
      return reply.type('application/json; charset=utf-8').send(body);
    },
  );
}
