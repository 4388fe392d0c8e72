import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Target } from './http-conn.js';
import { readClock } from '../load/stats.js';

/** What a connection reports to its owner. */
export interface WsHandlers {
  /** One whole message; the payload is `buf[start, end)` (valid only during the call). */
  message(buf: Buffer, start: number, end: number): void;
  /** The connection closed (`code` from the close frame, 1006 when there was none). */
  close(code: number): void;
}

const OP_CONT = 0x0;
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;
const HEAD_END = Buffer.from('\r\n\r\n');
/**
 * One read buffer for every connection of the thread (net's `onread`): the kernel copies into it and
 * the callback parses it synchronously, so no Buffer is allocated and no stream event is emitted per
 * read. Anything kept past the callback (a partial frame) is copied out.
 */
export const READ_BUFFER = Buffer.allocUnsafe(256 * 1024);

/**
 * A minimal RFC 6455 client on a raw socket, for the load generator only. The `ws` package copies
 * each frame into its own Buffer and emits an event per message; at 100,000 messages a second that
 * is most of a core, i.e. the load generator would be what gets measured. Here frames are read in
 * place from the socket's chunks (the server corks a tick's frames into one write, so one chunk
 * holds many). Client frames use an all-zero masking key: the mask bit is set as the RFC requires,
 * and XOR with zeros costs nothing; the server under test must not (and does not) care.
 */
export class WsConn {
  private socket: net.Socket | undefined = undefined;
  private pending: Buffer | undefined = undefined;
  private fragments: Buffer[] | undefined = undefined;
  private closeCode = 1006;
  private upgraded = false;

  constructor(private readonly handlers: WsHandlers) {}

  /** Upgrades `path` and resolves once the server answered 101. @throws Error `http_<status>` or a socket code */
  open(target: Target, path: string, localAddress: string, protocol?: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let failure = 'closed';
      let head: Buffer | undefined;
      const onChunk = (buf: Buffer, n: number) => {
        if (this.upgraded) return this.onData(buf, n);
        const chunk = buf.subarray(0, n);
        head = head ? Buffer.concat([head, chunk]) : Buffer.from(chunk);
        const end = head.indexOf(HEAD_END);
        if (end === -1) return;
        const status = Number(head.toString('latin1', 9, 12));
        if (status !== 101) {
          failure = `http_${status}`;
          socket.destroy();
          return;
        }
        this.upgraded = true;
        resolve();
        if (end + 4 < head.length) this.onData(head.subarray(end + 4), head.length - end - 4);
      };
      const socket = net.connect({
        host: target.host,
        port: target.port,
        localAddress,
        onread: {
          buffer: READ_BUFFER,
          callback: (n: number, buf: Uint8Array) => {
            // One clock read per read: every event in it arrived at this moment (load/stats.ts).
            readClock.begin();
            try {
              onChunk(buf as Buffer, n);
            } finally {
              readClock.end();
            }
            return true;
          },
        },
      });
      socket.setNoDelay(true);
      this.socket = socket;
      socket.on('error', (err: NodeJS.ErrnoException) => (failure = err.code ?? 'socket_error'));
      socket.on('close', () => {
        if (!this.upgraded) reject(new Error(failure));
        else this.handlers.close(this.closeCode);
      });
      const key = randomBytes(16).toString('base64');
      const sub = protocol ? `sec-websocket-protocol: ${protocol}\r\n` : '';
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${target.host}:${target.port}\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n${sub}\r\n`);
    });
  }

  /** Whether the socket is open and upgraded. */
  get isOpen(): boolean {
    return this.upgraded && !!this.socket && !this.socket.destroyed;
  }

  /** Sends a text message. */
  send(text: string): void {
    this.frame(OP_TEXT, Buffer.from(text));
  }

  /** Starts the closing handshake; the socket is destroyed if the server has not closed within 2 s. */
  close(code = 1000): void {
    const socket = this.socket;
    if (!socket || socket.destroyed) return;
    const payload = Buffer.alloc(2);
    payload.writeUInt16BE(code);
    this.frame(OP_CLOSE, payload);
    setTimeout(() => socket.destroy(), 2000).unref();
  }

  /** Drops the connection at once (no closing handshake). */
  terminate(): void {
    this.socket?.destroy();
  }

  pause(): void {
    this.socket?.pause();
  }

  resume(): void {
    this.socket?.resume();
  }

  private frame(opcode: number, payload: Buffer): void {
    const socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) return;
    const n = payload.length;
    const headLength = n < 126 ? 6 : n < 65536 ? 8 : 14;
    const frame = Buffer.allocUnsafe(headLength + n);
    frame[0] = 0x80 | opcode;
    if (n < 126) frame[1] = 0x80 | n;
    else if (n < 65536) {
      frame[1] = 0x80 | 126;
      frame.writeUInt16BE(n, 2);
    } else {
      frame[1] = 0x80 | 127;
      frame.writeBigUInt64BE(BigInt(n), 2);
    }
    frame.writeUInt32BE(0, headLength - 4); // the masking key: zeros, so the payload goes as is
    payload.copy(frame, headLength);
    socket.write(frame);
  }

  /** Reads the frames in `chunk[0, length)` (the chunk may be the whole shared read buffer). */
  private onData(chunk: Buffer, length: number): void {
    let buf = chunk;
    let size = length;
    if (this.pending) {
      buf = Buffer.concat([this.pending, chunk.subarray(0, length)]);
      size = buf.length;
      this.pending = undefined;
    }
    let at = 0;
    while (size - at >= 2) {
      const b0 = buf[at]!;
      const b1 = buf[at + 1]!;
      let length = b1 & 0x7f;
      let head = 2;
      if (length === 126) {
        if (size - at < 4) break;
        length = (buf[at + 2]! << 8) | buf[at + 3]!;
        head = 4;
      } else if (length === 127) {
        if (size - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        head = 10;
      }
      if (b1 & 0x80) head += 4; // a server must not mask; tolerate it by skipping the key (payload unmasking not needed for our checks)
      if (size - at < head + length) break;
      this.onFrame(b0 & 0x80, b0 & 0x0f, buf, at + head, at + head + length);
      at += head + length;
    }
    // Copied: `buf` may be the shared read buffer, overwritten by the next read of any socket.
    if (at < size) this.pending = Buffer.from(buf.subarray(at, size));
  }

  private onFrame(fin: number, opcode: number, buf: Buffer, start: number, end: number): void {
    switch (opcode) {
      case OP_TEXT:
      case 0x2:
      case OP_CONT: {
        if (!fin || this.fragments) {
          (this.fragments ??= []).push(Buffer.from(buf.subarray(start, end)));
          if (!fin) return;
          const whole = Buffer.concat(this.fragments);
          this.fragments = undefined;
          return this.handlers.message(whole, 0, whole.length);
        }
        return this.handlers.message(buf, start, end);
      }
      case OP_PING:
        return this.frame(OP_PONG, Buffer.from(buf.subarray(start, end)));
      case OP_CLOSE: {
        this.closeCode = end - start >= 2 ? buf.readUInt16BE(start) : 1005;
        this.frame(OP_CLOSE, Buffer.from(buf.subarray(start, Math.min(end, start + 2))));
        this.socket?.end();
        return;
      }
    }
  }
}
