import { createConnection, type Socket } from 'node:net';
import WebSocket from 'ws';
import { Client, ReconnectionTimeMode, type IStompSocket } from '@stomp/stompjs';
import { TCPWrapper } from '@stomp/tcp-wrapper';
import { HubError } from '../../src/domain/errors.js';
import type { EncodedEvent } from '../../src/domain/events.js';
import type { RelayBroker, RelayBrokerSubscription } from './relay-broker.js';

/** Options of the system connection. */
export interface BrokerConnectionOptions {
  /** `stomp://` or `tcp://` (raw STOMP, default port 61613), `ws://` or `wss://` (Web-STOMP); userinfo = login:passcode, path = vhost. */
  url: string;
  /** Heart-beats both ways, ms (0 turns them off). */
  heartbeatMs: number;
  /** Bytes the connection may hold unsent before publishes are dropped (and left to the subscribers' gap fill). */
  maxPendingBytes: number;
  /** How long the first connect, and each subscription's RECEIPT, may take. */
  timeoutMs: number;
  /** First reconnect delay; it doubles per failed attempt up to `maxReconnectMs`. */
  reconnectMs?: number;
  maxReconnectMs?: number;
  /** Where drops, losses and recoveries are reported. */
  observer?: BrokerConnectionObserver;
}

/** Hooks for metrics and logs (kept outside this file so it never imports them). */
export interface BrokerConnectionObserver {
  /** An accepted event was not published to the broker. */
  publishDropped?(reason: 'broker_unavailable' | 'broker_backpressure'): void;
  /** The connection came up or went down, and why. */
  state?(up: boolean, detail: string): void;
}

// The raw TCP socket behind @stomp/tcp-wrapper, kept so the pending bytes can be bounded.
class TcpSocket extends TCPWrapper {
  declare raw: Socket;
  protected override getSocket(port: number, host: string): Socket {
    const socket = createConnection(port, host);
    socket.setNoDelay(true);
    this.raw = socket;
    return socket;
  }
  get bufferedAmount(): number {
    return this.raw.writableLength;
  }
}

/**
 * The relay's one system connection to an external STOMP broker (RabbitMQ's STOMP plugin), built on
 * @stomp/stompjs's Client: it reconnects with exponential back-off and heart-beats both ways. A lost
 * connection drops every broker subscription; `onDown` listeners are told so they can tell their clients.
 */
export class StompBrokerConnection implements RelayBroker {
  private readonly client: Client;
  private socket: IStompSocket & { bufferedAmount?: number } | undefined;
  private up = false;
  private receipts = 0;
  private readonly downListeners = new Set<() => void>();
  private readonly observer: BrokerConnectionObserver;

