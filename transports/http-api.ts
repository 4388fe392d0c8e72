import type { FastifyInstance } from 'fastify';
import { cursorQuerySchema, groupParamsSchema, publishCommandSchema } from '../src/domain/schemas.js';
import type { PublishCommand } from '../src/domain/events.js';
import { publisherOf } from '../src/auth-plugin.js';
import { checkHttpPublishRate } from './http-accounting.js';

/** Plain HTTP publish (`POST /groups/:group/events`) and the group snapshot. */
export default async function httpApi(app: FastifyInstance): Promise<void> {
  app.post<{ Params: { group: string }; Querystring: { user?: string }; Body: PublishCommand }>(
    '/groups/:group/events',
    { schema: { params: groupParamsSchema, querystring: cursorQuerySchema, body: publishCommandSchema } },
    async (request, reply) => {
      const { group } = request.params;
      const user = publisherOf(request.principal, request.body.user, request.query.user);
      checkHttpPublishRate(app, request, user);
      const event = await app.hub.publish(group, request.body, user, 'http');
      return reply.code(202).send({ seq: event.event.seq });
    },
  );

  app.get<{ Params: { group: string } }>(
    '/groups/:group/snapshot',
    { schema: { params: groupParamsSchema } },
    async (request) => app.hub.snapshot(request.params.group),
  );
}
