import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';

/**
 * Protocol-level liveness for the WebSocket-based transports: a peer that has not answered the
 * previous ping by the time of the next one is dropped, which also finds half-open TCP connections.
 */
/** An empty ping frame from the server: two header bytes. */
const PING_FRAME_BYTES = 2;

export class Liveness {
  private alive = true;

  /**
   * @param onDead called instead of pinging when the previous ping went unanswered
   * @param onPing called with the wire bytes of each ping sent (for `rt_bytes_sent_total`)
   */
  constructor(
    private readonly socket: WebSocket,
    private readonly onDead: () => void,
    private readonly onPing: (bytes: number) => void = () => {},
  ) {
    socket.on('pong', () => (this.alive = true));
  }

  /** Pings, or declares the peer dead when the last ping was not answered. */
  check(): void {
    if (!this.alive) return this.onDead();
    this.alive = false;
    this.socket.ping();
    this.onPing(PING_FRAME_BYTES);
  }
}

/**
 * One timer per endpoint (not per connection, so idle connections cost no timers) that checks every
 * member's liveness each `intervalMs`; stopped when the app closes.
 */
export function checkLivenessEvery(app: FastifyInstance, intervalMs: number, members: Set<{ liveness: Liveness }>): void {
  const timer = setInterval(() => {
    for (const member of members) member.liveness.check();
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
