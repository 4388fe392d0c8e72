import type { WebSocket } from 'ws';
import type { Socket } from 'node:net';
import { HubError, toHubError, type ErrorCode } from '../../src/domain/errors.js';
import type { EncodedEvent, PublishCommand, TransportName } from '../../src/domain/events.js';
import type { Hub, Subscriber } from '../../src/domain/hub.js';
import { checkGroup, parseCursor, parsePublishCommand } from '../../src/domain/validate.js';
import type { TransportMetrics } from '../../src/metrics.js';
import { corkForTurn } from '../../src/protocol/cork.js';
import { SendBudget } from '../../src/protocol/send-budget.js';
import { wsFrameOverhead, wsTextFrameHeader } from '../../src/protocol/ws-codec.js';
import { SmallMap } from '../../src/protocol/small-map.js';
import { closeWithin, type LivenessMember } from '../ws-liveness.js';
import { pongWithinBudget, type PingAnswering } from '../ws-upgrade.js';
import { authorize, tokenOf, type Authenticator, type Principal } from '../../src/auth.js';
import { publisherOf, whenExpired } from '../../src/auth-plugin.js';
import type { PublishLimiter, TokenBucket } from '../../src/rate-limiter.js';
import { SharedTicker, type Deadline, type Ticking } from '../../src/timers.js';
import {
  StompCodecError, StompFrameReader, decodeFrame, encodeFrame, encodeMessageHead, encodeMessageTail,
  negotiateHeartbeat, negotiateVersion, type StompFrame, type StompVersion,
} from './codec.js';

/** How destinations map onto groups; the compatibility endpoint supplies its own. */
export interface StompDestinations {
  /** The group a SUBSCRIBE destination names, or undefined when it is not ours. */
  subscribeGroup(destination: string): string | undefined;
  /** The group a SEND destination names, or undefined when it is not ours. */
  sendGroup(destination: string): string | undefined;
  /** The publish command a SEND body carries. */
  parseSend(body: string): PublishCommand;
}

/** `/topic/groups.<group>` to subscribe; `/app/groups/<group>` (or the topic) to send. */
export const canonicalDestinations: StompDestinations = {
  subscribeGroup: (d) => (d.startsWith('/topic/groups.') ? d.slice('/topic/groups.'.length) : undefined),
  sendGroup: (d) => (d.startsWith('/app/groups/') ? d.slice('/app/groups/'.length) : canonicalDestinations.subscribeGroup(d)),
  parseSend: parsePublishCommand,
};

/** Limits and timings of a session. */
export interface StompSessionOptions {
  maxFrameBytes: number;
  maxHeaders: number;
  maxBufferedBytes: number;
  heartbeatMs: number;
  maxSubscriptions: number;
  publishLimiter: PublishLimiter;
  /** The metric and publish-source label (default `stomp`). */
  transport?: Extract<TransportName, 'stomp' | 'stomp-relay'>;
  /** Where SUBSCRIBE streams come from (default the Hub; the relay endpoint brings the external broker's). */
  subscriptions?: StreamSource;
}

/** A subscription's stream as the session drives it; the Hub's `Subscription` is one. */
export interface Stream {
  /** The group's seq when the subscription was made (the SUBSCRIBE RECEIPT's `seq`). */
  readonly head: number;
  /** The cursor was older than history (the loss signal). */
  readonly truncated: boolean;
  /** The events `start()` will replay (bounded by HISTORY_SIZE). */
  readonly replay: readonly EncodedEvent[];
  /** Begins delivery (replay first) once the RECEIPT is written. */
  start(): void;
  /** Stops delivery; safe twice. */
  close(): void;
}

/** Opens streams for SUBSCRIBE frames: `subscriber` receives the events (see the Hub's `Subscriber`). */
export interface StreamSource {
  subscribe(group: string, subscriber: Subscriber & { signalTruncation: boolean }, since: number | undefined): Promise<Stream>;
}

