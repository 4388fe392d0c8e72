import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { countBytesOf } from '../src/http-guard.js';
import type { Socket } from 'node:net';
import type { TokenBucket } from '../src/rate-limiter.js';
import type { EncodedEvent } from '../src/domain/events.js';
import type { TransportMetrics } from '../src/metrics.js';

/**
 * Counts the wire bytes of every response of the routes this (encapsulated) plugin registers after
 * the call, status line and headers included (src/http-guard.ts measures them on the socket). The
 * handler is wrapped when the route is registered: no hook, closure or listener per request.
 */
export function countResponseBytes(app: FastifyInstance, metrics: TransportMetrics): void {
  app.addHook('onRoute', (route) => {
    const handler = route.handler as (this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) => unknown;
    route.handler = function countingBytes(this: FastifyInstance, request: FastifyRequest, reply: FastifyReply) {
      countBytesOf(reply.raw, metrics);
      return handler.call(this, request, reply);
    };
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
