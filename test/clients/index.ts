import type { PublishCommand, TransportName } from '../../src/domain/events.js';
import { PollingClient } from './polling.js';
import { SseClient } from './sse.js';
import { WebSocketClient, WebSocketPublisher } from './websocket.js';
import { StompClient, StompPublisher } from './stomp.js';
import type { ClientOptions, Publisher, PublishVia, TestClient } from './types.js';

export type { ClientOptions, Publisher, SubscribeResult, TestClient } from './types.js';
export { PollingClient, SseClient, WebSocketClient, StompClient, WebSocketPublisher, StompPublisher };

/**
 * A subscribing client of `transport` against a server at `baseUrl` (`http://host:port`).
 * One adapter per transport, each the way a real client of that transport works.
 */
export async function openClient(transport: TransportName, baseUrl: string, options: ClientOptions = {}): Promise<TestClient> {
  const wsUrl = baseUrl.replace(/^http/, 'ws');
  switch (transport) {
    case 'short-polling':
    case 'long-polling':
      return new PollingClient(transport, baseUrl, options);
    case 'sse':
      return new SseClient(baseUrl, options);
    case 'websocket':
      return new WebSocketClient(wsUrl, options);
    case 'stomp':
      return new StompClient(wsUrl, options);
    case 'stomp-relay':
      return new StompClient(wsUrl, { ...options, path: '/stomp-relay' });
  }
}

/** HTTP publish: `POST /groups/:group/events`. */
class HttpPublisher implements Publisher {
  readonly via = 'http' as const;
  constructor(
    private readonly baseUrl: string,
    private readonly user?: string,
  ) {}
  async publish(group: string, command: PublishCommand): Promise<number> {
    const query = this.user ? `?user=${this.user}` : '';
    const response = await fetch(`${this.baseUrl}/groups/${group}/events${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(command),
    });
    const body = (await response.json()) as { seq?: number; error?: { code: string; message: string } };
    if (response.status !== 202) throw Object.assign(new Error(`${body.error?.code}: ${body.error?.message}`), { code: body.error?.code });
    return body.seq!;
  }
  async close(): Promise<void> {}
}

/** A publisher over HTTP, WebSocket, STOMP or the STOMP relay. */
export function openPublisher(via: PublishVia, baseUrl: string, user?: string): Publisher {
  const wsUrl = baseUrl.replace(/^http/, 'ws');
  if (via === 'http') return new HttpPublisher(baseUrl, user);
  return via === 'websocket' ? new WebSocketPublisher(wsUrl, user) : new StompPublisher(wsUrl, user, via);
}

/** One-shot publish (opens and closes a publisher). */
export async function publish(baseUrl: string, via: PublishVia, group: string, command: PublishCommand): Promise<number> {
  const publisher = openPublisher(via, baseUrl);
  try {
    return await publisher.publish(group, command);
  } finally {
    await publisher.close();
  }
}
