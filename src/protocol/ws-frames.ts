import { isUtf8 } from 'node:buffer';

/**
 * RFC 6455 framing as a server without extensions needs it: reading the frames a client sends (always
 * masked, section 5.3) and encoding the frames the server sends (never masked). Pure: buffers in,
 * frames or protocol errors out; the socket that uses it is transports/server-websocket.ts.
 */

/** Frame opcodes (RFC 6455 section 5.2). */
export const OPCODE = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Close codes the server sends for a peer's protocol violation (RFC 6455 section 7.4.1). */
export type ProtocolCloseCode = 1002 | 1007 | 1009;

/** The peer broke the protocol: the connection is closed with `closeCode`. */
export class WsProtocolError extends Error {
  constructor(
    readonly closeCode: ProtocolCloseCode,
    message: string,
  ) {
    super(message);
    this.name = 'WsProtocolError';
  }
}

/** One whole client frame, its payload unmasked (a view into the buffer it was read from). */
export interface ClientFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
  /** The offset just past the frame in the buffer it was read from. */
  readonly end: number;
}

/** The fewest bytes a client frame takes: two header bytes and the four-byte mask. */
export const MIN_CLIENT_FRAME_BYTES = 6;
/** The most a client frame's header takes: two bytes, a 64-bit length and the mask. */
export const MAX_FRAME_HEADER_BYTES = 14;

/**
 * Reads the client frame that starts at `offset` of `buf`, unmasking its payload in place. Headers are
 * checked as soon as they are complete, so a frame announcing more than `maxPayload` bytes is refused
 * before any of its payload is held.
 * @returns the frame, or the number of bytes from `offset` the frame needs at least when `buf` does not
 *   hold all of it yet
 * @throws WsProtocolError for reserved bits or opcodes, an unmasked frame, a fragmented or oversized
 *   control frame, or a payload over `maxPayload` (1009)
 */
export function readClientFrame(buf: Buffer, offset: number, maxPayload: number): ClientFrame | number {
  const available = buf.length - offset;
  if (available < 2) return MIN_CLIENT_FRAME_BYTES;
  const first = buf[offset]!;
  const second = buf[offset + 1]!;
  if ((first & 0x70) !== 0) throw new WsProtocolError(1002, 'reserved bits set (no extension was negotiated)');
  const opcode = first & 0x0f;
  const fin = (first & 0x80) !== 0;
  if (opcode >= 0x8) {
    if (opcode > OPCODE.pong) throw new WsProtocolError(1002, `reserved opcode ${opcode}`);
    if (!fin) throw new WsProtocolError(1002, 'fragmented control frame');
    if ((second & 0x7f) > 125) throw new WsProtocolError(1002, 'control frame payload over 125 bytes');
  } else if (opcode > OPCODE.binary) {
    throw new WsProtocolError(1002, `reserved opcode ${opcode}`);
  }
  if ((second & 0x80) === 0) throw new WsProtocolError(1002, 'client frame not masked');
  let length = second & 0x7f;
  let at = offset + 2;
  if (length === 126) {
    if (available < 4) return 8;
    length = buf.readUInt16BE(at);
    at += 2;
  } else if (length === 127) {
    if (available < 10) return MAX_FRAME_HEADER_BYTES;
    const high = buf.readUInt32BE(at);
    // Anything of 4 GiB or more is over every maxPayload; the low word alone decides the rest.
    if (high !== 0) throw new WsProtocolError(1009, 'payload too large');
    length = buf.readUInt32BE(at + 4);
    at += 8;
  }
  if (length > maxPayload) throw new WsProtocolError(1009, `payload over ${maxPayload} bytes`);
  const end = at + 4 + length;
  if (buf.length < end) return end - offset;
  const payload = buf.subarray(at + 4, end);
  unmask(payload, buf, at);
  return { fin, opcode, payload, end };
}

/** XORs `payload` in place with the four mask bytes at `maskAt` of `buf`. */
function unmask(payload: Buffer, buf: Buffer, maskAt: number): void {
  const m0 = buf[maskAt]!;
  const m1 = buf[maskAt + 1]!;
  const m2 = buf[maskAt + 2]!;
  const m3 = buf[maskAt + 3]!;
  const length = payload.length;
  let i = 0;
  for (; i + 3 < length; i += 4) {
    payload[i] ^= m0;
    payload[i + 1] ^= m1;
    payload[i + 2] ^= m2;
    payload[i + 3] ^= m3;
  }
  for (let k = 0; i < length; i++, k++) payload[i] ^= k === 0 ? m0 : k === 1 ? m1 : m2;
}

