import type { FastifyBaseLogger } from 'fastify';
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { handOverSocketSlot } from '../src/http-guard.js';
import type { TransportMetrics } from '../src/metrics.js';
import type { SendBudget } from '../src/protocol/send-budget.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** Every endpoint's open WebSockets (ws's own `clients` registry is off). */
    websockets: WebSocketRegistry;
  }
}

/**
 * The open WebSockets of every endpoint, for terminating what is left when the app closes (and for
 * tests). ws's own registry (`clientTracking`) is turned off in app.ts: it costs a `clients` Set entry
 * and a close-listener closure per socket (and turns the socket's `close` listeners into an array),
 * while every endpoint keeps its connections in a Set of its own already. Sockets refused before they
 * join an endpoint's Set are closed with `closeWithin`, which bounds them by itself.
 */
export class WebSocketRegistry implements Iterable<WebSocket> {
  private readonly endpoints: ReadonlySet<{ readonly socket: WebSocket }>[] = [];

  /** Adds an endpoint's live Set of connections (read when iterated, not copied). */
  add(connections: ReadonlySet<{ readonly socket: WebSocket }>): void {
    this.endpoints.push(connections);
  }

  *[Symbol.iterator](): Iterator<WebSocket> {
    for (const connections of this.endpoints) for (const connection of connections) yield connection.socket;
  }

  /**
   * Terminates every open socket and resolves once each has emitted `close` (so the endpoints'
   * close listeners have run: their Sets are empty and their slots released). With ws's registry
   * this wait was ws's server close; without it, that close no longer waits for anything.
   */
  async terminateAll(): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const socket of this) {
      if (socket.readyState === WebSocket.CLOSED) continue;
      closing.push(new Promise((resolve) => socket.once('close', resolve)));
      socket.terminate();
    }
    await Promise.all(closing);
  }
}

/**
 * What answers a peer's ping. ws's `autoPong` is off (app.ts): it keeps a pong-completion closure per
 * socket to count unsent pongs (and terminates past 60); the connection answers instead, within its
 * MAX_BUFFERED_BYTES budget like any other write: a peer that pings without reading is terminated
 * as a slow consumer once its unsent bytes pass the bound.
 */
export interface PingAnswering {
  answerPing(data: Buffer): void;
}

/**
 * Answers a ping with its payload when the pong fits the connection's send budget, and counts its
 * bytes; a closing socket needs no answer. False when it does not fit: the metric is counted and the
 * caller terminates the connection (a close frame would only queue behind the pongs).
 */
export function pongWithinBudget(budget: SendBudget, socket: WebSocket, data: Buffer, metrics: TransportMetrics): boolean {
  if (socket.readyState !== socket.OPEN) return true;
  const bytes = 2 + data.length; // the pong frame: control frames carry at most 125 payload bytes
  if (!budget.allows(socket.bufferedAmount, bytes, false)) {
    metrics.dropped('slow_consumer');
    return false;
  }
  socket.pong(data);
  metrics.sent(bytes);
  return true;
}

/**
 * Lets an upgraded connection forget the HTTP request it came from. @fastify/websocket attaches an
 * `error` listener per connection that closes over the upgrade's Fastify request and reply (and so
 * the IncomingMessage, a ServerResponse made for it, headers and a child logger): about 2 KB held for
 * the connection's whole life, for a handler that logs and terminates. This swaps it for one shared
 * listener per endpoint that does the same, and detaches the placeholder response from the socket;
 * callers must not keep the request in closures either. It also drops the TCP socket's cached peer
 * address object (Node keeps `{ address, family, port }` once `remoteAddress` was read, as the HTTP
 * guard and `request.ip` do): callers read the IP before and keep that string; Node reads the
 * address again from the handle if anything asks later. And it takes the socket's slot over from
 * the HTTP guard (`handOverSocketSlot`): the caller gives it back when the socket closes.
 * @returns the function to call with each new socket, once the caller has read `request.ip`; it
 *   returns the IP to give the socket slot back for with `app.sockets.release`, if any
 */
export function upgradeReleaser(log: FastifyBaseLogger): (socket: WebSocket) => string | undefined {
  function onError(this: WebSocket, err: Error): void {
    log.debug({ err }, 'websocket error');
    this.terminate();
  }
  return (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', onError);
    const raw = (socket as unknown as { _socket?: UpgradedSocket })._socket;
    if (!raw) return undefined;
    // The plugin's placeholder ServerResponse stays the TCP socket's current HTTP message after the
    // upgrade; nothing HTTP writes to an upgraded socket, so the link only keeps the request alive.
    // Its own detachSocket also takes back the `close` listener it added (assignSocket's).
    raw._httpMessage?.detachSocket(raw);
    // Assigned, not deleted: a delete would turn the socket into a slower dictionary-mode object.
    if (raw._peername) raw._peername = undefined;
    // Left on the socket: ServerWebSocket's own `close` listener alone, kept as a function, not an array.
    return handOverSocketSlot(raw);
  };
}

type UpgradedSocket = Socket & { _httpMessage?: ServerResponse | null; _peername?: unknown };
