import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import { ConnectionLimiter } from './connection-limiter.js';
import { HubError, errorBody } from './domain/errors.js';

/** What one TCP socket holds: requests in flight and answer bytes not yet on the wire. */
interface SocketLoad {
  ip: string;
  inFlight: number;
  queued: number;
}

const kLoad = Symbol('socketLoad');
const kQueued = Symbol('answerBytes');
type Guarded = Socket & { [kLoad]?: SocketLoad };
type Counted = { [kLoad]?: SocketLoad; [kQueued]?: number };

/** A response's end gives back its place and its bytes (one shared listener: no closure per request). */
function released(this: Counted): void {
  const load = this[kLoad]!;
  load.inFlight--;
  load.queued -= this[kQueued] ?? 0;
}

/** How long a refused socket may still read before it is destroyed (so its client can read the 503). */
const REFUSED_LINGER_MS = 1000;
/** How often Node checks REQUEST_TIMEOUT_MS against sockets still reading a request (its default is 30 s). */
export const TIMEOUT_CHECK_MS = 1000;

function refusal(err: HubError): string {
  const body = JSON.stringify(errorBody(err));
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
}

function answerBytes(payload: unknown): number {
  if (typeof payload === 'string') return Buffer.byteLength(payload);
  return Buffer.isBuffer(payload) ? payload.length : 0;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** TCP sockets held, against MAX_CONNECTIONS and MAX_CONNECTIONS_PER_IP (every kind of socket). */
    sockets: ConnectionLimiter;
  }
}

/**
 * Bounds what one client can make the server hold on its TCP sockets:
 * - every socket (idle, reading a request, streaming, upgraded) takes a slot in MAX_CONNECTIONS and
 *   MAX_CONNECTIONS_PER_IP when it connects; one past either gets `503 too_many_connections` and is closed;
 * - a request must arrive, headers and body, within REQUEST_TIMEOUT_MS (Node answers 408 and closes);
 * - a socket with more than MAX_PIPELINED_REQUESTS requests in flight is closed (`pipeline_limit`);
 * - a socket whose queued answers (pipelined answers not yet flushed) would pass MAX_BUFFERED_BYTES is
 *   closed (`slow_consumer`). One answer alone always fits, however large (POLL_MAX_EVENTS bounds it).
 * `rt_connections` stays what it was (streams and waiting long-polls); sockets are `rt_http_sockets`.
 */
export const httpGuardPlugin = fp(
  async (app: FastifyInstance) => {
    const { maxConnections, maxConnectionsPerIp, maxPipelinedRequests, maxBufferedBytes, requestTimeoutMs } = app.config;
    const sockets = new ConnectionLimiter(maxConnections, maxConnectionsPerIp);
    app.decorate('sockets', sockets);
    app.metrics.watchHttpSockets(() => sockets.count);

    const server = app.server;
    // Node enforces requestTimeout on a body only when headersTimeout is no longer than it.
    server.requestTimeout = requestTimeoutMs;
    server.headersTimeout = requestTimeoutMs;
    server.on('clientError', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') app.metrics.httpSocketClosed('request_timeout');
    });

    server.on('connection', (socket: Guarded) => {
      const ip = socket.remoteAddress ?? '';
      try {
        sockets.acquire(ip);
      } catch (err) {
        app.metrics.httpSocketClosed('too_many_connections');
        const linger = setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
        socket.once('close', () => clearTimeout(linger));
        socket.end(refusal(err as HubError));
        return;
      }
      socket[kLoad] = { ip, inFlight: 0, queued: 0 };
      socket.once('close', () => sockets.release(ip));
    });

    const cut = (socket: Socket, reason: 'pipeline_limit' | 'slow_consumer') => {
      app.metrics.httpSocketClosed(reason);
      socket.destroy();
    };

    app.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      const socket = request.raw.socket as Guarded | null;
      const load = socket?.[kLoad];
      if (load === undefined) return done(); // app.inject, or a refused socket Node still parses
      // Requests parsed from one read arrive together: once the socket is cut, build nothing for them.
      if (socket!.destroyed) return reply.hijack(), done();
      if (++load.inFlight > maxPipelinedRequests) {
        cut(socket!, 'pipeline_limit');
        return reply.hijack(), done();
      }
      (reply.raw as Counted)[kLoad] = load;
      reply.raw.once('close', released);
      done();
    });

    app.addHook('onSend', (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (err: null, payload: unknown) => void) => {
      const socket = request.raw.socket as Guarded | null;
      const load = socket?.[kLoad];
      if (load !== undefined && !socket!.destroyed) {
        const bytes = answerBytes(payload);
        if (load.queued > 0 && load.queued + bytes > maxBufferedBytes) cut(socket!, 'slow_consumer');
        else {
          load.queued += bytes;
          (reply.raw as Counted)[kQueued] = bytes;
        }
      }
      done(null, payload);
    });
  },
  { name: 'realtime-arena-http-guard', fastify: '5.x', dependencies: ['realtime-arena-metrics'] },
);