/** Where a session's frame queue starts: one settled promise for all sessions. */
const SETTLED: Promise<void> = Promise.resolve();

/** Heart-beat checks of every session: one interval per negotiated period, not a timer per session. */
const heartbeats = new SharedTicker();

const WS_CLOSE_ERROR = 1008;
const WS_CLOSE_SLOW_CONSUMER = 4008;
/** How long a peer gets to answer our close frame before its socket is destroyed. */
export const CLOSE_GRACE_MS = 2000;

/** One SUBSCRIBE: a Hub subscriber whose MESSAGE head (subscription, destination) is encoded once. */
class StompSubscription implements Subscriber {
  subscription: Stream | undefined = undefined;
  /** The next MESSAGE carries `truncated:true` (history was cut before it). */
  signalTruncation = false;
  constructor(
    private readonly session: StompSession,
    readonly transport: TransportName,
    readonly user: string,
    private readonly head: Buffer,
  ) {}
  deliver(event: EncodedEvent, replay: boolean): void {
    if (this.signalTruncation) {
      this.signalTruncation = false;
      return this.session.writeMessage(messageFrame(this.head, encodeMessageTail(event.event.group, event.event.seq, event.json, true)), event, replay);
    }
    if (event.stompHead === this.head) return this.session.writeMessage(event.stompFrame!, event, replay);
    const tail = (event.stomp ??= encodeMessageTail(event.event.group, event.event.seq, event.json));
    if (event.stompHead !== undefined) return this.session.writeMessage(tail, event, replay, this.head);
    // The first head an event meets keeps its whole frame: every subscriber with the same (interned)
    // head then gets the same bytes, one write and no allocation each.
    event.stompHead = this.head;
    event.stompFrame = messageFrame(this.head, tail);
    this.session.writeMessage(event.stompFrame, event, replay);
  }
}

/**
 * A STOMP 1.0–1.2 session over one WebSocket: CONNECT negotiation, heart-beats, SUBSCRIBE/UNSUBSCRIBE,
 * SEND, RECEIPT, DISCONNECT and ERROR (after which the connection closes, as the spec says). It is
 * its own SendBudget (the budget's fields in the session, not an object more per connection).
 */
export class StompSession extends SendBudget implements LivenessMember, Ticking, PingAnswering {
  private version: StompVersion | undefined = undefined;
  private readonly reader: StompFrameReader;
  private readonly subs = new SmallMap<string, StompSubscription>();
  private queue: Promise<void> = SETTLED; // frames are handled in order, one after the other
  readonly raw: Socket;
  /** Negotiated heart-beat periods (0 = none) and the shared ticker's period this session is in (0 = none). */
  private beatSendMs = 0;
  private beatExpectMs = 0;
  private beatTick = 0;
  private lastReceived = Date.now();
  private lastSent = Date.now();
  private closing = false;
  private expiry: Deadline | undefined = undefined;
  private readonly publishBucket: TokenBucket | undefined;
  /** Protocol-level pings (in addition to heart-beats, which a client may turn off): see ws-liveness. */
  readAtPing = -1;
  /** Why the connection closed, for the metric. */
  closeReason = 'client';
  /** The TCP socket's slot, taken over from the HTTP guard: given back on close (upgradeReleaser). */
  socketSlotIp: string | undefined = undefined;

  constructor(
    readonly socket: WebSocket,
    private user: string,
    /** The principal from the upgrade request, or null (auth off, or the token comes with CONNECT). */
    private principal: Principal | null,
    /** Set when auth is on: CONNECT must then carry a token unless the upgrade did. */
    private readonly auth: Authenticator | null,
    private readonly hub: Hub,
    private readonly metrics: TransportMetrics,
    private readonly destinations: StompDestinations,
    private readonly options: StompSessionOptions,
    /** The client address, for the per-IP connection count (the upgrade request itself is not kept). */
    readonly ip: string,
  ) {
    super(options.maxBufferedBytes);
    this.reader = new StompFrameReader({ maxFrameBytes: options.maxFrameBytes, maxHeaders: options.maxHeaders });
    this.publishBucket = options.publishLimiter.connectionBucket();
    this.raw = (socket as unknown as { _socket: Socket })._socket; // ws's field, kept by ServerWebSocket: written to directly, corked per turn
  }

