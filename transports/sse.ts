import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FastifySSEPlugin } from 'fastify-sse-v2';
import { groupParamsSchema, sseQuerySchema } from '../src/domain/schemas.js';
import { parseCursor } from '../src/domain/validate.js';
import type { EncodedEvent } from '../src/domain/events.js';
import type { Subscriber, Subscription } from '../src/domain/hub.js';
import { HubError } from '../src/domain/errors.js';
import type { TransportMetrics } from '../src/metrics.js';
import { corkForTurn } from '../src/protocol/cork.js';
import { SendBudget } from '../src/protocol/send-budget.js';
import { HTTP_LAST_CHUNK, SSE_HEARTBEAT, encodeSseControl, encodeSseEvent, encodeSseRetry, httpChunk } from '../src/protocol/sse-codec.js';
import { detachFromHttpServer, endDetached } from '../src/http-detach.js';
import { PluginWriter, type SseWriter } from './sse-plugin-writer.js';
import { whenExpired } from '../src/auth-plugin.js';
import { clampedTimeout, type Deadline } from '../src/timers.js';
import { logsRequests } from '../src/log-format.js';

/** Client reconnect delay announced on open. */
const RETRY_MS = 3000;
const HEARTBEAT_CHUNK = httpChunk(SSE_HEARTBEAT);

/**
 * Writes pre-encoded blocks straight to the response's socket: the default writer. Once the head is
 * out, a chunked response's events go to the socket as pre-encoded chunks (`EncodedEvent.sseChunk`,
 * shared by every stream), so Node does not frame each write per recipient.
 *
 * A stream that only the client or the server's own reasons end (no `limit`/`timeout`) is moreover
 * taken from Node's HTTP server once its head is out (src/http-detach.ts): the parser, request,
 * response and Fastify's objects are let go for the stream's life (~6 KB per idle stream). It then
 * ends by writing the last chunk and closing the connection. Otherwise (a bounded stream, whose
 * connection a client such as k6 reuses; LOG_LEVEL=debug, where Fastify logs the request at its end;
 * a Node whose internals differ) `end()` goes through the response, which writes the last chunk and
 * the terminator and keeps the connection alive.
 */
class DirectWriter implements SseWriter {
  private socket: Socket | null = null;
  /** The socket is ours alone (src/http-detach.ts): every byte, the end included, goes to it. */
  private detached = false;
  chunked = false;
  /** The response until detached; the Fastify reply is not kept (the stream needs only Node's response). */
  private raw: FastifyReply['raw'] | null;
  private reply: FastifyReply | undefined;
  /**
   * @param releaseReply drop Fastify's hold on the reply once hijacked (see `open`)
   * @param detach take the socket from Node's HTTP server once the head is out, where it can be
   */
  constructor(
    reply: FastifyReply,
    private readonly releaseReply: boolean,
    private readonly detach: boolean,
  ) {
    this.reply = reply;
    this.raw = reply.raw;
  }
  open(status: number, headers: Record<string, string>, first: Buffer, onClientGone: () => void): void {
    const raw = this.raw!;
    this.reply!.hijack();
    this.reply = undefined;
    // Fastify keeps the reply (and through it the request, its child logger, query and headers:
    // ~1 KB) reachable for the stream's whole life from its `finish`/`error` listener, only to run
    // onResponse hooks and the request log when the stream ends. No onResponse hook of ours does
    // anything for a stream, and request logging is off below LOG_LEVEL=debug: then let it go.
    // Node's own `finish` listener (keep-alive bookkeeping) is another function and stays.
    if (this.releaseReply) {
      for (const event of ['finish', 'error'] as const) {
        for (const listener of raw.listeners(event)) if (listener.name === 'onResFinished') raw.removeListener(event, listener as () => void);
      }
    }
    raw.writeHead(status, headers);
    raw.write(first); // sends the head: later bytes may go to the socket directly
    this.socket = raw.socket;
    // Only when the head went to the socket's own queue (Node may hold it corked until the next tick:
    // later socket writes still follow it), not into the response's buffer behind an earlier answer.
    const socket = this.socket as (Socket & { _httpMessage?: unknown }) | null;
    this.chunked = (raw as { chunkedEncoding?: boolean }).chunkedEncoding === true && socket?._httpMessage === raw && raw.writableLength === socket.writableLength;
    // Detached only with Fastify's listener gone (else the request log would never be written) and
    // when the body is chunked (the chunks we write are then the whole rest of the response).
    if (this.detach && this.releaseReply && this.chunked && detachFromHttpServer(raw, onClientGone) !== undefined) {
      this.detached = true;
      this.raw = null;
      return;
    }
    // Node keeps the sent head as `_header` for the response's life, as the rope of concatenations
    // that built it (~27 string pieces, ~0.9 KB per open stream); an equal flat string is one piece.
    const head = (raw as unknown as { _header?: unknown })._header;
    if (typeof head === 'string') (raw as unknown as { _header: string })._header = Buffer.from(head, 'latin1').toString('latin1');
    // `on`, not `once` (close is idempotent; `once` adds a wrapper object and a bound function per stream).
    raw.on('close', onClientGone);
  }
  write(block: Buffer, chunk?: Buffer): void {
    if (this.chunked && chunk) {
      if (this.socket!.destroyed) return;
      corkForTurn(this.socket!);
      this.socket!.write(chunk);
      return;
    }
    corkForTurn(this.raw!);
    this.raw!.write(block);
  }
  get pendingBytes(): number {
    return this.detached ? this.socket!.writableLength : this.raw!.writableLength;
  }
  end(last?: Buffer): void {
    if (this.detached) endDetached(this.socket!, last ? Buffer.concat([httpChunk(last), HTTP_LAST_CHUNK]) : HTTP_LAST_CHUNK);
    else this.raw!.end(last);
  }
}

