import { BaseClient } from './types.js';
import type { WsConn } from './ws-conn.js';

/** What the WebSocket-based bench clients (websocket, stomp) share: their connection's lifecycle. */
export abstract class WsBackedClient extends BaseClient {
  protected conn: WsConn | undefined = undefined;

  drop(): void {
    this.closing = true;
    this.isOpen = false;
    this.conn?.terminate();
  }

  pause(): void {
    this.conn?.pause();
  }

  resume(): void {
    this.conn?.resume();
  }
}