  private constructor(private readonly options: BrokerConnectionOptions) {
    this.observer = options.observer ?? {};
    const url = new URL(options.url);
    const connectHeaders: Record<string, string> = {};
    if (url.username) connectHeaders.login = decodeURIComponent(url.username);
    if (url.password) connectHeaders.passcode = decodeURIComponent(url.password);
    const vhost = decodeURIComponent(url.pathname.replace(/^\//, ''));
    const tcp = url.protocol === 'stomp:' || url.protocol === 'tcp:';
    if (vhost && tcp) connectHeaders.host = vhost;
    const wsUrl = `${url.protocol}//${url.host}${url.pathname}${url.search}`;
    this.client = new Client({
      webSocketFactory: () => {
        this.socket = tcp ? new TcpSocket(url.hostname, Number(url.port || 61613)) : (new WebSocket(wsUrl, ['v12.stomp', 'v11.stomp', 'v10.stomp']) as unknown as IStompSocket);
        return this.socket;
      },
      connectHeaders,
      heartbeatIncoming: options.heartbeatMs,
      heartbeatOutgoing: options.heartbeatMs,
      connectionTimeout: options.timeoutMs,
      reconnectDelay: options.reconnectMs ?? 200,
      maxReconnectDelay: options.maxReconnectMs ?? 10_000,
      reconnectTimeMode: ReconnectionTimeMode.EXPONENTIAL,
      debug: () => {},
    });
    this.client.onConnect = () => {
      this.up = true;
      this.observer.state?.(true, 'connected');
    };
    this.client.onStompError = (frame) => this.observer.state?.(false, `broker ERROR: ${frame.headers.message ?? ''}`);
    this.client.onWebSocketClose = () => {
      if (!this.up) return;
      this.up = false;
      this.observer.state?.(false, 'connection lost; reconnecting');
      for (const listener of [...this.downListeners]) listener();
    };
  }

  /**
   * Connects and waits for the broker's CONNECTED; from then on, losses are recovered with back-off.
   * @throws Error when the first attempt is refused or not answered within `timeoutMs` (the client is stopped)
   */
  static async connect(options: BrokerConnectionOptions): Promise<StompBrokerConnection> {
    const connection = new StompBrokerConnection(options);
    const client = connection.client;
    const { onConnect, onStompError, onWebSocketClose } = client;
    const restore = () => Object.assign(client, { onConnect, onStompError, onWebSocketClose });
    await new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        clearTimeout(timer);
        restore();
        void client.deactivate();
        reject(new Error(`${new URL(options.url).host}: ${why}`));
      };
      const timer = setTimeout(() => fail(`no STOMP CONNECTED within ${options.timeoutMs} ms`), options.timeoutMs);
      client.onConnect = (frame) => {
        clearTimeout(timer);
        restore();
        onConnect(frame);
        resolve();
      };
      // At boot a refused connection or a refused login is a configuration error, not a fault to ride out.
      client.onStompError = (frame) => fail(`the broker refused the connection: ${frame.headers.message ?? ''}`);
      client.onWebSocketClose = () => fail('connection refused or closed before CONNECTED');
      client.activate();
    });
    return connection;
  }

  get connected(): boolean {
    return this.up && this.client.connected;
  }

  publish(event: EncodedEvent): void {
    if (!this.connected) return this.observer.publishDropped?.('broker_unavailable');
    if ((this.socket?.bufferedAmount ?? 0) > this.options.maxPendingBytes) return this.observer.publishDropped?.('broker_backpressure');
    const { group, seq } = event.event;
    this.client.publish({ destination: `/topic/groups.${group}`, headers: { seq: String(seq), 'content-type': 'application/json' }, body: event.json });
  }

  async subscribe(group: string, onMessage: (seq: number, json: string) => void): Promise<RelayBrokerSubscription> {
    if (!this.connected) throw new HubError('broker_unavailable', 'the relay broker is unreachable; retry later and resubscribe with since');
    const receipt = `relay-${++this.receipts}`;
    let confirmed: () => void = () => {};
    const answered = new Promise<void>((resolve) => (confirmed = resolve));
    this.client.watchForReceipt(receipt, () => confirmed());
    const subscription = this.client.subscribe(
      `/topic/groups.${group}`,
      (message) => {
        const seq = Number(message.headers.seq);
        if (!Number.isSafeInteger(seq) || seq < 1) return; // not one of ours: the relay only forwards seq'd events
        onMessage(seq, message.body);
      },
      { receipt },
    );
    const unsubscribe = () => {
      if (this.client.connected) subscription.unsubscribe();
    };
    let timer: NodeJS.Timeout | undefined;
    let removeDown: () => void = () => {};
    const failed = new Promise<never>((_, reject) => {
      const fail = (why: string) => reject(new HubError('broker_unavailable', `the relay broker ${why}; retry later and resubscribe with since`));
      timer = setTimeout(() => fail(`did not confirm the subscription within ${this.options.timeoutMs} ms`), this.options.timeoutMs);
      removeDown = this.onDown(() => fail('connection was lost'));
    });
    try {
      await Promise.race([answered, failed]);
    } catch (err) {
      unsubscribe();
      throw err;
    } finally {
      clearTimeout(timer);
      removeDown();
    }
    return { unsubscribe };
  }

  onDown(listener: () => void): () => void {
    this.downListeners.add(listener);
    return () => this.downListeners.delete(listener);
  }

  async close(): Promise<void> {
    this.up = false;
    this.downListeners.clear();
    await this.client.deactivate();
  }
}
