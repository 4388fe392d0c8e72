import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { cursorParamSchema, groupParamsSchema } from '../src/domain/schemas.js';
import { HubError } from '../src/domain/errors.js';
import type { PublishCommand } from '../src/domain/events.js';
import { parsePublishCommand, validatePublishCommand } from '../src/domain/validate.js';
import { createLongPoller } from './long-polling.js';
import { createSseStreamer } from './sse.js';
import { registerStompEndpoint } from './stomp/index.js';
import { publisherOf } from '../src/auth-plugin.js';
import { checkHttpPublishRate, countResponseBytes } from './http-accounting.js';
import type { StompDestinations } from './stomp/session.js';

/** The group the Spring app's SSE endpoints used. */
const SPRING_SSE_GROUP = 'default';
/** The Spring app's long-poll wait. */
const SPRING_LONGPOLL_MS = 10_000;
/** A servlet container's default async timeout: the Spring emitter completed by then at the latest. */
const SPRING_SSE_MS = 30_000;

/** The Spring app's STOMP destinations: `/sub/location/<id>` and `/pub/share/<id>` with `{"content"}`. */
const springDestinations: StompDestinations = {
  subscribeGroup: (d) => (d.startsWith('/sub/location/') ? d.slice('/sub/location/'.length) : undefined),
  sendGroup: (d) => (d.startsWith('/pub/share/') ? d.slice('/pub/share/'.length) : undefined),
  parseSend: (body) => {
    const content = contentOf(body);
    return content === undefined ? parsePublishCommand(body) : validatePublishCommand({ type: 'chat', text: content });
  },
};

function contentOf(body: string): string | undefined {
  try {
    const value = JSON.parse(body) as { content?: unknown };
    return typeof value?.content === 'string' ? value.content : undefined;
  } catch {
    return undefined;
  }
}

/** The Spring app generated a random position when notify came without a body. */
function randomLocation(): PublishCommand {
  return { type: 'location', lat: Math.random() * 180 - 90, lng: Math.random() * 360 - 180, user: 'anonymous' };
}

/** A notify/share body: none -> a random location; `{"content"}` -> chat; else a publish command. */
function commandFrom(body: unknown): PublishCommand {
  if (body === undefined || body === null || body === '') return randomLocation();
  if (typeof body === 'object' && typeof (body as { content?: unknown }).content === 'string') {
    return validatePublishCommand({ type: 'chat', text: (body as { content: string }).content });
  }
  return validatePublishCommand(body);
}

/**
 * Aliases for the published Spring "real-time location sharing comparison" app, so its k6 scripts
 * run unmodified. Each route delegates to the same Hub and transport pieces as the canonical paths.
 */
export default async function compat(app: FastifyInstance): Promise<void> {
  const longPoll = createLongPoller(app);
  const openSse = await createSseStreamer(app);

  // The Spring app accepted POSTs without a body; Fastify's JSON parser would answer 400.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    if (body === '') return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(new HubError('invalid_event', 'body is not valid JSON'), undefined);
    }
  });

  const snapshot = async (request: FastifyRequest<{ Params: { id: string } }>) => {
    const { group, seq, members } = await app.hub.snapshot(request.params.id);
    return { group, seq, members };
  };
  const idParams = { type: 'object', required: ['id'], properties: { id: groupParamsSchema.properties.group } } as const;
  app.get('/location/cur/:id', { schema: { params: idParams } }, snapshot);
  app.get('/cur/:id', { schema: { params: idParams } }, snapshot);

  // In its own context so the response-byte hooks count long-poll answers only.
  await app.register(async (longPollContext) => {
    countResponseBytes(longPollContext, app.metrics.transport('long-polling'));
    longPollContext.get<{ Params: { id: string }; Querystring: { since?: number } }>(
      '/location/long/:id',
      { schema: { params: idParams, querystring: { type: 'object', properties: { since: cursorParamSchema } } } },
      async (request, reply) =>
        longPoll(request, reply, { group: request.params.id, since: request.query.since, timeoutMs: SPRING_LONGPOLL_MS, user: request.principal?.user, nextOnly: true }),
    );
  });

  const publish = async (group: string, request: FastifyRequest, reply: FastifyReply) => {
    const command = commandFrom(request.body);
    const user = publisherOf(request.principal, command.user, undefined);
    checkHttpPublishRate(app, request, user);
    const event = await app.hub.publish(group, command, user, 'http');
    return reply.code(200).send({ seq: event.event.seq });
  };
  app.post<{ Params: { id: string } }>('/location/long/:id/notify', { schema: { params: idParams } }, (request, reply) =>
    publish(request.params.id, request, reply),
  );
  app.post('/location/sse/share', { config: { group: SPRING_SSE_GROUP } }, (request, reply) => publish(SPRING_SSE_GROUP, request, reply));

  // The Spring emitter delivered the next event and completed.
  app.get('/location/sse/connect', { config: { group: SPRING_SSE_GROUP } }, async (request, reply) =>
    openSse(request, reply, { group: SPRING_SSE_GROUP, since: undefined, user: request.principal?.user, limit: 1, timeoutMs: SPRING_SSE_MS }),
  );

  registerStompEndpoint(app, '/location', springDestinations);
}
