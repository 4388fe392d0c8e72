import fp from 'fastify-plugin';
import type { FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { createServer, ServerResponse, type IncomingMessage, type Server, type ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
import { ConnectionLimiter } from './connection-limiter.js';
import { HubError, errorBody } from './domain/errors.js';

/** The socket bounds every request on a socket is held to (one object per server). */
interface Limits {
  maxPipelinedRequests: number;
  maxBufferedBytes: number;
  cut(socket: Socket, reason: 'pipeline_limit' | 'slow_consumer'): void;
  /** The server's socket slots (MAX_CONNECTIONS, per IP). */
  sockets: ConnectionLimiter;
}

/** What one TCP socket holds: requests in flight and answer bytes not yet handed to it. */
interface SocketLoad {
  limits: Limits;
  inFlight: number;
  queued: number;
  /** The socket's bytesWritten when its last response was done (the next one's bytes start there). */
  bytesAtLastResponse: number;
  /** The client address its slot was taken for. */
  ip: string;
}

/** Counts the wire bytes of the responses it is set on (a route's transport). */
export interface ResponseBytesSink {
  sent(bytes: number): void;
}

const kLoad = Symbol('socketLoad');
const kQueued = Symbol('answerBytes');
const kBytes = Symbol('bytesSink');
const kGuardable = Symbol('guardable');
type Guarded = Socket & { [kLoad]?: SocketLoad };
type Guardable = Server & { [kGuardable]?: true };

/**
 * Gives a socket's slot back when it closes: one function for every socket, registered with `on`
 * ('close' comes once), where a closure under `once` cost a wrapper, its state and a context per
 * socket (~0.2 KB on every idle WebSocket, STOMP and SSE connection).
 */
function releaseSocketSlot(this: Guarded): void {
  const load = this[kLoad];
  if (load === undefined) return;
  this[kLoad] = undefined; // given back once: a later handOverSocketSlot finds none
  load.limits.sockets.release(load.ip);
}

/**
 * Hands a socket's slot (MAX_CONNECTIONS, MAX_CONNECTIONS_PER_IP) to the caller: the guard forgets
 * the socket (its load and its `close` listener go), and the caller gives the slot back with
 * `app.sockets.release(ip)` once the socket has closed. For upgraded sockets, whose connection object
 * releases its other slot on close anyway: no HTTP request runs on them again, and the load object
 * and a second `close` listener (an array of them) cost ~0.13 KB on every idle WebSocket and STOMP
 * connection.
 * @returns the IP the slot was taken for; undefined when the socket holds none (refused, already
 *   closed, or handed over before)
 */
export function handOverSocketSlot(socket: Socket): string | undefined {
  const guarded = socket as Guarded;
  const load = guarded[kLoad];
  if (load === undefined) return undefined;
  guarded[kLoad] = undefined; // assigned, not deleted: the socket keeps its shape
  guarded.removeListener('close', releaseSocketSlot);
  return load.ip;
}

function byteLengthOf(chunk: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  return chunk instanceof Uint8Array ? chunk.length : 0;
}

/**
 * The server's ServerResponse: a response takes its socket's place in flight when made and gives it
 * back, with its queued bytes, when done; its wire bytes (status line and headers included) go to the
 * route's sink. Overriding `end` and `detachSocket` (which Node calls once a response is done, before
 * the next pipelined one gets the socket) costs no listener, closure or hook per request — those cost
 * measurably on the short-polling route (docs/benchmarks.md).
 */
class GuardedResponse extends ServerResponse {
  [kQueued] = 0;
  [kBytes]: ResponseBytesSink | undefined = undefined;

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    const socket = this.req.socket as Guarded | null;
    const load = socket?.[kLoad];
    if (load !== undefined && chunk != null && !socket!.destroyed) {
      const bytes = byteLengthOf(chunk);
      // One answer alone always fits, however large (POLL_MAX_EVENTS bounds it); queued ones may not.
      if (load.queued > 0 && load.queued + bytes > load.limits.maxBufferedBytes) load.limits.cut(socket!, 'slow_consumer');
      else {
        load.queued += bytes;
        this[kQueued] = bytes;
      }
    }
    return super.end(chunk as string, encoding as BufferEncoding, callback as () => void);
  }

  override detachSocket(socket: Socket): void {
    const load = (socket as Guarded)[kLoad];
    if (load !== undefined) {
      load.inFlight--;
      load.queued -= this[kQueued];
      const written = socket.bytesWritten;
      this[kBytes]?.sent(written - load.bytesAtLastResponse);
      load.bytesAtLastResponse = written;
    }
    super.detachSocket(socket);
  }
}

/**
 * Charges this response's wire bytes to a transport. Call from the route handler (or a wrapper set at
 * route registration), not from a hook: see GuardedResponse.
 */
export function countBytesOf(response: ServerResponse, sink: ResponseBytesSink): void {
  if (response instanceof GuardedResponse) response[kBytes] = sink;
}

/**
 * Fastify's `serverFactory`: Node's HTTP server with GuardedResponse, whose request handler refuses
 * what a cut socket or a socket past MAX_PIPELINED_REQUESTS still had parsed (requests parsed from one
 * read arrive together: once the socket is cut, build nothing for them). Sets what Fastify sets on
 * the servers it makes itself.
 */
export function guardedServerFactory(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: FastifyServerOptions,
): Server {
  const server = createServer({ ...(options as { http?: ServerOptions }).http, ServerResponse: GuardedResponse as typeof ServerResponse }, (request, response) => {
    const socket = request.socket as Guarded;
    const load = socket[kLoad];
    if (load !== undefined) {
      if (socket.destroyed) return;
      if (++load.inFlight > load.limits.maxPipelinedRequests) return load.limits.cut(socket, 'pipeline_limit');
    }
    handler(request, response);
  });
  if (options.keepAliveTimeout !== undefined) server.keepAliveTimeout = options.keepAliveTimeout;
  if (options.requestTimeout !== undefined) server.requestTimeout = options.requestTimeout;
  server.setTimeout(options.connectionTimeout ?? 0);
  if (options.maxRequestsPerSocket) server.maxRequestsPerSocket = options.maxRequestsPerSocket;
  (server as Guardable)[kGuardable] = true;
  return server;
}

/** How long a refused socket may still read before it is destroyed (so its client can read the 503). */
const REFUSED_LINGER_MS = 1000;
/** How often Node checks REQUEST_TIMEOUT_MS against sockets still reading a request (its default is 30 s). */
export const TIMEOUT_CHECK_MS = 1000;

function refusal(err: HubError): string {
  const body = JSON.stringify(errorBody(err));
  return `HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`;
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
 * The per-request part lives in the server itself: Fastify must be built with `guardedServerFactory`.
 */
export const httpGuardPlugin = fp(
  async (app: FastifyInstance) => {
    const { maxConnections, maxConnectionsPerIp, maxPipelinedRequests, maxBufferedBytes, requestTimeoutMs } = app.config;
    const sockets = new ConnectionLimiter(maxConnections, maxConnectionsPerIp);
    app.decorate('sockets', sockets);
    app.metrics.watchHttpSockets(() => sockets.count);

    const server = app.server;
    if (!(server as Guardable)[kGuardable]) throw new Error('httpGuardPlugin needs a Fastify built with serverFactory: guardedServerFactory');
    // Node enforces requestTimeout on a body only when headersTimeout is no longer than it.
    server.requestTimeout = requestTimeoutMs;
    server.headersTimeout = requestTimeoutMs;
    server.on('clientError', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') app.metrics.httpSocketClosed('request_timeout');
    });

    const limits: Limits = {
      maxPipelinedRequests,
      maxBufferedBytes,
      sockets,
      cut(socket, reason) {
        app.metrics.httpSocketClosed(reason);
        socket.destroy();
      },
    };
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
      socket[kLoad] = { limits, inFlight: 0, queued: 0, bytesAtLastResponse: 0, ip };
      socket.on('close', releaseSocketSlot);
    });
  },
  { name: 'realtime-arena-http-guard', fastify: '5.x', dependencies: ['realtime-arena-metrics'] },
);