  deadPeer(): void {
    this.closeReason = 'dead_peer';
    this.releaseSubscriptions();
    this.socket.terminate();
  }

  pinged(bytes: number): void {
    this.metrics.sent(bytes);
  }

  answerPing(data: Buffer): void {
    if (pongWithinBudget(this, this.socket, data, this.metrics)) return;
    this.closeReason = 'slow_consumer'; // terminated at once: an ERROR frame would only queue behind the pongs
    this.releaseSubscriptions();
    this.socket.terminate();
  }

  /** Feeds one WebSocket message. Frames are handled strictly in order. */
  onMessage(data: Buffer): void {
    this.lastReceived = Date.now();
    if (this.closing) return;
    let raws;
    try {
      raws = this.reader.push(data).frames;
    } catch (err) {
      const code: ErrorCode = err instanceof StompCodecError ? err.code : 'invalid_request';
      return this.fail(code, (err as Error).message);
    }
    for (const raw of raws) {
      this.queue = this.queue.then(() => this.handle(raw)).catch((err: unknown) => {
        const hubError = err instanceof StompCodecError ? new HubError(err.code, err.message) : toHubError(err);
        this.fail(hubError.code, hubError.message, WS_CLOSE_ERROR, hubError.retryAfter);
      });
    }
  }

  private async handle(raw: Parameters<typeof decodeFrame>[0]): Promise<void> {
    if (this.closing) return;
    const frame = decodeFrame(raw, this.version);
    const receipt = frame.headers.get('receipt');
    if (this.version === undefined && frame.command !== 'CONNECT' && frame.command !== 'STOMP') {
      throw new HubError('invalid_request', `expected CONNECT, got ${frame.command || 'an empty frame'}`);
    }
    switch (frame.command) {
      case 'CONNECT':
      case 'STOMP':
        return this.connect(frame);
      case 'SUBSCRIBE':
        return this.subscribe(frame, receipt);
      case 'UNSUBSCRIBE':
        return this.unsubscribe(frame, receipt);
      case 'SEND':
        return this.send(frame, receipt);
      case 'ACK':
      case 'NACK': // every subscription behaves as ack:auto, so there is nothing to acknowledge
        return this.receipt(receipt);
      case 'BEGIN':
      case 'COMMIT':
      case 'ABORT':
        throw new HubError('invalid_request', 'transactions are not supported');
      case 'DISCONNECT':
        this.receipt(receipt);
        this.closeReason = 'client';
        return this.close(1000, 'disconnect');
      default:
        throw new HubError('unknown_op', `unknown command ${frame.command}`);
    }
  }

  private connect(frame: StompFrame): void {
    if (this.version !== undefined) throw new HubError('invalid_request', 'already connected');
    const version = negotiateVersion(frame.headers.get('accept-version'));
    if (!version) throw new HubError('invalid_request', 'supported versions are 1.0, 1.1, 1.2');
    const beat = negotiateHeartbeat(frame.headers.get('heart-beat'), [this.options.heartbeatMs, this.options.heartbeatMs]);
    if (this.auth && !this.principal) {
      // The token may come as the passcode (login is ignored: the token names the user) or an Authorization header.
      const authorization = frame.headers.get('authorization') ?? frame.headers.get('Authorization');
      this.principal = this.auth.verify(tokenOf(authorization, frame.headers.get('passcode')));
    }
    if (this.principal) {
      this.user = this.principal.user;
      this.expiry = whenExpired(this.principal, () => this.fail('unauthorized', 'the token has expired'));
    }
    this.version = version;
    const headers: Record<string, string> = { version, server: 'realtime-arena/0.1', session: `s-${Math.random().toString(36).slice(2, 10)}` };
    headers['heart-beat'] = `${this.options.heartbeatMs},${this.options.heartbeatMs}`;
    this.writeText(encodeFrame('CONNECTED', headers, '', version));
    this.startHeartbeats(beat.send, beat.expect);
  }

