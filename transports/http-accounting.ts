import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Socket } from 'node:net';
import type { TokenBucket } from '../src/rate-limiter.js';
import type { EncodedEvent } from '../src/domain/events.js';
import type { TransportMetrics } from '../src/metrics.js';

const kBytesAtStart = Symbol('bytesAtStart');
type WithStart = { [kBytesAtStart]?: number };

/**
 * Counts the wire bytes of every response of this (encapsulated) plugin, status line and headers
 * included, as the difference in the socket's `bytesWritten` across the request.
 */
export function countResponseBytes(app: FastifyInstance, metrics: TransportMetrics): void {
  // Callback hooks, not async ones: an async hook costs a promise and a microtask on every request.
  app.addHook('onRequest', (request, _reply, done) => {
    (request.raw as WithStart)[kBytesAtStart] = request.raw.socket?.bytesWritten ?? 0;
    done();
  });
  app.addHook('onResponse', (request, _reply, done) => {
    const start = (request.raw as WithStart)[kBytesAtStart];
    const now = request.raw.socket?.bytesWritten;
    if (start !== undefined && now !== undefined && now >= start) metrics.sent(now - start);
    done();
  });
}

/**
 * A route's `childLoggerFactory` that hands requests the app's logger itself: no per-request child
 * (pino's `child` and its bindings cost measurably on the polling routes), at the price of no `reqId`
 * on what those routes log (only unexpected errors).
 */
export function appLogger<T>(logger: T): T {
  return logger;
}

// An HTTP client's "connection" for the publish rate is its keep-alive socket.
const socketBuckets = new WeakMap<Socket, TokenBucket | undefined>();

/**
 * Charges an HTTP publish to the client's socket and to the user (RATE_LIMIT_PER_SEC).
 * @throws HubError `rate_limited` (429 with Retry-After)
 */
export function checkHttpPublishRate(app: FastifyInstance, request: FastifyRequest, user: string): void {
  const socket = request.raw.socket;
  let bucket = socketBuckets.get(socket);
  if (bucket === undefined && !socketBuckets.has(socket)) socketBuckets.set(socket, (bucket = app.publishLimiter.connectionBucket()));
  app.publishLimiter.check(user, bucket);
}

/** Counts a poll answer: its result and each event handed over. */
export function accountPoll(metrics: TransportMetrics, events: readonly EncodedEvent[], timedOut: boolean): void {
  metrics.poll(events.length > 0 ? 'events' : timedOut ? 'timeout' : 'empty');
  if (events.length === 0) return;
  const now = Date.now();
  for (const event of events) metrics.delivered(event, now);
}
