import { BaseClient } from './types.js';
import type { WsConn } from './ws-conn.js';

/** What the WebSocket-based bench clients (websocket, stomp) share: their connection's lifecycle. */
export abstract class WsBackedClient extends BaseClient {
  protected conn: WsConn | undefined = undefined;
  /** The connection that was paused (the client stopped reading from it), if any. */
  private stalled: WsConn | undefined = undefined;

  drop(): void {
    this.closing = true;
    this.isOpen = false;
    this.conn?.terminate();
  }

  pause(): void {
    this.stalled = this.conn;
    this.conn?.pause();
  }

  /**
   * A server that cuts a stalled consumer queues its close frame (or STOMP ERROR) behind the bytes
   * the consumer did not read, then drops the socket when the close handshake times out: what the
   * consumer sees, once it reads again, is its data and then the end of the connection without a
   * close frame (1006). A real client takes that as "cut" and resumes by cursor; so does this one,
   * reporting `cut_after_stall` (beside `slow_consumer` when the close frame did get through).
   * @returns whether the close was reported
   */
  protected reportCutAfterStall(conn: WsConn, code: number): boolean {
    if (conn !== this.stalled || this.closing || code !== 1006) return false;
    this.stalled = undefined;
    this.ctx.onError(this, 'cut_after_stall');
    return true;
  }

  resume(): void {
    this.conn?.resume();
  }
}
