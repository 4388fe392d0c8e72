/**
 * Takes a socket away from Node's HTTP server once the response on it has become a long-lived stream,
 * the way Node itself hands a socket over on `upgrade` (lib/_http_server.js, onParserExecuteCommon's
 * upgrade branch, Node 20). Why: an open SSE stream otherwise keeps Node's whole HTTP machinery alive
 * for its life — the HTTPParser (its C++ object holds 32 + 32 header slots), the IncomingMessage, the
 * ServerResponse and its sent head, the per-socket state and its bound listeners, the entry in the
 * server's ConnectionsList that the request-timeout check walks every second — a measured ~6 KB per
 * idle stream over a bare TCP socket (docs/benchmarks.md; docs/decisions.md, "SSE").
 *
 * These are Node internals, not API. Everything this module relies on is checked first, and nothing is
 * changed unless all of it is as expected: otherwise `detachFromHttpServer` answers `undefined` and the
 * response goes on as an ordinary one (the caller's fallback). The test (test/http-detach.test.ts) runs
 * against the Node in use, so a Node whose internals moved fails it rather than the server.
 *
 * After the detach the socket belongs to the caller alone: it writes the rest of the response's bytes
 * (framing included) straight to the socket and ends it with `endDetached`; nothing it sends afterwards
 * is parsed (a later pipelined request is never answered: the connection closes after the stream).
 */
import { createRequire } from 'node:module';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/** What Node's HTTP server keeps on a socket, read (only after checking its shape) from these names. */
interface NodeParser {
  incoming: unknown;
  socket: unknown;
  _consumed?: boolean;
  unconsume(): void;
  finish(): unknown;
  remove(): void;
}

type NodeSocket = Socket & { parser?: NodeParser | null; _httpMessage?: unknown };
type NodeResponse = ServerResponse & { outputSize?: number; outputData?: unknown[]; detachSocket?(socket: Socket): void };
type Listener = (...args: unknown[]) => void;

/** The Node internals the detach touches; a parameter only so the test can describe a Node that differs. */
export interface NodeHttpInternals {
  /** `_http_common.freeParser`: unconsumes, cleans and removes the parser (ConnectionsList included). */
  freeParser: ((parser: NodeParser, req: IncomingMessage | null, socket: Socket | null) => void) | undefined;
  /** [event, function name] of every listener Node's HTTP server puts on each socket (connectionListenerInternal). */
  socketListeners: readonly (readonly [string, string])[];
}

function loadFreeParser(): NodeHttpInternals['freeParser'] {
  try {
    const common = createRequire(import.meta.url)('node:_http_common') as { freeParser?: unknown };
    return typeof common.freeParser === 'function' ? (common.freeParser as NodeHttpInternals['freeParser']) : undefined;
  } catch {
    return undefined;
  }
}

/** Node 20's: the bound state listeners, socketOnError/socketOnTimeout, and the consume bookkeeping of pause/resume. */
export const nodeHttpInternals: NodeHttpInternals = {
  freeParser: loadFreeParser(),
  socketListeners: [
    ['data', 'bound socketOnData'],
    ['end', 'bound socketOnEnd'],
    ['close', 'bound socketOnClose'],
    ['drain', 'bound socketOnDrain'],
    ['error', 'socketOnError'],
    ['timeout', 'socketOnTimeout'],
    ['resume', 'onSocketResume'],
    ['pause', 'onSocketPause'],
  ],
};

/** How long an ended detached socket may take to flush before it is destroyed (as WebSocket's close grace). */
export const END_GRACE_MS = 2000;

const kGone = Symbol('detachedGone');
type Detached = Socket & { [kGone]?: () => void };

/** The peer is gone (closed, or half-closed: an HTTP server does not keep a half-open socket). */
function onDetachedGone(this: Detached): void {
  const gone = this[kGone];
  if (gone === undefined) return;
  this[kGone] = undefined;
  gone();
  if (!this.writableEnded) endDetached(this);
}

// 'close' follows every socket error: that is where the stream learns of it. Without a listener an
// 'error' (ECONNRESET, EPIPE) would be thrown (Node's socketOnError is gone with the rest).
function ignoreError(): void {}

/**
 * Whether Node's internals are what this module expects, for this response; gathers what it removes.
 * Changes nothing.
 */
