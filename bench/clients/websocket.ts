import { bytesEqual, lastEvent, readEventHead, readPaths, takeParsed, WS_EVENT_OFFSET, wsEventAt } from '../fastread.js';
import { WsConn } from './ws-conn.js';
import { WsBackedClient } from './ws-client.js';

interface Waiter {
  resolve(value: number): void;
  reject(err: Error): void;
}

/**
 * The raw WebSocket protocol (`/ws`, JSON ops) over the bench's in-place frame reader. Event frames
 * are read in place by the exact-shape reader (fastread.ts `readEventHead`: no string, no object);
 * a frame it declines, and the rare other ops (subscribed, ack, error), are JSON-parsed.
 */
export class WebSocketClient extends WsBackedClient {
  /** The group's id as bytes: every event read is checked to be of this client's group. */
  private readonly groupBytes = Buffer.from(this.spec.group, 'latin1');
  private readonly acks = new Map<number, Waiter>();
  private nextRef = 1;
  private subscribing: Waiter | undefined = undefined;
  private started = 0;

  async open(): Promise<void> {
    this.started = this.ctx.now();
    this.closing = false;
    const conn: WsConn = new WsConn({ message: (buf, start, end) => this.onMessage(buf, start, end), close: (code) => this.onClose(conn, code) });
    this.conn = conn;
    await conn.open(this.ctx.target, `/ws?user=${this.spec.user}`, this.spec.localAddress);
    const since = this.cursor();
    await new Promise<number>((resolve, reject) => {
      this.subscribing = { resolve, reject };
      conn.send(since === undefined ? `{"op":"subscribe","group":"${this.spec.group}"}` : `{"op":"subscribe","group":"${this.spec.group}","since":${since}}`);
    });
  }

  override publish(command: string): Promise<number> {
    const conn = this.conn;
    if (!conn?.isOpen) return Promise.reject(new Error('not_connected'));
    const ref = this.nextRef++;
    return new Promise<number>((resolve, reject) => {
      this.acks.set(ref, { resolve, reject });
      conn.send(`{"op":"publish","group":"${this.spec.group}","event":${command},"ref":${ref}}`);
    });
  }

  close(): void {
    this.closing = true;
    this.isOpen = false;
    this.conn?.close(1000);
  }

  private onMessage(buf: Buffer, start: number, end: number): void {
    if (wsEventAt(buf, start, end) && readEventHead(buf, start + WS_EVENT_OFFSET, end)) {
      readPaths.fast++;
      if (!bytesEqual(buf, lastEvent.groupStart, lastEvent.groupEnd, this.groupBytes)) return this.ctx.onError(this, 'wrong_group');
      return this.ctx.onEvent(this, lastEvent.seq, lastEvent.sentAt);
    }
    let op: { op?: string; seq?: number; ref?: number; code?: string; truncated?: boolean; event?: { seq?: unknown; sentAt?: unknown; group?: unknown } };
    try {
      op = JSON.parse(buf.toString('utf8', start, end));
    } catch {
      return this.ctx.onError(this, 'bad_frame');
    }
    switch (op.op) {
      case 'event': {
        // The fast reader declined it (the wire shape moved): the same accounting, the slow way.
        readPaths.slow++;
        if (!takeParsed(op.event)) return this.ctx.onError(this, 'bad_event');
        if (lastEvent.group !== this.spec.group) return this.ctx.onError(this, 'wrong_group');
        return this.ctx.onEvent(this, lastEvent.seq, lastEvent.sentAt);
      }
      case 'subscribed': {
        // Synchronously: event frames in the same TCP read follow at once and need the tracker.
        this.subscribed(op.seq ?? 0, this.started);
        if (op.truncated) this.tracker!.markTruncated();
        const waiter = this.subscribing;
        this.subscribing = undefined;
        waiter?.resolve(op.seq ?? 0);
        return;
      }
      case 'ack': {
        const waiter = this.acks.get(op.ref!);
        this.acks.delete(op.ref!);
        waiter?.resolve(op.seq!);
        return;
      }
      case 'error': {
        const waiter = op.ref !== undefined ? this.acks.get(op.ref) : this.subscribing;
        if (op.ref !== undefined) this.acks.delete(op.ref);
        else this.subscribing = undefined;
        if (waiter) waiter.reject(new Error(op.code ?? 'error'));
        else this.ctx.onError(this, op.code ?? 'error');
        return;
      }
    }
  }

  private onClose(conn: WsConn, code: number): void {
    if (this.conn !== conn) return;
    this.isOpen = false;
    // 4008 = cut as a slow consumer; anything else we did not ask for is a lost connection.
    if (code === 4008) this.ctx.onError(this, 'slow_consumer');
    else if (this.reportCutAfterStall(conn, code)) void 0;
    else if (!this.closing) this.ctx.onError(this, `ws_close_${code}`);
    this.failWaiters('closed');
  }

  private failWaiters(code: string): void {
    const err = new Error(code);
    this.subscribing?.reject(err);
    this.subscribing = undefined;
    for (const waiter of this.acks.values()) waiter.reject(err);
    this.acks.clear();
  }
}
