import type { FastifyInstance } from 'fastify';
import { cursorQuerySchema, groupParamsSchema, publishCommandSchema } from '../src/domain/schemas.js';
import type { PublishCommand } from '../src/domain/events.js';

/** The user of a publish: the body's, else `?user=`, else `anonymous`. */
export function publisherOf(command: PublishCommand, queryUser: string | undefined): string {
  return command.user ?? queryUser ?? 'anonymous';
}

/** Plain HTTP publish (`POST /groups/:group/events`) and the group snapshot. */
export default async function httpApi(app: FastifyInstance): Promise<void> {
  app.post<{ Params: { group: string }; Querystring: { user?: string }; Body: PublishCommand }>(
    '/groups/:group/events',
    { schema: { params: groupParamsSchema, querystring: cursorQuerySchema, body: publishCommandSchema } },
    async (request, reply) => {
      const { group } = request.params;
      const event = await app.hub.publish(group, request.body, publisherOf(request.body, request.query.user), 'http');
      return reply.code(202).send({ seq: event.event.seq });
    },
  );

  app.get<{ Params: { group: string } }>(
    '/groups/:group/snapshot',
    { schema: { params: groupParamsSchema } },
    async (request) => app.hub.snapshot(request.params.group),
  );
}
