import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebSocket, RawData } from 'ws';
import type { Socket } from 'node:net';
import type {} from '@fastify/websocket'; // route option types (wsHandler)
import { userQuerySchema } from '../src/domain/schemas.js';
import { HubError, toHubError } from '../src/domain/errors.js';
import type { EncodedEvent } from '../src/domain/events.js';
import { Subscription, type Hub, type Subscriber } from '../src/domain/hub.js';
import type { TransportMetrics } from '../src/metrics.js';
import { corkForTurn } from '../src/protocol/cork.js';
import { SendBudget } from '../src/protocol/send-budget.js';
import { WsDecodeError, decodeClientOp, encodeError, encodeEventFrame, encodeReply, wsFrameOverhead, wsTextFrame, type WsClientOp } from '../src/protocol/ws-codec.js';
import { SmallMap } from '../src/protocol/small-map.js';
import { closeWithin, checkLivenessEvery, type LivenessMember } from './ws-liveness.js';
import { pongWithinBudget, upgradeReleaser, type PingAnswering } from './ws-upgrade.js';
import type { ServerWebSocket } from './server-websocket.js';
import { authorize, type Principal } from '../src/auth.js';
import { publisherOf, whenExpired } from '../src/auth-plugin.js';
import type { Deadline } from '../src/timers.js';
import type { PublishLimiter, TokenBucket } from '../src/rate-limiter.js';

/** Close code for a consumer cut off for falling behind (application range 4000-4999). */
export const CLOSE_SLOW_CONSUMER = 4008;
/** How long a peer gets to answer our close frame before its socket is destroyed. */
const CLOSE_GRACE_MS = 2000;
/** Close code when the connection's token expires. */
export const CLOSE_UNAUTHORIZED = 4001;

/** Holds a group's place in a connection's subscriptions while its subscribe is in flight (one per subscribe op). */
interface InFlight {
  readonly inFlight: true;
}

/**
 * One WebSocket connection: its subscriptions, liveness and write accounting. It is the Hub
 * subscriber of each of its subscriptions (events of every group go to the same socket, so no object
 * per subscription is needed to tell them apart), and its own SendBudget (the budget's two fields
 * live in the connection rather than in an object of their own: one object less per connection).
 */
class WsConnection extends SendBudget implements LivenessMember, Subscriber, PingAnswering {
  private readonly subs = new SmallMap<string, Subscription | InFlight>();
  readonly raw: Socket;
  readAtPing = -1;
  private closeReason = 'client';
  private readonly publishBucket: TokenBucket | undefined;
  /** The token's expiry timer, when the token expires. */
  expiry: Deadline | undefined = undefined;
  /** The TCP socket's slot, taken over from the HTTP guard: given back on close (upgradeReleaser). */
  socketSlotIp: string | undefined = undefined;

  constructor(
    readonly socket: WebSocket,
    /** The client address, for the per-IP connection count (the request itself is not kept). */
    readonly ip: string,
    readonly user: string,
    private readonly principal: Principal | null,
    private readonly hub: Hub,
    private readonly metrics: TransportMetrics,
    private readonly limits: { maxBufferedBytes: number; maxMessageBytes: number; maxSubscriptions: number; closeGraceMs: number },
    private readonly publishLimiter: PublishLimiter,
  ) {
    super(limits.maxBufferedBytes);
    this.publishBucket = publishLimiter.connectionBucket();
    // The TCP socket under the WebSocket (ws's field, which ServerWebSocket keeps): events are written
    // to it as whole frames, corked per turn.
    this.raw = (socket as unknown as { _socket: Socket })._socket;
  }

  deadPeer(): void {
    this.closeReason = 'dead_peer';
    this.socket.terminate();
  }

  pinged(bytes: number): void {
    this.metrics.sent(bytes);
  }

  answerPing(data: Buffer): void {
    if (pongWithinBudget(this, this.socket, data, this.metrics)) return;
    this.closeReason = 'slow_consumer';
    this.socket.terminate();
  }

  /** Subscriber: the transport, for presence and metrics (on the prototype, not a field per connection). */
  get transport(): 'websocket' {
    return 'websocket';
  }

