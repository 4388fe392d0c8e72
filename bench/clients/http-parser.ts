/**
 * An incremental HTTP/1.1 response parser: status line and headers, then a body framed by
 * content-length, chunked transfer-encoding, or the connection closing. Pure (no I/O), so the
 * chunked decoder is unit-tested without a server. The bench uses raw sockets rather than
 * `http.request` because a poll every few tens of microseconds is what the load generator must
 * sustain, and Node's client costs several times that per request.
 */

/** What a parsed response is handed to. */
export interface ResponseHandler {
  /** Status and the raw header section (lower-cased, latin1). */
  head(status: number, headers: string): void;
  /** A piece of the (de-chunked) body. */
  body(chunk: Buffer): void;
  /** The body is complete; `keepAlive` false when the server will close. */
  end(keepAlive: boolean): void;
}

type Mode = 'head' | 'length' | 'size' | 'data' | 'data-crlf' | 'trailer' | 'close';

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');
/** A header section larger than this is not a response we sent for. */
const MAX_HEAD = 64 * 1024;

/** Parses one response after another from a byte stream. */
/** A chunk-size line's hex number in `buf[at, eol)` (stops at `;` extensions); -1 when malformed. */
function hexAt(buf: Buffer, at: number, eol: number): number {
  let value = 0;
  let i = at;
  for (; i < eol; i++) {
    const c = buf[i]!;
    const digit = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (digit < 0) break;
    value = value * 16 + digit;
  }
  return i === at || (i < eol && buf[i] !== 59 /* ; */ && buf[i] !== 32) ? -1 : value;
}

export class ResponseParser {
  private mode: Mode = 'head';
  private pending: Buffer | undefined = undefined;
  private remaining = 0;
  private keepAlive = true;
  /** Whether a response is being parsed (head seen, body not finished). */
  inBody = false;

  constructor(private readonly handler: ResponseHandler) {}

  /** Feeds bytes from the socket. @throws Error on a malformed response */
  push(input: Buffer): void {
    const data = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = undefined;
    let at = 0;
    while (at < data.length) {
      switch (this.mode) {
        case 'head': {
          const end = data.indexOf(HEAD_END, at);
          if (end === -1) {
            if (data.length - at > MAX_HEAD) throw new Error('response head too large');
            this.keep(data, at);
            return;
          }
          this.startBody(data.toString('latin1', at, end + 2));
          at = end + 4;
          if (this.mode === 'head') this.finish(); // no body
          break;
        }
        case 'length': {
          const take = Math.min(this.remaining, data.length - at);
          this.handler.body(data.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) this.finish();
          break;
        }
        case 'size': {
          const eol = data.indexOf(CRLF, at);
          if (eol === -1) {
            this.keep(data, at);
            return;
          }
          const size = hexAt(data, at, eol); // ignores ";ext"
          if (size < 0) throw new Error('bad chunk size');
          at = eol + 2;
          if (size === 0) this.mode = 'trailer';
          else {
            this.remaining = size;
            this.mode = 'data';
          }
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, data.length - at);
          this.handler.body(data.subarray(at, at + take));
          at += take;
          this.remaining -= take;
          if (this.remaining === 0) this.mode = 'data-crlf';
          break;
        }
        case 'data-crlf': {
          if (data.length - at < 2) {
            this.keep(data, at);
            return;
          }
          if (data[at] !== 13 || data[at + 1] !== 10) throw new Error('chunk not followed by CRLF');
          at += 2;
          this.mode = 'size';
          break;
        }
        case 'trailer': {
          const eol = data.indexOf(CRLF, at);
          if (eol === -1) {
            this.keep(data, at);
            return;
          }
          const empty = eol === at;
          at = eol + 2;
          if (empty) this.finish();
          break;
        }
        case 'close':
          this.handler.body(data.subarray(at));
          return;
      }
    }
  }

  // Copied: the input may be a read buffer that the next read overwrites.
  private keep(data: Buffer, at: number): void {
    this.pending = Buffer.from(data.subarray(at));
  }

  /** The connection closed: ends a body framed by the close, else reports truncation. */
  closed(): boolean {
    if (this.mode === 'close') {
      this.mode = 'head';
      this.inBody = false;
      this.handler.end(false);
      return true;
    }
    return !this.inBody && this.pending === undefined;
  }

  /** Drops any partial state (the connection was replaced). */
  reset(): void {
    this.mode = 'head';
    this.pending = undefined;
    this.inBody = false;
  }

  private startBody(head: string): void {
    const status = Number.parseInt(head.slice(9, 12), 10);
    if (!head.startsWith('HTTP/1.') || !Number.isFinite(status)) throw new Error('not an HTTP/1.x response');
    const headers = head.toLowerCase();
    this.keepAlive = !/\r\nconnection:\s*close/.test(headers);
    this.inBody = true;
    this.handler.head(status, headers);
    const length = /\r\ncontent-length:\s*(\d+)/.exec(headers);
    if (/\r\ntransfer-encoding:[^\r]*chunked/.test(headers)) this.mode = 'size';
    else if (length) {
      this.remaining = Number(length[1]);
      this.mode = this.remaining > 0 ? 'length' : 'head';
    } else if (status === 204 || status === 304 || (status >= 100 && status < 200)) this.mode = 'head';
    else this.mode = 'close';
  }

  private finish(): void {
    this.mode = 'head';
    this.inBody = false;
    this.handler.end(this.keepAlive);
  }
}