/** A close code a peer may send (RFC 6455 section 7.4; 1005 and 1006 are never on the wire). */
export function isValidCloseCode(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

/** A peer's close frame: its code (1005 when it sent none) and reason. */
export interface ClosePayload {
  readonly code: number;
  readonly reason: Buffer;
}

/**
 * Reads a close frame's payload.
 * @throws WsProtocolError 1002 for a one-byte payload or a code no peer may send, 1007 for a reason
 *   that is not UTF-8
 */
export function readClosePayload(payload: Buffer): ClosePayload {
  if (payload.length === 0) return { code: 1005, reason: EMPTY };
  if (payload.length === 1) throw new WsProtocolError(1002, 'close frame with a one-byte payload');
  const code = payload.readUInt16BE(0);
  if (!isValidCloseCode(code)) throw new WsProtocolError(1002, `invalid close code ${code}`);
  const reason = payload.subarray(2);
  if (!isUtf8(reason)) throw new WsProtocolError(1007, 'close reason is not UTF-8');
  return { code, reason };
}

/** Whether a text message's payload is valid UTF-8 (RFC 6455 section 8.1: else close with 1007). */
export function isValidText(payload: Buffer): boolean {
  return isUtf8(payload);
}

const EMPTY = Buffer.alloc(0);

/** Bytes a server-to-client frame header adds to a payload (unmasked): counted as wire bytes. */
export function wsFrameOverhead(length: number): number {
  return length < 126 ? 2 : length < 65536 ? 4 : 10;
}

/** A whole, final, unmasked server frame: header and payload in one buffer. */
export function serverFrame(opcode: number, payload: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(wsFrameOverhead(payload.length) + payload.length);
  payload.copy(frame, writeHeader(frame, opcode, payload.length));
  return frame;
}

/** A whole, final, unmasked text frame for a string. */
export function serverTextFrame(text: string): Buffer {
  const length = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(wsFrameOverhead(length) + length);
  frame.write(text, writeHeader(frame, OPCODE.text, length));
  return frame;
}

/** The header alone of a final, unmasked frame of `length` payload bytes (written before its payload). */
export function serverFrameHeader(opcode: number, length: number): Buffer {
  const header = Buffer.allocUnsafe(wsFrameOverhead(length));
  writeHeader(header, opcode, length);
  return header;
}

/** Writes a final, unmasked frame's header at the start of `frame`; returns where the payload goes. */
function writeHeader(frame: Buffer, opcode: number, length: number): number {
  frame[0] = 0x80 | opcode;
  if (length < 126) {
    frame[1] = length;
    return 2;
  }
  if (length < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(length, 2);
    return 4;
  }
  frame[1] = 127;
  frame.writeUInt32BE(0, 2);
  frame.writeUInt32BE(length, 6); // payloads stay far below 4 GiB (maxPayload and MAX_BUFFERED_BYTES bound them)
  return 10;
}

/** Longest close reason: a control frame's 125 payload bytes less the two of the code. */
export const MAX_CLOSE_REASON_BYTES = 123;

/**
 * A close frame with `code` and `reason` (a string is cut to 123 bytes at a character boundary), or
 * with no payload for 1005 (the peer sent no code, so none is echoed).
 */
export function closeFrame(code: number, reason: string | Buffer = ''): Buffer {
  if (code === 1005) return serverFrame(OPCODE.close, EMPTY);
  let bytes = typeof reason === 'string' ? Buffer.from(reason) : reason;
  if (bytes.length > MAX_CLOSE_REASON_BYTES) {
    let text = bytes.toString();
    while (Buffer.byteLength(text) > MAX_CLOSE_REASON_BYTES) text = text.slice(0, -1);
    bytes = Buffer.from(text);
  }
  const payload = Buffer.allocUnsafe(2 + bytes.length);
  payload.writeUInt16BE(code, 0);
  bytes.copy(payload, 2);
  return serverFrame(OPCODE.close, payload);
}

/**
 * Bytes gathered from several reads (an unfinished frame, a fragmented message) into one buffer that
 * doubles as it fills and never grows past `limit`. Holding the reads as they came would cost an object
 * per read — a peer sending a frame a byte per TCP segment, or a message in one-byte fragments, would
 * make a 1 MiB message cost a hundred times that. Here memory stays under twice what was appended, and
 * each byte is copied a few times at most.
 */
export class AppendBuffer {
  private buf: Buffer = EMPTY;
  /** Bytes appended so far. */
  length = 0;

  constructor(private readonly limit: number) {}

  /** Appends `src[start, end)`; the caller keeps the total within `limit` (a longer one throws). */
  append(src: Buffer, start = 0, end = src.length): void {
    const needed = this.length + (end - start);
    if (needed > this.limit) throw new RangeError(`AppendBuffer: ${needed} bytes over its limit of ${this.limit}`);
    if (needed > this.buf.length) {
      const grown = Buffer.allocUnsafeSlow(Math.min(this.limit, Math.max(needed, this.buf.length * 2, 1024)));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    src.copy(this.buf, this.length, start, end);
    this.length = needed;
  }

  /** A view of the bytes appended (valid until the next append). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
