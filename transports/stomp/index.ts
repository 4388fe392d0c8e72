import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type {} from '@fastify/websocket'; // route option types (wsHandler)
import { userQuerySchema } from '../../src/domain/schemas.js';
import { HubError } from '../../src/domain/errors.js';
import { encodeFrame } from './codec.js';
import { CLOSE_GRACE_MS, StompSession, canonicalDestinations, type StompDestinations, type StreamSource } from './session.js';
import { checkLivenessEvery, closeWithin } from '../ws-liveness.js';
import { upgradeReleaser } from '../ws-upgrade.js';
import type { ServerWebSocket } from '../server-websocket.js';

/** Most headers a frame may carry (the spec sets no limit; a hostile client could send 10,000). */
const MAX_HEADERS = 100;

/** What distinguishes the relay endpoint from the built-in one. */
export interface StompEndpointOptions {
  /** The metric and publish-source label. */
  transport: 'stomp' | 'stomp-relay';
  /** Where SUBSCRIBE streams come from (default the Hub). */
  subscriptions?: StreamSource;
}

/**
 * Registers a STOMP-over-WebSocket endpoint at `path` with a destination mapping. `/stomp` uses the
 * canonical destinations; the compatibility plugin registers `/location` with the Spring app's.
 * @returns the endpoint's open sessions (the relay fails them when its broker is lost)
 */
export function registerStompEndpoint(
  app: FastifyInstance,
  path: string,
  destinations: StompDestinations,
  endpoint: StompEndpointOptions = { transport: 'stomp' },
): ReadonlySet<StompSession> {
  const metrics = app.metrics.transport(endpoint.transport);
  const sessions = new Set<StompSession>();
  const options = {
    maxFrameBytes: app.config.maxBodyBytes + 1024,
    maxHeaders: MAX_HEADERS,
    maxBufferedBytes: app.config.maxBufferedBytes,
    heartbeatMs: app.config.stompHeartbeatMs,
    maxSubscriptions: app.config.maxSubscriptionsPerConnection,
    publishLimiter: app.publishLimiter,
    transport: endpoint.transport,
    subscriptions: endpoint.subscriptions,
  };

  const release = upgradeReleaser(app.log);
  // One listener of each kind for every session of the endpoint; `this` is the socket.
  function onMessage(this: WebSocket, data: RawData): void {
    ((this as ServerWebSocket).owner as StompSession).onMessage(toBuffer(data));
  }
  function onPing(this: WebSocket, data: Buffer): void {
    ((this as ServerWebSocket).owner as StompSession).answerPing(data);
  }
  function onClose(this: WebSocket): void {
    const session = (this as ServerWebSocket).owner as StompSession;
    sessions.delete(session);
    session.releaseSubscriptions();
    app.connections.release(session.ip);
    if (session.socketSlotIp !== undefined) app.sockets.release(session.socketSlotIp);
    metrics.connectionClosed(session.closeReason);
  }
  checkLivenessEvery(app, app.config.wsPingMs, sessions);
  app.websockets.add(sessions);
  app.addHook('preClose', async () => {
    for (const session of sessions) session.fail('shutting_down', 'server restarting; reconnect and resubscribe with since', 1012);
  });

  app.route<{ Querystring: { user?: string } }>({
    method: 'GET',
    url: path,
    schema: { querystring: userQuerySchema },
    config: { tokenLater: true }, // STOMP clients may send the token in CONNECT instead
    handler: async () => {
      throw new HubError('invalid_request', `GET ${path} needs a WebSocket upgrade (STOMP over WebSocket)`);
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest<{ Querystring: { user?: string } }>) => {
      const ip = request.ip; // read once: release() drops the socket's cached address
      try {
        app.connections.acquire(ip);
      } catch {
        socket.send(encodeFrame('ERROR', { message: 'too_many_connections' }, 'server is at MAX_CONNECTIONS', '1.2'));
        closeWithin(socket, 1013, 'too_many_connections', CLOSE_GRACE_MS); // in no endpoint Set: bounded here
        return;
      }
      metrics.connectionOpened();
      const socketSlotIp = release(socket);
      // The session keeps the IP, not the request.
      const session = new StompSession(socket, request.query.user ?? 'anonymous', request.principal, app.auth, app.hub, metrics, destinations, options, ip);
      session.socketSlotIp = socketSlotIp;
      sessions.add(session);
      (socket as ServerWebSocket).owner = session;
      socket.on('message', onMessage);
      socket.on('ping', onPing);
      // `on`, not `once`: ServerWebSocket emits close once, and `once` adds a wrapper object and a bound function per connection.
      socket.on('close', onClose);
    },
  });
  return sessions;
}

function toBuffer(data: Buffer | ArrayBuffer | Buffer[]): Buffer {
  if (Buffer.isBuffer(data)) return data;
  return Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
}

/** STOMP over WebSocket at `/stomp`. */
export default async function stomp(app: FastifyInstance): Promise<void> {
  registerStompEndpoint(app, '/stomp', canonicalDestinations);
}
