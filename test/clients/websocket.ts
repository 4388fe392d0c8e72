import WebSocket from 'ws';
import type { PublishCommand, RtEvent } from '../../src/domain/events.js';
import { ReceivingClient, type ClientOptions, type Publisher, type SubscribeResult, type TestClient } from './types.js';

type Reply = { op: string; ref?: string | number; seq?: number; truncated?: boolean; code?: string; message?: string; event?: RtEvent };

/** A JSON-ops WebSocket connection with request/reply by `ref`. */
export class WsConnection {
  readonly socket: WebSocket;
  readonly opened: Promise<void>;
  /** Every reply op that was not an event, in order. */
  readonly replies: Reply[] = [];
  private refs = 0;
  private readonly pending = new Map<string, { resolve: (r: Reply) => void; reject: (e: Error) => void }>();
  onEvent: (event: RtEvent) => void = () => {};

  constructor(wsUrl: string, user?: string) {
    this.socket = new WebSocket(`${wsUrl}/ws${user ? `?user=${user}` : ''}`);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.socket.on('message', (data) => {
      const reply = JSON.parse(data.toString()) as Reply;
      if (reply.op === 'event') return this.onEvent(reply.event!);
      this.replies.push(reply);
      const key = reply.ref === undefined ? undefined : String(reply.ref);
      const waiter = key === undefined ? undefined : this.pending.get(key);
      if (!waiter) return;
      this.pending.delete(key!);
      if (reply.op === 'error') waiter.reject(Object.assign(new Error(`${reply.code}: ${reply.message}`), { code: reply.code }));
      else waiter.resolve(reply);
    });
  }

  /** Sends an op with a fresh ref and resolves with its reply. */
  async request(op: Record<string, unknown>): Promise<Reply> {
    await this.opened;
    const ref = `r${++this.refs}`;
    const reply = new Promise<Reply>((resolve, reject) => this.pending.set(ref, { resolve, reject }));
    this.socket.send(JSON.stringify({ ...op, ref }));
    return reply;
  }

  close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** WebSocket subscriber through the `ws` package. */
export class WebSocketClient extends ReceivingClient implements TestClient {
  readonly transport = 'websocket' as const;
  readonly connection: WsConnection;

  constructor(wsUrl: string, options: ClientOptions = {}) {
    super();
    this.connection = new WsConnection(wsUrl, options.user);
    this.connection.onEvent = (event) => this.push(event);
  }

  async subscribe(group: string, since?: number): Promise<SubscribeResult> {
    const reply = await this.connection.request(since === undefined ? { op: 'subscribe', group } : { op: 'subscribe', group, since });
    if (reply.truncated) this.truncated = true;
    return { seq: reply.seq, truncated: reply.truncated === true };
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

/** Publishes with `{"op":"publish"}` and waits for the ack. */
export class WebSocketPublisher implements Publisher {
  readonly via = 'websocket' as const;
  private readonly connection: WsConnection;
  constructor(wsUrl: string, user?: string) {
    this.connection = new WsConnection(wsUrl, user);
  }
  async publish(group: string, command: PublishCommand): Promise<number> {
    const reply = await this.connection.request({ op: 'publish', group, event: command });
    return reply.seq!;
  }
  close(): Promise<void> {
    return this.connection.close();
  }
}
