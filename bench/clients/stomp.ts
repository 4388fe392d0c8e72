import { bytesEqual, isStompMessage, lastEvent, parseEvent, readEventHead, readPaths, stompBodyAt, stompFrame, stompHeader } from '../fastread.js';
import { WsConn } from './ws-conn.js';
import { WsBackedClient } from './ws-client.js';

interface Waiter {
  resolve(value: number): void;
  reject(err: Error): void;
}

const SUBSCRIPTION_RECEIPT = 'sub';
const HEADER_SCAN = 400;

/**
 * STOMP 1.2 over WebSocket (`/stomp`, or `/stomp-relay` for the relay transport), written frame by frame rather than with @stomp/stompjs's
 * Client: the library parses every MESSAGE into an object with decoded headers and body, which is
 * the load generator's cost, not the server's. MESSAGE frames are read in place with the cheap scanner.
 */
export class StompClient extends WsBackedClient {
  private readonly receipts = new Map<string, Waiter>();
  private nextReceipt = 1;
  private connecting: Waiter | undefined = undefined;
  private started = 0;
  private lastSent = 0;
  /** The group's id as bytes: every MESSAGE read is checked to be of this client's group. */
  private readonly groupBytes = Buffer.from(this.spec.group, 'latin1');

  async open(): Promise<void> {
    this.started = this.ctx.now();
    this.closing = false;
    const conn: WsConn = new WsConn({ message: (buf, start, end) => this.onFrame(buf, start, end), close: (code) => this.onClose(conn, code) });
    this.conn = conn;
    await conn.open(this.ctx.target, `/${this.spec.transport === 'stomp-relay' ? 'stomp-relay' : 'stomp'}?user=${this.spec.user}`, this.spec.localAddress, 'v12.stomp');
    const beat = this.ctx.stompHeartbeatMs;
    await new Promise<number>((resolve, reject) => {
      this.connecting = { resolve, reject };
      this.send(`CONNECT\naccept-version:1.2\nhost:bench\nheart-beat:${beat},${beat}\n\n\0`);
    });
    const since = this.cursor();
    await new Promise<number>((resolve, reject) => {
      this.receipts.set(SUBSCRIPTION_RECEIPT, { resolve, reject });
      const cursor = since === undefined ? '' : `since:${since}\n`;
      this.send(`SUBSCRIBE\nid:s\ndestination:/topic/groups.${this.spec.group}\nack:auto\n${cursor}receipt:${SUBSCRIPTION_RECEIPT}\n\n\0`);
    });
  }

  override publish(command: string): Promise<number> {
    if (!this.conn?.isOpen) return Promise.reject(new Error('not_connected'));
    const receipt = `p${this.nextReceipt++}`;
    return new Promise<number>((resolve, reject) => {
      this.receipts.set(receipt, { resolve, reject });
      this.send(`SEND\ndestination:/app/groups/${this.spec.group}\ncontent-type:application/json\nreceipt:${receipt}\n\n${command}\0`);
    });
  }

  /** Sends an EOL heart-beat when nothing else went out for half the negotiated period. */
  heartbeat(now: number): void {
    const beat = this.ctx.stompHeartbeatMs;
    if (beat > 0 && this.isOpen && now - this.lastSent >= beat / 2) this.send('\n');
  }

  close(): void {
    this.closing = true;
    this.isOpen = false;
    if (!this.conn?.isOpen) return this.conn?.terminate();
    this.send('DISCONNECT\n\n\0');
    this.conn.close(1000);
  }

  private send(frame: string): void {
    if (!this.conn?.isOpen) return;
    this.conn.send(frame);
    this.lastSent = this.ctx.now();
  }

  private onFrame(buf: Buffer, start: number, end: number): void {
    // MESSAGE: headers in one JS pass (noting a `truncated:true`, the loss signal on the first
    // replayed MESSAGE after cut history), then the body's event head read in place; a body the
    // exact-shape reader declines is JSON-parsed. The body ends before the frame's NUL.
    const body = stompBodyAt(buf, start, end, HEADER_SCAN);
    if (body >= 0) {
      if (stompFrame.truncated) this.tracker?.markTruncated();
      const bodyEnd = end > body && buf[end - 1] === 0 ? end - 1 : end;
      if (readEventHead(buf, body, bodyEnd)) {
        readPaths.fast++;
        if (!bytesEqual(buf, lastEvent.groupStart, lastEvent.groupEnd, this.groupBytes)) return this.ctx.onError(this, 'wrong_group');
      } else {
        readPaths.slow++;
        if (!parseEvent(buf, body, bodyEnd)) return this.ctx.onError(this, 'bad_event');
        if (lastEvent.group !== this.spec.group) return this.ctx.onError(this, 'wrong_group');
      }
      return this.ctx.onEvent(this, lastEvent.seq, lastEvent.sentAt);
    }
    if (isStompMessage(buf, start, end)) return this.ctx.onError(this, 'bad_frame'); // headers never ended
    if (end - start === 0 || buf[start] === 10 || buf[start] === 13) return; // heart-beat
    const data = buf.subarray(start, end);
    const command = data.toString('latin1', 0, Math.max(0, data.indexOf(10)));
    switch (command) {
      case 'CONNECTED': {
        const waiter = this.connecting;
        this.connecting = undefined;
        waiter?.resolve(0);
        return;
      }
      case 'RECEIPT': {
        const id = stompHeader(data, 'receipt-id') ?? '';
        const seq = Number(stompHeader(data, 'seq'));
        if (id === SUBSCRIPTION_RECEIPT) {
          // Synchronously: MESSAGE frames may follow in the same read and need the tracker.
          this.subscribed(seq, this.started);
          if (stompHeader(data, 'truncated') === 'true') this.tracker!.markTruncated();
        }
        const waiter = this.receipts.get(id);
        this.receipts.delete(id);
        waiter?.resolve(seq);
        return;
      }
      case 'ERROR': {
        const code = stompHeader(data, 'message') ?? 'error';
        this.ctx.onError(this, code);
        this.failWaiters(code);
        return;
      }
    }
  }

  private onClose(conn: WsConn, code: number): void {
    if (this.conn !== conn) return;
    this.isOpen = false;
    // An ERROR frame already reported why (slow_consumer, ...); a silent close is a lost connection.
    if (this.reportCutAfterStall(conn, code)) void 0;
    else if (!this.closing && code !== 4008 && code !== 1008) this.ctx.onError(this, `ws_close_${code}`);
    this.failWaiters('closed');
  }

  private failWaiters(code: string): void {
    const err = new Error(code);
    this.connecting?.reject(err);
    this.connecting = undefined;
    for (const waiter of this.receipts.values()) waiter.reject(err);
    this.receipts.clear();
  }
}
