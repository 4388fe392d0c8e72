// STOMP 1.2 frames as strings (a WebSocket text message carries one or more frames). Pure: no k6
// imports. k6 has no STOMP client, so the STOMP script builds and parses frames with these.
//
// Frame: COMMAND EOL (header EOL)* EOL body NUL. `content-length` counts UTF-8 bytes, while JS
// strings count UTF-16 units, hence the byte helpers. CONNECT and CONNECTED headers are never
// escaped (spec §"Value Encoding"), every other frame's are.

export const NUL = '\0';

/** @param {string} command */
function escapes(command) {
  return command !== 'CONNECT' && command !== 'CONNECTED';
}

/** @param {string} value */
export function escapeHeader(value) {
  return value.replace(/\\/g, '\\\\').replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/:/g, '\\c');
}

/** Throws on an undefined escape sequence, which STOMP 1.2 makes a fatal protocol error. @param {string} value */
export function unescapeHeader(value) {
  return value.replace(/\\(.?)/g, (_m, c) => {
    switch (c) {
      case 'r': return '\r';
      case 'n': return '\n';
      case 'c': return ':';
      case '\\': return '\\';
      default: throw new Error('invalid STOMP header escape: \\' + c);
    }
  });
}

/** UTF-8 length of a JS string. @param {string} s */
export function utf8ByteLength(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/**
 * Index just past `bytes` UTF-8 bytes of `s` counted from `start`, or -1 if `s` is too short.
 * @param {string} s @param {number} start @param {number} bytes
 */
function indexAfterBytes(s, start, bytes) {
  let i = start;
  let n = 0;
  while (n < bytes) {
    if (i >= s.length) return -1;
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
    i++;
  }
  return n === bytes ? i : -1;
}

/**
 * Decode UTF-8 bytes (a binary WebSocket message) to a string. k6 has no TextDecoder guarantee.
 * @param {ArrayBuffer | Uint8Array} input
 */
export function utf8Decode(input) {
  const b = input instanceof Uint8Array ? input : new Uint8Array(input);
  let out = '';
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    let cp = 0xfffd;
    let len = 1;
    if (c < 0x80) cp = c;
    else if (c >= 0xc2 && c < 0xe0 && i + 1 < b.length) {
      cp = ((c & 0x1f) << 6) | (b[i + 1] & 0x3f);
      len = 2;
    } else if (c >= 0xe0 && c < 0xf0 && i + 2 < b.length) {
      cp = ((c & 0x0f) << 12) | ((b[i + 1] & 0x3f) << 6) | (b[i + 2] & 0x3f);
      len = 3;
    } else if (c >= 0xf0 && c < 0xf5 && i + 3 < b.length) {
      cp = ((c & 0x07) << 18) | ((b[i + 1] & 0x3f) << 12) | ((b[i + 2] & 0x3f) << 6) | (b[i + 3] & 0x3f);
      len = 4;
    }
    out += String.fromCodePoint(cp);
    i += len;
  }
  return out;
}

/**
 * Build one frame, NUL-terminated.
 * @param {string} command
 * @param {Record<string, string | number | boolean | undefined>} [headers] undefined values are left out
 * @param {string} [body]
 * @param {{ contentLength?: boolean }} [opts] add `content-length` (UTF-8 bytes) for a body
 */
export function buildFrame(command, headers = {}, body = '', opts = {}) {
  const esc = escapes(command);
  let out = command + '\n';
  for (const key of Object.keys(headers)) {
    const v = headers[key];
    if (v === undefined) continue;
    out += (esc ? escapeHeader(key) : key) + ':' + (esc ? escapeHeader(String(v)) : String(v)) + '\n';
  }
  if (opts.contentLength && body.length > 0 && headers['content-length'] === undefined) {
    out += 'content-length:' + utf8ByteLength(body) + '\n';
  }
  return out + '\n' + body + NUL;
}

/**
 * @typedef {{ command: string, headers: Record<string, string>, body: string }} StompFrame
 */

/**
 * Parse every complete frame in `data`. Heart-beats (bare EOLs between frames) are skipped and
 * counted; an incomplete trailing frame is returned in `rest` for the next message.
 * @param {string} data
 * @returns {{ frames: StompFrame[], rest: string, heartbeats: number }}
 */
export function parseFrames(data) {
  /** @type {StompFrame[]} */
  const frames = [];
  let heartbeats = 0;
  let pos = 0;
  for (;;) {
    while (pos < data.length && (data[pos] === '\n' || (data[pos] === '\r' && data[pos + 1] === '\n'))) {
      pos += data[pos] === '\r' ? 2 : 1;
      heartbeats++;
    }
    if (pos >= data.length) return { frames, rest: '', heartbeats };
    const head = findHead(data, pos);
    if (!head) return { frames, rest: data.slice(pos), heartbeats };
    const lines = data.slice(pos, head.end).split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    const command = lines[0];
    const esc = escapes(command);
    /** @type {Record<string, string>} */
    const headers = {};
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const colon = line.indexOf(':');
      if (colon < 0) throw new Error('invalid STOMP header line: ' + line);
      const key = esc ? unescapeHeader(line.slice(0, colon)) : line.slice(0, colon);
      // The first occurrence of a repeated header wins (STOMP 1.2 "Repeated Header Entries").
      if (!(key in headers)) headers[key] = esc ? unescapeHeader(line.slice(colon + 1)) : line.slice(colon + 1);
    }
    const bodyStart = head.bodyStart;
    let bodyEnd;
    if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (!Number.isInteger(len) || len < 0) throw new Error('invalid content-length: ' + headers['content-length']);
      bodyEnd = indexAfterBytes(data, bodyStart, len);
      if (bodyEnd < 0 || bodyEnd >= data.length) return { frames, rest: data.slice(pos), heartbeats };
      if (data[bodyEnd] !== NUL) throw new Error('STOMP frame body not followed by NUL');
    } else {
      bodyEnd = data.indexOf(NUL, bodyStart);
      if (bodyEnd < 0) return { frames, rest: data.slice(pos), heartbeats };
    }
    frames.push({ command, headers, body: data.slice(bodyStart, bodyEnd) });
    pos = bodyEnd + 1;
  }
}

/**
 * Where the header block ends: `end` is the EOL closing the last header line (or the command),
 * `bodyStart` follows the blank line. Null while the blank line has not arrived.
 * @param {string} data @param {number} from
 * @returns {{ end: number, bodyStart: number } | null}
 */
function findHead(data, from) {
  for (let i = data.indexOf('\n', from); i >= 0; i = data.indexOf('\n', i + 1)) {
    if (data[i + 1] === '\n') return { end: i, bodyStart: i + 2 };
    if (data[i + 1] === '\r' && data[i + 2] === '\n') return { end: i, bodyStart: i + 3 };
  }
  return null;
}

/** Incremental decoder for a STOMP connection: frames may span or share WebSocket messages. */
export class StompDecoder {
  constructor() {
    this.buffer = '';
    this.heartbeats = 0;
  }

  /** @param {string} chunk @returns {StompFrame[]} */
  push(chunk) {
    const r = parseFrames(this.buffer + chunk);
    this.buffer = r.rest;
    this.heartbeats += r.heartbeats;
    return r.frames;
  }
}