function plan(response: NodeResponse, internals: NodeHttpInternals): { socket: NodeSocket; parser: NodeParser; listeners: [string, Listener][] } | undefined {
  if (internals.freeParser === undefined || typeof response.detachSocket !== 'function') return undefined;
  const socket = response.socket as NodeSocket | null;
  const req = response.req as IncomingMessage | undefined;
  if (!socket || socket.destroyed || !socket.writable || req?.socket !== socket || socket._httpMessage !== response) return undefined;
  // The head is out and nothing of the response waits in its own buffer (all of it is the socket's).
  if (!response.headersSent || response.writableEnded || response.outputSize !== 0 || response.outputData?.length !== 0) return undefined;
  // The request was read to its end (no body byte would arrive unparsed), and no later request on the
  // socket has been parsed yet (it would never be answered).
  if (!req.complete) return undefined;
  const parser = socket.parser;
  if (!parser || parser.incoming !== req || parser.socket !== socket) return undefined;
  if (typeof parser.unconsume !== 'function' || typeof parser.finish !== 'function' || typeof parser.remove !== 'function') return undefined;
  const listeners: [string, Listener][] = [];
  for (const [event, name] of internals.socketListeners) {
    const found = socket.listeners(event).filter((listener) => listener.name === name);
    if (found.length !== 1) return undefined;
    listeners.push([event, found[0] as Listener]);
  }
  return { socket, parser, listeners };
}

/**
 * Takes `response`'s socket from Node's HTTP server, as Node does for an upgrade: removes the server's
 * socket listeners, unconsumes and frees the parser (which takes the socket out of the server's
 * ConnectionsList: no request timeout, no `closeAllConnections`/`closeIdleConnections`), and detaches
 * the response (`detachSocket`: the response's own bookkeeping, e.g. src/http-guard.ts's in-flight
 * count, runs as when a response is done). The response is left unfinished and unreferenced.
 *
 * From then on the socket keeps reading and drops what arrives; `onGone` runs once when the peer
 * closes or half-closes it (or it errors), after which the socket is ended if the caller did not.
 *
 * @returns the socket, now the caller's; `undefined` (nothing changed) when the response is not a
 *   plain open response on an HTTP/1 socket of Node's server or Node's internals are not as expected
 */
export function detachFromHttpServer(response: ServerResponse, onGone: () => void, internals: NodeHttpInternals = nodeHttpInternals): Socket | undefined {
  const found = plan(response as NodeResponse, internals);
  if (found === undefined) return undefined;
  const { socket, parser, listeners } = found;
  const detached = socket as NodeSocket & Detached;
  detached[kGone] = onGone;
  socket.on('error', ignoreError);
  socket.on('end', onDetachedGone);
  socket.on('close', onDetachedGone);
  try {
    for (const [event, listener] of listeners) socket.removeListener(event, listener);
    // Node's unconsume(): its pause/resume listeners went above.
    if (parser._consumed) parser.unconsume();
    parser._consumed = false;
    parser.finish();
    internals.freeParser!(parser, response.req, socket);
    (response as NodeResponse).detachSocket!(socket);
  } catch (err) {
    // Half taken: neither Node's server nor the caller could serve it. 'close' tells the caller.
    socket.destroy(err as Error);
    return socket;
  }
  // Read on (and drop what comes) so that the peer's FIN or reset is seen; Node may have paused the
  // socket for a backlog of pipelined answers.
  socket.resume();
  return socket;
}

function destroySocket(this: Socket): void {
  this.destroy();
}

/**
 * Ends a detached socket after `last` (its response's final bytes, framing included): destroyed once
 * everything is handed to the kernel (as Node does for `connection: close`), or after `graceMs` for a
 * peer that does not read (so shutdown and slow-consumer cuts cannot hold it open). Idempotent.
 */
export function endDetached(socket: Socket, last?: Buffer, graceMs: number = END_GRACE_MS): void {
  (socket as Detached)[kGone] = undefined; // the caller ended it: its peer going later is no news
  if (socket.destroyed) return;
  if (socket.writableEnded) return; // ended before: its own finish or grace applies
  if (last) socket.end(last);
  else socket.end();
  if (socket.writableFinished) return void socket.destroy();
  socket.once('finish', destroySocket);
  const grace = setTimeout(() => socket.destroy(), graceMs);
  grace.unref();
  socket.once('close', () => clearTimeout(grace));
}
