import { randomBytes } from 'node:crypto';

/**
 * A client frame as a browser would send it: masked with a random key (RFC 6455 section 5.3). `fin`
 * false leaves the message open for continuation frames; `rsv` sets reserved bits (a violation).
 */
export function maskedFrame(opcode: number, payload: Buffer | string, options: { fin?: boolean; rsv?: number; mask?: boolean; lengthAs?: 7 | 16 | 64 } = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = options.mask ?? true;
  const form = options.lengthAs ?? (data.length < 126 ? 7 : data.length < 65536 ? 16 : 64);
  const header = Buffer.alloc(form === 7 ? 2 : form === 16 ? 4 : 10);
  header[0] = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  if (form === 7) header[1] = data.length;
  else if (form === 16) {
    header[1] = 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  if (!mask) return Buffer.concat([header, data]);
  header[1]! |= 0x80;
  const key = randomBytes(4);
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i]! ^= key[i & 3]!;
  return Buffer.concat([header, key, masked]);
}

/** A frame the server sent (unmasked). */
export interface ServerFrame {
  fin: boolean;
  opcode: number;
  payload: Buffer;
}

/** Reads the whole server frames at the start of `buf`; `rest` is what is left of an unfinished one. */
export function readServerFrames(buf: Buffer): { frames: ServerFrame[]; rest: Buffer } {
  const frames: ServerFrame[] = [];
  let at = 0;
  for (;;) {
    if (buf.length - at < 2) break;
    let length = buf[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (buf.length - at < 4) break;
      length = buf.readUInt16BE(at + 2);
      start = at + 4;
    } else if (length === 127) {
      if (buf.length - at < 10) break;
      length = Number(buf.readBigUInt64BE(at + 2));
      start = at + 10;
    }
    if (buf.length < start + length) break;
    frames.push({ fin: (buf[at]! & 0x80) !== 0, opcode: buf[at]! & 0x0f, payload: buf.subarray(start, start + length) });
    at = start + length;
  }
  return { frames, rest: buf.subarray(at) };
}
