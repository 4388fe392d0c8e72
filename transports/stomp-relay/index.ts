import type { FastifyInstance } from 'fastify';
import { registerStompEndpoint } from '../stomp/index.js';
import { canonicalDestinations, type StreamSource } from '../stomp/session.js';
import type { RelayBroker } from './relay-broker.js';
import { RelayEventCache, RelayStream } from './relay-stream.js';
import { msSinceWholeMs } from '../../src/timers.js';

/** Options of the relay endpoint. */
export interface StompRelayOptions {
  /** The external broker's system connection. */
  broker: RelayBroker;
  /** Most broker messages one subscription holds at the seam or behind a gap fill (default HISTORY_SIZE). */
  maxHeld?: number;
}

/** WebSocket close code "try again later", sent with ERROR broker_unavailable. */
const WS_CLOSE_TRY_LATER = 1013;

/**
 * STOMP over WebSocket at `/stomp-relay`: the same frames as `/stomp`, but every SUBSCRIBE is relayed to
 * the external broker (which fans out) and its MESSAGEs are forwarded under the client's subscription id.
 * SEND goes through the Hub as on `/stomp` (seq authority stays here); `since` and gaps are served from
 * the Hub's history. Losing the broker fails every session with ERROR `broker_unavailable`: clients
 * reconnect and resubscribe with `since`, and the cursor finds what was published meanwhile.
 */
export default async function stompRelay(app: FastifyInstance, options: StompRelayOptions): Promise<void> {
  const lag = app.metrics.brokerDeliveryLag('rabbitmq');
  const events = new RelayEventCache((event) => lag(Math.max(0, msSinceWholeMs(event.event.at)) / 1000));
  const deps = { broker: options.broker, read: (group: string, since: number | undefined) => app.hub.read(group, since), events, maxHeld: options.maxHeld ?? app.config.historySize };
  const subscriptions: StreamSource = { subscribe: (group, subscriber, since) => RelayStream.open(group, subscriber, since, deps) };
  const sessions = registerStompEndpoint(app, '/stomp-relay', canonicalDestinations, { transport: 'stomp-relay', subscriptions });
  const off = options.broker.onDown(() => {
    for (const session of sessions) session.fail('broker_unavailable', 'the relay broker connection was lost; reconnect and resubscribe with since', WS_CLOSE_TRY_LATER);
  });
  app.addHook('onClose', async () => off());
}
