import fp from 'fastify-plugin';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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

function endItsSocket(this: ServerResponse): void {
  this.socket?.end();
}

/**
 * Ends an upgrade socket once the HTTP answer routed for it has been written. @fastify/websocket
 * routes an upgrade synchronously with a placeholder response as the socket's HTTP message; an
 * accepted upgrade unlinks it (transports/ws-upgrade.ts) and never finishes it.
 */
function closeAfterAnswer(socket: Socket & { _httpMessage?: ServerResponse | null }): void {
  const answer = socket._httpMessage;
  if (!answer || socket.destroyed) return;
  if (answer.writableFinished) socket.end();
  else answer.once('finish', endItsSocket);
}

/** One error shape for every HTTP route, including 404s and Fastify's own parse errors. */
export const errorsPlugin = fp(
  async (app: FastifyInstance) => {
    app.setErrorHandler((err, request, reply) => {
      const hubError = toHttpError(err as FastifyError);
      if (hubError.code === 'internal_error') request.log.error({ err }, 'unhandled error');
      return sendError(reply, hubError);
    });
    // An upgrade answered over HTTP (refused: bad token, bad query, unknown path; or a route that is
    // not a WebSocket endpoint) leaves a socket Node no longer tracks as an HTTP connection: close it
    // once the answer is out, or it stays open for ever and app.close() waits on it. Watched from the
    // server's upgrade event, not an onResponse hook, so that HTTP routes carry no hook for it.
    app.server.on('upgrade', (_request: IncomingMessage, socket: Socket) => process.nextTick(closeAfterAnswer, socket));
    app.setNotFoundHandler((request, reply) =>
      sendError(reply, new HubError('not_found', `no route for ${request.method} ${request.url.split('?')[0]}`)),
    );
  },
  { name: 'realtime-arena-errors', fastify: '5.x' },
);
