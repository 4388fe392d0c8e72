import WebSocket from 'ws';
import { Client, type IFrame, type StompSubscription } from '@stomp/stompjs';
import type { PublishCommand, RtEvent } from '../../src/domain/events.js';
import { ReceivingClient, type ClientOptions, type Publisher, type SubscribeResult, type TestClient } from './types.js';

/** Connects @stomp/stompjs's Client (the reference client) over `ws`. */
export async function connectStomp(wsUrl: string, path = '/stomp', user?: string): Promise<Client> {
  const client = new Client({
    webSocketFactory: () => new WebSocket(`${wsUrl}${path}${user ? `?user=${user}` : ''}`, ['v12.stomp', 'v11.stomp', 'v10.stomp']),
    reconnectDelay: 0,
    heartbeatIncoming: 0,
    heartbeatOutgoing: 0,
    debug: () => {},
  });
  await new Promise<void>((resolve, reject) => {
    client.onConnect = () => resolve();
    client.onStompError = (frame: IFrame) => reject(new Error(`${frame.headers.message}: ${frame.body}`));
    client.onWebSocketError = () => reject(new Error('websocket error'));
    client.activate();
  });
  return client;
}

/** STOMP subscriber with receipts, so subscribe resolves when the subscription is live. */
export class StompClient extends ReceivingClient implements TestClient {
  readonly transport: 'stomp' | 'stomp-relay';
  private client: Client | undefined;
  private subscription: StompSubscription | undefined;
  private receipts = 0;
  /** Headers of every MESSAGE, in order (for header assertions). */
  readonly messageHeaders: Record<string, string>[] = [];

  constructor(
    private readonly wsUrl: string,
    private readonly options: ClientOptions & { path?: string; destination?: (group: string) => string } = {},
  ) {
    super();
    this.transport = options.path === '/stomp-relay' ? 'stomp-relay' : 'stomp';
  }

  async subscribe(group: string, since?: number): Promise<SubscribeResult> {
    this.client ??= await connectStomp(this.wsUrl, this.options.path, this.options.user);
    const receipt = `sub-${++this.receipts}`;
    const answered = new Promise<IFrame>((resolve) => this.client!.watchForReceipt(receipt, resolve));
    const headers: Record<string, string> = { receipt };
    if (since !== undefined) headers.since = String(since);
    const destination = this.options.destination?.(group) ?? `/topic/groups.${group}`;
    this.subscription = this.client.subscribe(
      destination,
      (message) => {
        this.messageHeaders.push(message.headers);
        if (message.headers.truncated === 'true') this.truncated = true;
        this.push(JSON.parse(message.body) as RtEvent);
      },
      headers,
    );
    const frame = await answered;
    if (frame.headers.truncated === 'true') this.truncated = true;
    return { seq: Number(frame.headers.seq), truncated: frame.headers.truncated === 'true' };
  }

  async close(): Promise<void> {
    this.subscription?.unsubscribe();
    await this.client?.deactivate();
  }
}

/** Publishes with SEND + receipt; the RECEIPT carries the accepted seq. */
export class StompPublisher implements Publisher {
  private client: Promise<Client>;
  private receipts = 0;
  constructor(
    wsUrl: string,
    user?: string,
    readonly via: 'stomp' | 'stomp-relay' = 'stomp',
  ) {
    this.client = connectStomp(wsUrl, `/${via}`, user);
  }
  async publish(group: string, command: PublishCommand): Promise<number> {
    const client = await this.client;
    const receipt = `send-${++this.receipts}`;
    const answered = new Promise<IFrame>((resolve) => client.watchForReceipt(receipt, resolve));
    client.publish({ destination: `/app/groups/${group}`, body: JSON.stringify(command), headers: { receipt, 'content-type': 'application/json' } });
    return Number((await answered).headers.seq);
  }
  async close(): Promise<void> {
    await (await this.client).deactivate();
  }
}
