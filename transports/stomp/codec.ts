import { FrameImpl, Parser, type IRawFrameType } from '@stomp/stompjs';

/**
 * STOMP 1.0–1.2 frames on top of @stomp/stompjs's Parser and FrameImpl, plus the lines the library
 * leaves to us: bounded input (its Parser never reports errors and buffers without bound), header
 * values decoded per version without trimming, and MESSAGE frames pre-encoded once per event. Pure.
 */

/** A STOMP version we speak. */
export type StompVersion = '1.0' | '1.1' | '1.2';
/** Versions, best first. */
export const STOMP_VERSIONS: readonly StompVersion[] = ['1.2', '1.1', '1.0'];

/** A decoded frame: headers as a map where the first occurrence of a name wins (STOMP 1.2). */
export interface StompFrame {
  command: string;
  headers: Map<string, string>;
  body: string;
}

/** A frame that cannot be read; the connection answers ERROR and closes. */
export class StompCodecError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'payload_too_large',
    message: string,
  ) {
    super(message);
  }
}

/** Picks the subprotocol for a STOMP upgrade: the highest offered, or none (STOMP works without). */
export function chooseStompSubprotocol(offered: Set<string>): string | false {
  for (const candidate of ['v12.stomp', 'v11.stomp', 'v10.stomp']) if (offered.has(candidate)) return candidate;
  return false;
}

/**
 * The highest version common to `accept-version` and ours. A missing header means 1.0 (the spec);
 * values we do not know (such as `2.0`) are ignored.
 */
export function negotiateVersion(acceptVersion: string | undefined): StompVersion | undefined {
  if (acceptVersion === undefined) return '1.0';
  const offered = new Set(acceptVersion.split(',').map((v) => v.trim()));
  return STOMP_VERSIONS.find((v) => offered.has(v));
}

/**
 * Heart-beat negotiation. `client` is the CONNECT header `cx,cy`, `server` ours `sx,sy`.
 * @returns ms between our sends (0 = none) and the ms within which we expect to hear from the client
 */
export function negotiateHeartbeat(client: string | undefined, server: readonly [number, number]): { send: number; expect: number } {
  const [cx, cy] = (client ?? '0,0').split(',').map((v) => Number.parseInt(v, 10));
  if (!Number.isFinite(cx) || !Number.isFinite(cy) || cx! < 0 || cy! < 0) throw new StompCodecError('invalid_request', 'heart-beat must be two non-negative integers "cx,cy"');
  const [sx, sy] = server;
  return { send: sx === 0 || cy === 0 ? 0 : Math.max(sx, cy!), expect: sy === 0 || cx === 0 ? 0 : Math.max(sy, cx!) };
}

const UNESCAPE_12: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\c': ':', '\\r': '\r' };
const UNESCAPE_11: Record<string, string> = { '\\\\': '\\', '\\n': '\n', '\\c': ':' };

/** Decodes a header value: 1.0 and CONNECT/CONNECTED are raw; 1.1/1.2 unescape (an undefined escape is an error). */
export function unescapeHeader(value: string, version: StompVersion | undefined, command: string): string {
  if (version === undefined || version === '1.0' || command === 'CONNECT' || command === 'CONNECTED' || !value.includes('\\')) return value;
  const table = version === '1.2' ? UNESCAPE_12 : UNESCAPE_11;
  return value.replace(/\\(.?)/gs, (escape) => {
    const plain = table[escape];
    if (plain === undefined) throw new StompCodecError('invalid_request', `undefined escape sequence '${escape}' in a header`);
    return plain;
  });
}

/** Encodes a header value for the negotiated version (1.0 does no escaping). */
export function escapeHeader(value: string, version: StompVersion): string {
  if (version === '1.0') return value;
  const escaped = value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/:/g, '\\c');
  return version === '1.2' ? escaped.replace(/\r/g, '\\r') : escaped;
}

/**
 * Reads frames from WebSocket messages. Each message must carry whole frames (a missing final NUL is
 * added, so hand-typed frames work); a message that ends inside a frame — the symptom of a bad
 * `content-length` — is an error instead of a parser stalled for ever.
 */
export class StompFrameReader {
  private readonly parser: Parser;
  private frames: IRawFrameType[] = [];
  private heartbeats = 0;

  constructor(private readonly limits: { maxFrameBytes: number; maxHeaders: number }) {
    this.parser = new Parser(
      (frame) => this.frames.push(frame),
      () => this.heartbeats++,
    );
  }

