import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { HubError, errorBody, type ErrorCode } from './domain/errors.js';
import { codeForBodyError, describeAjvError } from './domain/validate.js';

/** Fastify's own error codes, mapped onto the one error table. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_event',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_event',
};

/** Which code a failed param or query field maps to. */
const FIELD_CODES: Record<string, ErrorCode> = {
  group: 'invalid_group',
  id: 'invalid_group',
  user: 'invalid_user',
  since: 'invalid_cursor',
};

/** Translates anything thrown by a route into a HubError from the table. */
export function toHttpError(err: FastifyError | HubError | Error): HubError {
  if (err instanceof HubError) return err;
  const fe = err as FastifyError;
  if (fe.validation) {
    const first = fe.validation[0];
    if (fe.validationContext === 'body') {
      return new HubError(codeForBodyError(first as never), describeAjvError(first as never));
    }
    const field = first?.instancePath?.slice(1) || (first?.params as { missingProperty?: string })?.missingProperty || '';
    return new HubError(FIELD_CODES[field] ?? 'invalid_request', describeAjvError(first as never, fe.validationContext));
  }
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new HubError(mapped, fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new HubError('invalid_request', fe.message);
  return new HubError('internal_error', 'internal error');
}

/** Writes a HubError as `{"error":{code,message}}` with its status (and Retry-After when set). */
export function sendError(reply: FastifyReply, err: HubError): FastifyReply {
  if (err.retryAfter !== undefined) reply.header('retry-after', String(err.retryAfter));
  return reply.code(err.statusCode).send(errorBody(err));
}

/** One error shape for every HTTP route, including 404s and Fastify's own parse errors. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err, request, reply) => {
      const hubError = toHttpError(err as FastifyError);
      if (hubError.code === 'internal_error') request.log.error({ err }, 'unhandled error');
      return sendError(reply, hubError);
    });
    // An upgrade refused with an HTTP answer (bad token, bad query, unknown path) leaves a socket that
    // Node no longer tracks as an HTTP connection: close it once the answer is out, or it stays open
    // for ever and app.close() waits on it. Accepted upgrades are hijacked and never reach onResponse.
    app.addHook('onResponse', (request, _reply, done) => {
      if (request.headers.upgrade) request.raw.socket?.end();
      done();
    });
    app.setNotFoundHandler((request, reply) =>
      sendError(reply, new HubError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`)),
    );
  },
  { name: 'realtime-arena-errors', fastify: '5.x' },
);