  private async subscribe(frame: StompFrame, receipt: string | undefined): Promise<void> {
    const destination = required(frame, 'destination');
    const id = frame.headers.get('id') ?? (this.version === '1.0' ? destination : required(frame, 'id'));
    const group = this.destinations.subscribeGroup(destination);
    if (group === undefined) throw new HubError('not_found', `no such destination ${destination}`);
    checkGroup(group);
    authorize(this.principal, group);
    if (this.subs.has(id)) throw new HubError('invalid_request', `subscription id ${id} is already in use`);
    if (this.subs.size >= this.options.maxSubscriptions) throw new HubError('invalid_request', `at most ${this.options.maxSubscriptions} subscriptions per connection`);
    const since = parseCursor(frame.headers.get('since'));
    const subscriber = new StompSubscription(this, this.options.transport ?? 'stomp', this.user, encodeMessageHead(id, destination, this.version!));
    this.subs.set(id, subscriber);
    const subscription = await (this.options.subscriptions ?? this.hub).subscribe(group, subscriber, since).catch((err: unknown) => {
      this.subs.delete(id);
      throw err;
    });
    if (this.closing || this.subs.get(id) !== subscriber) return subscription.close();
    subscriber.subscription = subscription;
    subscriber.signalTruncation = subscription.truncated;
    // One replay past MAX_BUFFERED_BYTES at a time: asking for another while one is queued past it cuts.
    if (subscription.replay.length > 0 && !this.admitReplay(this.socket.bufferedAmount)) return this.cut();
    if (receipt !== undefined) {
      const headers: Record<string, string> = { 'receipt-id': receipt, seq: String(subscription.head) };
      if (subscription.truncated) headers.truncated = 'true';
      this.writeText(encodeFrame('RECEIPT', headers, '', this.version!));
    }
    subscription.start();
  }

  private unsubscribe(frame: StompFrame, receipt: string | undefined): void {
    const id = frame.headers.get('id') ?? (this.version === '1.0' ? frame.headers.get('destination') : undefined);
    if (id === undefined) throw new HubError('invalid_request', 'UNSUBSCRIBE needs an id header');
    const subscriber = this.subs.get(id);
    if (!subscriber) throw new HubError('not_subscribed', `no subscription ${id}`);
    subscriber.subscription?.close();
    this.subs.delete(id);
    this.receipt(receipt);
  }

  private async send(frame: StompFrame, receipt: string | undefined): Promise<void> {
    const destination = required(frame, 'destination');
    const group = this.destinations.sendGroup(destination);
    if (group === undefined) throw new HubError('not_found', `no such destination ${destination}`);
    checkGroup(group);
    authorize(this.principal, group);
    const command = this.destinations.parseSend(frame.body);
    const user = publisherOf(this.principal, command.user, this.user);
    this.options.publishLimiter.check(user, this.publishBucket);
    const event = await this.hub.publish(group, command, user, this.options.transport ?? 'stomp');
    if (receipt !== undefined) this.writeText(encodeFrame('RECEIPT', { 'receipt-id': receipt, seq: String(event.event.seq) }, '', this.version!));
  }

  private receipt(receipt: string | undefined): void {
    if (receipt !== undefined) this.writeText(encodeFrame('RECEIPT', { 'receipt-id': receipt }, '', this.version ?? '1.2'));
  }

