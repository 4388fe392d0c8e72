import type { TransportName } from '../../src/domain/events.js';
import { LongPollingClient } from './long-polling.js';
import { ShortPollingClient } from './short-polling.js';
import { SseClient } from './sse.js';
import { StompClient } from './stomp.js';
import { PublisherClient } from './publisher.js';
import type { BenchClient, ClientContext, ClientSpec } from './types.js';
import { WebSocketClient } from './websocket.js';

const CLIENTS: Record<TransportName, new (spec: ClientSpec, ctx: ClientContext) => BenchClient> = {
  'short-polling': ShortPollingClient,
  'long-polling': LongPollingClient,
  sse: SseClient,
  websocket: WebSocketClient,
  stomp: StompClient,
  'stomp-relay': StompClient,
};

/** Creates the client of a spec's transport. */
export function createClient(spec: ClientSpec, ctx: ClientContext): BenchClient {
  return spec.publishOnly ? new PublisherClient(spec, ctx) : new CLIENTS[spec.transport](spec, ctx);
}

/** Transports that hold a stream open (as opposed to asking again). */
export const STREAMING: readonly TransportName[] = ['sse', 'websocket', 'stomp', 'stomp-relay'];
