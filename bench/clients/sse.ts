import net from 'node:net';
import { bytesEqual, lastEvent, parseEvent, readEventHead, readPaths, sseDataAt } from '../fastread.js';
import { readClock } from '../load/stats.js';
import { ResponseParser } from './http-parser.js';
import { BaseClient, errorCode } from './types.js';
import { READ_BUFFER } from './ws-conn.js';

const BLOCK_END = Buffer.from('\n\n');
const ID = 105; // 'i'
const COLON = 58; // ':'

/**
 * Server-Sent Events on a raw socket: one GET, then the chunked body split into `\n\n` blocks.
 * `id:` blocks are events (scanned cheaply); `event: error` / `event: truncated` are control blocks.
 * The cursor goes in `?since=` (what EventSource sends as Last-Event-ID on a reconnect is the same
 * number; the query keeps the request identical for the first connect and a resume).
 */
export class SseClient extends BaseClient {
  private socket: net.Socket | undefined = undefined;
  private rest: Buffer | undefined = undefined;
  private heartbeats = 0;
  /** The socket that was paused (slow-consumer), whose end is then a cut, not a stream's end. */
  private stalled: net.Socket | undefined = undefined;
  /** The group's id as bytes: every event read is checked to be of this client's group. */
  private readonly groupBytes = Buffer.from(this.spec.group, 'latin1');

  async open(): Promise<void> {
    const started = this.ctx.now();
    this.closing = false;
    const since = this.cursor() ?? (await this.readHead());
    this.rest = undefined;
    let status = 0;
    let errorBody: Buffer[] | undefined;
    let parser: ResponseParser | undefined = undefined;
    const onChunk = (data: Buffer) => {
      try {
        parser!.push(data);
      } catch {
        this.ctx.onError(this, 'bad_response');
        socket.destroy();
      }
    };
    const socket = net.connect({
      host: this.ctx.target.host,
      port: this.ctx.target.port,
      localAddress: this.spec.localAddress,
      // The shared read buffer (see ws-conn.ts): no Buffer or stream event per read.
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array) => {
          // One clock read per read: every event in it arrived at this moment (load/stats.ts).
          readClock.begin();
          try {
            onChunk((buf as Buffer).subarray(0, n));
          } finally {
            readClock.end();
          }
          return true;
        },
      },
    });
    socket.setNoDelay(true);
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      parser = new ResponseParser({
        head: (code) => {
          status = code;
          if (code === 200) {
            this.subscribed(since, started);
            resolve();
          } else errorBody = [];
        },
        body: (chunk) => (errorBody ? errorBody.push(Buffer.from(chunk)) : this.onData(chunk)),
        end: () => {
          if (errorBody) reject(new Error(errorCode(Buffer.concat(errorBody), status)));
          else this.ended(socket);
          socket.end();
        },
      });
      let failure = 'closed';
      socket.on('error', (err: NodeJS.ErrnoException) => (failure = err.code ?? 'socket_error'));
      socket.on('close', () => {
        reject(new Error(failure));
        if (this.socket === socket) this.ended(socket);
      });
      socket.write(
        `GET /sse/groups/${this.spec.group}?since=${since}&user=${this.spec.user} HTTP/1.1\r\nhost: ${this.ctx.target.host}:${this.ctx.target.port}\r\naccept: text/event-stream\r\n\r\n`,
      );
    });
  }

  drop(): void {
    this.closing = true;
    this.isOpen = false;
    this.socket?.destroy();
  }

  pause(): void {
    this.stalled = this.socket;
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  close(): void {
    this.closing = true;
    this.isOpen = false;
    // Half-close and keep reading until the server closes: events it wrote before it saw us go
    // still arrive and are counted (as the server counted them). Bounded by a timer.
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    socket.end();
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  /** Comment heart-beats seen (capacity checks that idle streams stay alive). */
  get heartbeatCount(): number {
    return this.heartbeats;
  }

  /**
   * The stream ended. A server that cuts a stalled consumer queues its `event: error` behind the bytes
   * the consumer did not read, then destroys the socket when its end grace runs out (as WebSocket's
   * close grace): what the consumer sees once it reads again is its data and then the end, without
   * the error event. That is reported as `cut_after_stall` (as the WebSocket clients do), any other
   * end as `stream_ended`.
   */
  private ended(socket: net.Socket): void {
    if (this.socket !== socket || !this.isOpen) return;
    this.isOpen = false;
    if (this.closing) return;
    const cut = socket === this.stalled; // (an error block seen first set `closing`: reported as itself)
    this.stalled = undefined;
    this.ctx.onError(this, cut ? 'cut_after_stall' : 'stream_ended');
  }

  private onData(chunk: Buffer): void {
    const data = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    for (;;) {
      const end = data.indexOf(BLOCK_END, at);
      if (end === -1) break;
      this.onBlock(data, at, end);
      at = end + 2;
    }
    this.rest = at < data.length ? Buffer.from(data.subarray(at)) : undefined; // copied: `data` may be the shared read buffer
  }

  private onBlock(data: Buffer, start: number, end: number): void {
    const first = data[start];
    if (first === ID) {
      // The data line's event head read in place; a block the exact-shape reader declines is JSON-parsed.
      const json = sseDataAt(data, start, end);
      if (json < 0) return this.ctx.onError(this, 'bad_event');
      if (readEventHead(data, json, end)) {
        readPaths.fast++;
        if (!bytesEqual(data, lastEvent.groupStart, lastEvent.groupEnd, this.groupBytes)) return this.ctx.onError(this, 'wrong_group');
      } else {
        readPaths.slow++;
        const lineEnd = data.indexOf(10, json);
        if (!parseEvent(data, json, lineEnd === -1 || lineEnd > end ? end : lineEnd)) return this.ctx.onError(this, 'bad_event');
        if (lastEvent.group !== this.spec.group) return this.ctx.onError(this, 'wrong_group');
      }
      return this.ctx.onEvent(this, lastEvent.seq, lastEvent.sentAt);
    }
    if (first === COLON) {
      this.heartbeats++;
      return;
    }
    const block = data.toString('utf8', start, end);
    if (block.startsWith('event: truncated')) this.tracker?.markTruncated();
    else if (block.startsWith('event: error')) {
      const code = /"code":"([a-z_]+)"/.exec(block)?.[1] ?? 'error';
      this.ctx.onError(this, code);
      this.isOpen = false;
      this.closing = true; // the server ends the stream after the error block: not a second error
    }
  }
}