  /**
   * Writes one MESSAGE, cutting a consumer that fell behind: `bytes` is a whole WebSocket frame, or
   * with `head` the frame's tail, then written as header, head and tail (corked, no concatenation).
   */
  writeMessage(bytes: Buffer, event: EncodedEvent, replay: boolean, head?: Buffer): void {
    if (this.closing) return;
    const header = head ? wsTextFrameHeader(head.length + bytes.length) : undefined;
    const length = header ? header.length + head!.length + bytes.length : bytes.length;
    if (!this.allows(this.socket.bufferedAmount, length, replay)) return this.cut();
    if (this.socket.readyState !== this.socket.OPEN) return;
    corkForTurn(this.raw);
    if (header) {
      this.raw.write(header);
      this.raw.write(head!);
    }
    this.raw.write(bytes);
    this.lastSent = event.handedAt || Date.now();
    this.metrics.sent(length);
    this.metrics.delivered(event, this.lastSent);
  }

  /** Writes a control frame within MAX_BUFFERED_BYTES (cutting the consumer past it); `last` before a close skips the check. */
  private writeText(frame: string, last = false): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    const length = Buffer.byteLength(frame);
    const wire = length + wsFrameOverhead(length);
    if (!last && !this.allows(this.socket.bufferedAmount, wire, false)) return this.cut();
    this.socket.send(frame);
    this.lastSent = Date.now();
    this.metrics.sent(wire);
  }

  /** Cuts a consumer whose unsent bytes passed the bound; it can resume by cursor. */
  private cut(): void {
    if (this.closing) return;
    this.metrics.dropped('slow_consumer');
    this.fail('slow_consumer', `more than ${this.options.maxBufferedBytes} bytes unsent; resubscribe with a since header`, WS_CLOSE_SLOW_CONSUMER);
  }

  /** Sends ERROR (`message` = the code, `retry-after` in s when rate limited) and closes, as STOMP requires. */
  fail(code: ErrorCode, explanation: string, wsCode = WS_CLOSE_ERROR, retryAfter?: number): void {
    if (this.closing) return;
    const headers: Record<string, string> = { message: code, 'content-type': 'text/plain' };
    if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
    this.writeText(encodeFrame('ERROR', headers, explanation, this.version ?? '1.2'), true);
    this.closeReason = code === 'slow_consumer' ? 'slow_consumer' : code === 'shutting_down' ? 'shutdown' : 'error';
    this.close(wsCode, code);
  }

  private startHeartbeats(sendMs: number, expectMs: number): void {
    const tick = Math.min(sendMs || Infinity, expectMs || Infinity);
    if (tick === Infinity) return;
    this.beatSendMs = sendMs;
    this.beatExpectMs = expectMs;
    this.beatTick = heartbeats.join(this, tick);
  }

  /** One heart-beat period went by (the shared ticker calls this). */
  tick(now: number): void {
    // Spec: be lenient with the peer; a silence of twice the negotiated period means it is gone.
    if (this.beatExpectMs > 0 && now - this.lastReceived > this.beatExpectMs * 2) {
      this.closeReason = 'dead_peer';
      this.releaseSubscriptions();
      this.socket.terminate();
      return;
    }
    if (this.beatSendMs > 0 && now - this.lastSent >= this.beatSendMs - this.beatTick / 2) this.writeText('\n');
  }

  private close(code: number, reason: string): void {
    this.closing = true;
    this.releaseSubscriptions();
    closeWithin(this.socket, code, reason, CLOSE_GRACE_MS);
  }

  /** Releases every subscription and timer; called on every close path. */
  releaseSubscriptions(): void {
    if (this.beatTick > 0) heartbeats.leave(this, this.beatTick);
    this.beatTick = 0;
    this.expiry?.clear();
    for (const subscriber of this.subs.values()) subscriber.subscription?.close();
    this.subs.clear();
  }
}

/** A whole unmasked WebSocket text frame carrying a MESSAGE: its head and tail. */
function messageFrame(head: Buffer, tail: Buffer): Buffer {
  return Buffer.concat([wsTextFrameHeader(head.length + tail.length), head, tail]);
}

function required(frame: StompFrame, header: string): string {
  const value = frame.headers.get(header);
  if (value === undefined || value === '') throw new HubError('invalid_request', `${frame.command} needs a ${header} header`);
  return value;
}