  /** Subscriber: one event of any of this connection's groups. */
  deliver(event: EncodedEvent, replay: boolean): void {
    if (this.socket.readyState !== this.socket.OPEN) return; // closing: nothing more goes out on this socket, so the event is neither written nor counted delivered
    // Server frames are unmasked, so the whole frame is encoded once per event and written as is.
    const frame = (event.websocket ??= wsTextFrame(encodeEventFrame(event.json)));
    if (!this.allows(this.socket.bufferedAmount, frame.length, replay)) return this.cut();
    corkForTurn(this.raw);
    this.raw.write(frame);
    this.metrics.sent(frame.length);
    this.metrics.delivered(event, event.handedAt || Date.now());
  }

  onMessage(data: RawData): void {
    const length = Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength;
    if (length > this.limits.maxMessageBytes) {
      return this.reply(encodeError(new HubError('payload_too_large', `frame exceeds ${this.limits.maxMessageBytes} bytes`)));
    }
    let op: WsClientOp;
    try {
      op = decodeClientOp(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data as ArrayBuffer).toString('utf8'));
    } catch (err) {
      return this.reply(encodeError(toHubError(err), err instanceof WsDecodeError ? err.ref : undefined));
    }
    this.handle(op).catch((err: unknown) => this.reply(encodeError(toHubError(err), op.ref)));
  }

  private async handle(op: WsClientOp): Promise<void> {
    switch (op.op) {
      case 'ping':
        return this.reply(encodeReply(op.ref === undefined ? { op: 'pong' } : { op: 'pong', ref: op.ref }));
      case 'publish': {
        authorize(this.principal, op.group);
        const user = publisherOf(this.principal, op.event.user, this.user);
        this.publishLimiter.check(user, this.publishBucket);
        const event = await this.hub.publish(op.group, op.event, user, 'websocket');
        return this.reply(encodeReply(op.ref === undefined ? { op: 'ack', seq: event.event.seq } : { op: 'ack', ref: op.ref, seq: event.event.seq }));
      }
      case 'subscribe': {
        authorize(this.principal, op.group);
        const slot: InFlight = { inFlight: true };
        if (!this.subs.has(op.group)) {
          if (this.subs.size >= this.limits.maxSubscriptions) {
            throw new HubError('invalid_request', `at most ${this.limits.maxSubscriptions} subscriptions per connection`);
          }
          // Hold the slot before awaiting: a whole read is dispatched at once, so the in-flight ones count too.
          this.subs.set(op.group, slot);
        }
        let subscription: Subscription;
        try {
          subscription = await this.hub.subscribe(op.group, this, op.since);
        } catch (err) {
          if (this.subs.get(op.group) === slot) this.subs.delete(op.group);
          throw err;
        }
        if (this.socket.readyState !== this.socket.OPEN) return subscription.close();
        const previous = this.subs.get(op.group);
        if (previous instanceof Subscription) previous.close(); // re-subscribing replaces (e.g. to resume at a cursor)
        this.subs.set(op.group, subscription);
        const reply: Record<string, unknown> = { op: 'subscribed', group: op.group, seq: subscription.head };
        if (subscription.truncated) reply.truncated = true;
        if (op.ref !== undefined) reply.ref = op.ref;
        // One replay past MAX_BUFFERED_BYTES at a time: asking for another while one is queued past it cuts.
        if (subscription.replay.length > 0 && !this.admitReplay(this.socket.bufferedAmount)) return this.cut();
        this.reply(encodeReply(reply));
        return subscription.start();
      }
      case 'unsubscribe': {
        const entry = this.subs.get(op.group);
        if (!entry) throw new HubError('not_subscribed', `not subscribed to ${op.group}`);
        if (entry instanceof Subscription) entry.close();
        this.subs.delete(op.group);
        return this.reply(encodeReply(op.ref === undefined ? { op: 'unsubscribed', group: op.group } : { op: 'unsubscribed', group: op.group, ref: op.ref }));
      }
    }
  }

  /** Sends a reply op within MAX_BUFFERED_BYTES (cutting the consumer past it); `last` before a close skips the check. */
  private reply(text: string, last = false): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    const bytes = Buffer.byteLength(text);
    const frameBytes = bytes + wsFrameOverhead(bytes);
    if (!last && !this.allows(this.socket.bufferedAmount, frameBytes, false)) return this.cut();
    this.socket.send(text);
    this.metrics.sent(frameBytes);
  }

  /** Cuts a consumer whose unsent bytes passed the bound; it can resume by cursor. */
  private cut(): void {
    this.metrics.dropped('slow_consumer');
    this.close(CLOSE_SLOW_CONSUMER, 'slow_consumer', 'slow_consumer');
  }

  /** The token expired: say so, then close. */
  expire(): void {
    this.reply(encodeError(new HubError('unauthorized', 'the token has expired')), true);
    this.close(CLOSE_UNAUTHORIZED, 'unauthorized', 'expired');
  }

  /** Closes with a code and reason, releasing every subscription now. */
  close(code: number, reason: string, metricReason: string): void {
    this.closeReason = metricReason;
    this.releaseSubscriptions();
    closeWithin(this.socket, code, reason, this.limits.closeGraceMs);
  }

  releaseSubscriptions(): void {
    for (const entry of this.subs.values()) if (entry instanceof Subscription) entry.close();
    this.subs.clear();
  }

  /** Called once when the socket has closed, whatever closed it. */
  closed(): string {
    this.releaseSubscriptions();
    return this.closeReason;
  }
}

