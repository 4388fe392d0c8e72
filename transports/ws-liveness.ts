import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';

/** An empty ping frame from the server: two header bytes. */
const PING_FRAME_BYTES = 2;

/**
 * Protocol-level liveness for the WebSocket-based transports: a peer that has sent nothing since
 * the previous ping (no pong, nor anything else) by the time of the next one is dropped, which also
 * finds half-open TCP connections. The evidence is the TCP socket's byte count, not a `pong`
 * listener: a listener is a closure and an emitter entry per connection, the count is already there.
 * A pong is 6 bytes from a client (masked), so an answering peer always moves it.
 */
export interface LivenessMember {
  /** The WebSocket, to ping. */
  readonly socket: WebSocket;
  /** Its TCP socket, whose `bytesRead` says whether the peer sent anything. */
  readonly raw: Socket;
  /** `raw.bytesRead` when the last ping went out; -1 before the first ping. */
  readAtPing: number;
  /** The peer sent nothing since the last ping: drop it. */
  deadPeer(): void;
  /** A ping of `bytes` wire bytes went out (for `rt_bytes_sent_total`). */
  pinged(bytes: number): void;
}

/** Pings the member, or declares it dead when nothing arrived since the previous ping. */
export function checkLiveness(member: LivenessMember): void {
  const read = member.raw.bytesRead;
  if (member.readAtPing >= 0 && read === member.readAtPing) return member.deadPeer();
  member.readAtPing = read;
  member.socket.ping();
  member.pinged(PING_FRAME_BYTES);
}

/**
 * One timer per endpoint (not per connection, so idle connections cost no timers) that checks every
 * member's liveness each `intervalMs`; stopped when the app closes.
 */
export function checkLivenessEvery(app: FastifyInstance, intervalMs: number, members: Set<LivenessMember>): void {
  const timer = setInterval(() => {
    for (const member of members) checkLiveness(member);
  }, intervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}

/**
 * Closes with a code and reason, then terminates the socket if the peer has not completed the close
 * handshake within `graceMs`. `ws` would otherwise wait 30 s for a peer that is not reading (a slow
 * consumer, a stalled process), holding its buffers and, on shutdown, the server's close.
 */
export function closeWithin(socket: WebSocket, code: number, reason: string, graceMs: number): void {
  socket.close(code, reason);
  const timer = setTimeout(() => socket.terminate(), graceMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