/** One open event stream on one group. */
class SseStream implements Subscriber {
  readonly transport = 'sse' as const;
  subscription: Subscription | undefined = undefined;
  private delivered = 0;
  private closed = false;
  private readonly budget: SendBudget;

  constructor(
    readonly user: string | undefined,
    private readonly writer: SseWriter,
    private readonly metrics: TransportMetrics,
    private readonly maxBuffered: number,
    private readonly limit: number,
    private readonly onClose: (stream: SseStream) => void,
  ) {
    this.budget = new SendBudget(maxBuffered);
  }

  deliver(event: EncodedEvent, replay: boolean): void {
    if (this.closed) return;
    const block = (event.sse ??= encodeSseEvent(event.event.seq, event.event.type, event.json));
    const chunk = this.writer.chunked ? (event.sseChunk ??= httpChunk(block)) : undefined;
    const length = chunk ? chunk.length : block.length;
    if (!this.budget.allows(this.writer.pendingBytes, length, replay)) return this.slowConsumer();
    this.writer.write(block, chunk);
    this.metrics.sent(block.length); // the SSE bytes, as with either writer (chunk framing is HTTP's)
    this.metrics.delivered(event, event.handedAt || Date.now());
    if (++this.delivered >= this.limit) this.close('answered');
  }

  heartbeat(): void {
    if (this.closed) return;
    const chunk = this.writer.chunked ? HEARTBEAT_CHUNK : undefined;
    this.writer.write(SSE_HEARTBEAT, chunk);
    this.metrics.sent(SSE_HEARTBEAT.length);
  }

  /** Ends the stream, optionally with a last control block; idempotent. */
  close(reason: string, last?: Buffer): void {
    if (this.closed) return;
    this.closed = true;
    this.subscription?.close();
    if (last) this.metrics.sent(last.length);
    this.writer.end(last);
    this.metrics.connectionClosed(reason);
    this.onClose(this);
  }

  private slowConsumer(): void {
    this.metrics.dropped('slow_consumer');
    const last = this.subscription?.lastSeq ?? 0;
    this.close('slow_consumer', encodeSseControl('error', { code: 'slow_consumer', message: `more than ${this.maxBuffered} bytes unsent; resume with Last-Event-ID: ${last}` }));
  }
}

/** Options of one SSE stream. */
export interface SseStreamOptions {
  group: string;
  since: number | undefined;
  user: string | undefined;
  /** End after this many events. */
  limit: number | undefined;
  /** End after this many ms. */
  timeoutMs: number | undefined;
}

