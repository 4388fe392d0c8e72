import type { EncodedEvent } from '../../src/domain/events.js';

/**
 * The external STOMP broker behind the relay endpoint, as the relay sees it: one system connection
 * that publishes every accepted event to `/topic/groups.<group>` and carries the relay clients'
 * subscriptions (one broker subscription per client subscription, so the broker does the fan-out).
 * The relay endpoint depends on this contract only; `src/app.ts` names the implementation.
 */
export interface RelayBroker {
  /** True while the system connection is up (CONNECTED received, not yet lost). */
  readonly connected: boolean;
  /**
   * Subscribes to a group's topic on the broker.
   * @param onMessage called for every MESSAGE, in the broker's order, with the `seq` header and the body
   * @returns once the broker has confirmed the subscription with a RECEIPT (messages may arrive before)
   * @throws HubError `broker_unavailable` when the connection is down or the broker does not confirm in time
   */
  subscribe(group: string, onMessage: (seq: number, json: string) => void): Promise<RelayBrokerSubscription>;
  /**
   * Publishes an accepted event with its `seq` header. Never throws: an event that cannot be written
   * (connection down, write buffer over its bound) is counted and left to the subscribers' gap fill.
   */
  publish(event: EncodedEvent): void;
  /**
   * Registers a listener for the loss of the system connection (every broker subscription is gone).
   * @returns a function removing the listener
   */
  onDown(listener: () => void): () => void;
  /** Disconnects for good (shutdown). */
  close(): Promise<void>;
}

/** One subscription on the broker. */
export interface RelayBrokerSubscription {
  /** Unsubscribes; safe after the connection was lost and when called twice. */
  unsubscribe(): void;
}