  /**
   * Parses one WebSocket message.
   * @returns the raw frames it held and how many heart-beat EOLs
   * @throws StompCodecError for oversized, truncated or malformed input
   */
  push(message: Buffer): { frames: IRawFrameType[]; heartbeats: number } {
    if (message.length > this.limits.maxFrameBytes) throw new StompCodecError('payload_too_large', `frame exceeds ${this.limits.maxFrameBytes} bytes`);
    this.frames = [];
    this.heartbeats = 0;
    checkContentLengths(message);
    // Parser copies typed arrays into a Uint8Array; the cast only satisfies its declared type.
    this.parser.parseChunk(message as unknown as ArrayBuffer, true);
    if (!isParserIdle(this.parser)) {
      resetParser(this.parser);
      throw new StompCodecError('invalid_request', 'frame not complete within its message (bad content-length, or a header line without a colon)');
    }
    for (const frame of this.frames) {
      if (frame.headers.length > this.limits.maxHeaders) throw new StompCodecError('invalid_request', `more than ${this.limits.maxHeaders} headers`);
    }
    return { frames: this.frames, heartbeats: this.heartbeats };
  }
}

/** Decodes a raw frame's headers (first occurrence wins) and UTF-8 body. */
export function decodeFrame(raw: IRawFrameType, version: StompVersion | undefined): StompFrame {
  const command = raw.command ?? '';
  const headers = new Map<string, string>();
  for (const [name, value] of raw.headers) {
    const key = unescapeHeader(name, version, command);
    if (!headers.has(key)) headers.set(key, unescapeHeader(value, version, command));
  }
  return { command, headers, body: raw.binaryBody ? Buffer.from(raw.binaryBody).toString('utf8') : '' };
}

/**
 * Encodes a frame with FrameImpl. Header values are escaped here, per version, because FrameImpl
 * escapes the 1.2 way only (it would write `\r`, which 1.1 does not define). CONNECTED is never escaped.
 */
export function encodeFrame(command: string, headers: Record<string, string>, body: string, version: StompVersion): string {
  const escaped: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) escaped[name] = command === 'CONNECTED' ? value : escapeHeader(value, version);
  return FrameImpl.marshall({ command, headers: escaped, body, escapeHeaderValues: false, skipContentLengthHeader: body.length === 0 }) as string;
}

/** The per-subscription start of a MESSAGE frame: command, `subscription` and `destination`. */
export function encodeMessageHead(subscriptionId: string, destination: string, version: StompVersion): Buffer {
  return Buffer.from(`MESSAGE\nsubscription:${escapeHeader(subscriptionId, version)}\ndestination:${escapeHeader(destination, version)}\n`);
}

/**
 * The per-event rest of a MESSAGE frame: `message-id`, `seq`, content headers, body and NUL.
 * Encoded once per event and shared by every STOMP subscriber; `truncated` adds the loss signal.
 */
export function encodeMessageTail(group: string, seq: number, json: string, truncated = false): Buffer {
  const body = Buffer.from(json);
  const extra = truncated ? 'truncated:true\n' : '';
  return Buffer.concat([Buffer.from(`message-id:${group}-${seq}\nseq:${seq}\n${extra}content-type:application/json\ncontent-length:${body.length}\n\n`), body, NUL]);
}

const NUL = Buffer.from([0]);

// Parser states are methods; between frames the parser sits in `_collectFrame`. Reading that is the
// one place we rely on the library's internals — pinned by the unit test "reader detects truncation".
interface ParserInternals {
  _onByte: unknown;
  _collectFrame: unknown;
  _initState(): void;
}

function isParserIdle(parser: Parser): boolean {
  const internals = parser as unknown as ParserInternals;
  return internals._onByte === internals._collectFrame;
}

function resetParser(parser: Parser): void {
  (parser as unknown as ParserInternals)._initState();
}

// A negative or non-numeric content-length would make the parser count down for ever, and a short one
// would swallow bytes silently; refuse both up front. Only each frame's header section is scanned
// (bodies may contain anything). Lines may end in LF or CRLF (STOMP 1.2).
function checkContentLengths(message: Buffer): void {
  if (message.indexOf('content-length:') === -1) return;
  const text = message.toString('latin1');
  const headerEnd = /\r?\n\r?\n/g;
  let at = 0;
  while (at < text.length) {
    headerEnd.lastIndex = at;
    const end = headerEnd.exec(text);
    const headerBlock = end ? text.slice(at, end.index) : text.slice(at);
    const bodyStart = end ? end.index + end[0].length : text.length;
    const match = /(?:^|\n)content-length:([^\n\r]*)/.exec(headerBlock);
    if (match) {
      if (!/^\d{1,9}$/.test(match[1]!)) throw new StompCodecError('invalid_request', `content-length must be a non-negative integer, got '${match[1]}'`);
      const length = Number(match[1]);
      if (!end || bodyStart + length > text.length) throw new StompCodecError('invalid_request', 'content-length runs past the end of the message');
      // A missing NUL right at the end of the message is added later; anywhere else it must follow the body.
      if (bodyStart + length < text.length && text[bodyStart + length] !== '\0') {
        throw new StompCodecError('invalid_request', 'content-length does not match the body (no NUL after it)');
      }
      at = bodyStart + length + 1;
    } else {
      const nul = text.indexOf('\0', bodyStart);
      if (nul === -1) return;
      at = nul + 1;
    }
    while (at < text.length && (text[at] === '\n' || text[at] === '\r' || text[at] === '\0')) at++;
  }
}
