/**
 * The demo page's five browser clients behind one interface: `fetch` for short and long polling,
 * `EventSource` for SSE, `WebSocket`, and @stomp/stompjs's `Client` for STOMP.
 */
import type { ClientHandlers, ConnectOptions, TransportClient, TransportName } from './client-common.js';
import { polling, sse } from './http-clients.js';
import { stomp, websocket } from './socket-clients.js';

export { TRANSPORTS, publishHttp } from './client-common.js';
export type { ArenaEvent, ClientHandlers, ConnectOptions, PublishCommand, TransportClient, TransportName } from './client-common.js';

/** Opens a subscription on `name` from `options.cursor()`. */
export function connect(name: TransportName, options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  switch (name) {
    case 'websocket':
      return websocket(options, handlers);
    case 'stomp':
      return stomp(options, handlers);
    case 'sse':
      return sse(options, handlers);
    case 'long-polling':
    case 'short-polling':
      return polling(name, options, handlers);
  }
}