/**
 * WebSocket: `GET /ws` upgraded; JSON text ops. A plain GET gets the HTTP error shape. Bad frames get
 * an error op and the connection stays open. Protocol pings drop peers that stop answering.
 */
export default async function websocket(app: FastifyInstance): Promise<void> {
  const metrics = app.metrics.transport('websocket');
  const connections = new Set<WsConnection>();
  const limits = {
    maxBufferedBytes: app.config.maxBufferedBytes,
    maxMessageBytes: app.config.maxBodyBytes + 1024,
    maxSubscriptions: app.config.maxSubscriptionsPerConnection,
    closeGraceMs: CLOSE_GRACE_MS,
  };

  const release = upgradeReleaser(app.log);
  // One listener of each kind for every connection of the endpoint; `this` is the socket.
  function onMessage(this: WebSocket, data: RawData): void {
    ((this as ServerWebSocket).owner as WsConnection).onMessage(data);
  }
  function onPing(this: WebSocket, data: Buffer): void {
    ((this as ServerWebSocket).owner as WsConnection).answerPing(data);
  }
  function onClose(this: WebSocket): void {
    const connection = (this as ServerWebSocket).owner as WsConnection;
    connection.expiry?.clear();
    connections.delete(connection);
    app.connections.release(connection.ip);
    if (connection.socketSlotIp !== undefined) app.sockets.release(connection.socketSlotIp);
    metrics.connectionClosed(connection.closed());
  }
  checkLivenessEvery(app, app.config.wsPingMs, connections);
  app.websockets.add(connections);
  app.addHook('preClose', async () => {
    for (const connection of connections) connection.close(1012, 'shutting_down', 'shutdown');
  });

  app.route<{ Querystring: { user?: string } }>({
    method: 'GET',
    url: '/ws',
    schema: { querystring: userQuerySchema },
    handler: async () => {
      throw new HubError('invalid_request', 'GET /ws needs a WebSocket upgrade');
    },
    wsHandler: (socket: WebSocket, request: FastifyRequest<{ Querystring: { user?: string } }>) => {
      const ip = request.ip; // read once: release() drops the socket's cached address
      try {
        app.connections.acquire(ip);
      } catch (err) {
        socket.send(encodeError(toHubError(err)));
        closeWithin(socket, 1013, 'too_many_connections', limits.closeGraceMs); // in no endpoint Set: bounded here
        return;
      }
      metrics.connectionOpened();
      const socketSlotIp = release(socket);
      const { principal } = request; // the connection keeps this and the IP, not the request
      const connection = new WsConnection(socket, ip, principal?.user ?? request.query.user ?? 'anonymous', principal, app.hub, metrics, limits, app.publishLimiter);
      connection.socketSlotIp = socketSlotIp;
      connections.add(connection);
      if (principal?.expiresAt) connection.expiry = whenExpired(principal, () => connection.expire());
      (socket as ServerWebSocket).owner = connection;
      socket.on('message', onMessage);
      socket.on('ping', onPing);
      // `on`, not `once`: ServerWebSocket emits close once, and `once` adds a wrapper object and a bound function per connection.
      socket.on('close', onClose);
    },
  });
}