/**
 * SSE streaming as a reusable piece (the compatibility aliases use it too): heartbeats, shutdown,
 * and `open(request, reply, options)` for one stream.
 */
export async function createSseStreamer(app: FastifyInstance) {
  if (app.config.sseWriter === 'plugin') await app.register(FastifySSEPlugin, { retryDelay: false });
  const metrics = app.metrics.transport('sse');
  const streams = new Set<SseStream>();
  const { sseWriter, maxBufferedBytes, sseHeartbeatMs } = app.config;
  // Where Fastify logs requests it needs its reply when the stream ends: keep it there.
  const releaseReply = !logsRequests(app.config);

  const heartbeat = setInterval(() => {
    for (const stream of streams) stream.heartbeat();
  }, sseHeartbeatMs);
  heartbeat.unref();
  app.addHook('preClose', async () => {
    clearInterval(heartbeat);
    const bye = encodeSseControl('error', { code: 'shutting_down', message: 'server restarting; reconnect' });
    for (const stream of [...streams]) stream.close('shutdown', bye);
  });

  return async function open(request: FastifyRequest, reply: FastifyReply, options: SseStreamOptions): Promise<FastifyReply> {
    const { ip } = request; // the closures below keep the address, not the request
    app.connections.acquire(ip);
    metrics.connectionOpened();
    let timer: NodeJS.Timeout | undefined;
    let expiry: Deadline | undefined;
    // A bounded stream keeps Node's HTTP server: its connection stays alive after it for the next request.
    const unbounded = options.limit === undefined && options.timeoutMs === undefined;
    const writer: SseWriter = sseWriter === 'plugin' ? new PluginWriter(reply) : new DirectWriter(reply, releaseReply, unbounded);
    const stream = new SseStream(options.user, writer, metrics, maxBufferedBytes, options.limit ?? Infinity, (s) => {
      streams.delete(s);
      clearTimeout(timer);
      expiry?.clear();
      app.connections.release(ip);
    });
    try {
      stream.subscription = await app.hub.subscribe(options.group, stream, options.since);
    } catch (err) {
      app.connections.release(ip);
      metrics.connectionClosed('error');
      throw err;
    }
    const subscription = stream.subscription;
    let first = encodeSseRetry(RETRY_MS);
    if (subscription.truncated) {
      first = Buffer.concat([first, encodeSseControl('truncated', { group: options.group, seq: subscription.head })]);
    }
    writer.open(200, SSE_HEADERS, first, () => stream.close('client'));
    metrics.sent(first.length);
    streams.add(stream);
    if (options.timeoutMs !== undefined) timer = clampedTimeout(() => stream.close('answered'), options.timeoutMs);
    expiry = whenExpired(request.principal, () =>
      stream.close('expired', encodeSseControl('error', { code: 'unauthorized', message: 'the token has expired' })),
    );
    subscription.start();
    return reply;
  };
}

const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-transform',
  connection: 'keep-alive',
  'x-accel-buffering': 'no',
};

type SseQuery = { since?: number; user?: string; limit?: number; timeout?: number };

/**
 * SSE: `GET /sse/groups/:group?since=N` (or `Last-Event-ID: N`, which wins). Each event is
 * `id: <seq>` / `event: <type>` / `data: <json>`; `retry:` on open; a comment heartbeat; `event:
 * truncated` when history was cut. `limit`/`timeout` end the stream (for clients such as stock k6).
 */
export default async function sse(app: FastifyInstance): Promise<void> {
  const open = await createSseStreamer(app);

  app.get<{ Params: { group: string }; Querystring: SseQuery }>(
    '/sse/groups/:group',
    { schema: { params: groupParamsSchema, querystring: sseQuerySchema } },
    async (request, reply) => {
      const lastEventId = request.headers['last-event-id'];
      if (Array.isArray(lastEventId)) throw new HubError('invalid_cursor', 'one Last-Event-ID header at most');
      // An EventSource that reset its last event ID sends none; an empty header means the same.
      const since = lastEventId !== undefined && lastEventId !== '' ? parseCursor(lastEventId) : request.query.since;
      const { limit, timeout, user } = request.query;
      return open(request, reply, { group: request.params.group, since, user: request.principal?.user ?? user, limit, timeoutMs: timeout });
    },
  );
}
