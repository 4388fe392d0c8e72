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

/** The longest heart-beat period a session runs (1 h): a longer one is clamped (ours) or not checked (the client's). */
export const MAX_HEARTBEAT_MS = 3_600_000;

/**
 * Heart-beat negotiation. `client` is the CONNECT header `cx,cy`, `server` ours `sx,sy`.
 * A period above MAX_HEARTBEAT_MS is never a timer: we send at least every MAX_HEARTBEAT_MS, and a
 * client that promises to beat less often than that is not checked by heart-beats (protocol pings
 * still find a dead peer).
 * @returns ms between our sends (0 = none) and the ms within which we expect to hear from the client
 */
export function negotiateHeartbeat(client: string | undefined, server: readonly [number, number]): { send: number; expect: number } {
  const [cx, cy] = (client ?? '0,0').split(',').map((v) => Number.parseInt(v, 10));
  if (!Number.isFinite(cx) || !Number.isFinite(cy) || cx! < 0 || cy! < 0) throw new StompCodecError('invalid_request', 'heart-beat must be two non-negative integers "cx,cy"');
  const [sx, sy] = server;
  const send = sx === 0 || cy === 0 ? 0 : Math.min(Math.max(sx, cy!), MAX_HEARTBEAT_MS);
  const expect = sy === 0 || cx === 0 ? 0 : Math.max(sy, cx!);
  return { send, expect: expect > MAX_HEARTBEAT_MS ? 0 : expect };
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
 * One Parser for every connection: it is fed only complete frames (an unfinished frame waits in the
 * connection's own buffer) and is reset when left inside a frame, so it is idle between messages and
 * holds nothing of a connection. (A Parser per connection carried its own TextEncoder, TextDecoder and
 * buffers: about 1 KB of heap plus native memory for every idle STOMP connection.)
 */
const parsed: { frames: IRawFrameType[] | undefined; heartbeats: number } = { frames: undefined, heartbeats: 0 };
const sharedParser = new Parser(
  (frame) => parsed.frames?.push(frame),
  () => parsed.heartbeats++,
);

/**
 * Reads frames from WebSocket messages. A frame may arrive split over several messages (STOMP over
 * WebSocket clients split large frames): the bytes of an unfinished frame wait in a per-connection
 * buffer that never holds more than `maxFrameBytes`. Two allowances make frames typeable by hand
 * (wscat sends each typed line as its own message, without its line end): a message with neither an
 * EOL nor a NUL that arrives while a frame's headers are still open is one header line, and a frame
 * without `content-length` whose message ends without a NUL ends there (the NUL is implied; a SEND
 * that ends at its blank line takes the next message as its body). The first allowance means a
 * client that splits inside a frame's first header lines must split after an EOL, not within a line
 * that has none; clients split large frames, whose header lines are long behind them.
 */
export class StompFrameReader {
  /** Bytes of a frame whose end has not arrived yet. */
  private pending: Buffer = EMPTY;

  constructor(private readonly limits: { maxFrameBytes: number; maxHeaders: number }) {}

  /** Bytes of an unfinished frame held for the next message. */
  get buffered(): number {
    return this.pending.length;
  }

  /**
   * Parses one WebSocket message.
   * @returns the raw frames it completed and how many heart-beat EOLs
   * @throws StompCodecError for oversized or malformed input (the buffer is dropped)
   */
  push(message: Buffer): { frames: IRawFrameType[]; heartbeats: number } {
    const frames: IRawFrameType[] = [];
    if (this.pending.length + message.length > this.limits.maxFrameBytes) {
      this.pending = EMPTY;
      throw new StompCodecError('payload_too_large', `frame exceeds ${this.limits.maxFrameBytes} bytes`);
    }
    if (!headersClosed(this.pending) && message.indexOf(LF) === -1 && message.indexOf(0) === -1) message = Buffer.concat([message, LF_BUF]);
    const input = this.pending.length === 0 ? message : Buffer.concat([this.pending, message]);
    let split: { complete: Buffer; rest: Buffer };
    try {
      split = splitComplete(input, this.limits.maxFrameBytes);
    } catch (err) {
      this.pending = EMPTY;
      throw err;
    }
    this.pending = split.rest.length === 0 ? EMPTY : Buffer.from(split.rest); // a copy: the message buffer is not ours to keep
    // Parser copies typed arrays into a Uint8Array; the cast only satisfies its declared type.
    parsed.frames = frames;
    parsed.heartbeats = 0;
    try {
      if (split.complete.length > 0) sharedParser.parseChunk(split.complete as unknown as ArrayBuffer, false);
    } finally {
      parsed.frames = undefined;
    }
    if (!isParserIdle(sharedParser)) {
      resetParser(sharedParser);
      this.pending = EMPTY;
      throw new StompCodecError('invalid_request', 'frame not complete (a header line without a colon?)');
    }
    for (const frame of frames) {
      if (frame.headers.length > this.limits.maxHeaders) throw new StompCodecError('invalid_request', `more than ${this.limits.maxHeaders} headers`);
    }
    return { frames, heartbeats: parsed.heartbeats };
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

const heads = new Map<string, WeakRef<Buffer>>();
const forgetHead = new FinalizationRegistry<string>((key) => {
  if (heads.get(key)?.deref() === undefined) heads.delete(key);
});

/**
 * The per-subscription start of a MESSAGE frame: command, `subscription` and `destination`.
 * Interned: subscriptions with the same bytes (most clients name their first subscription alike)
 * share one Buffer, so a fan-out can recognise them by identity and write one whole frame per event
 * to all of them. Entries go when no subscription holds the Buffer any more.
 */
export function encodeMessageHead(subscriptionId: string, destination: string, version: StompVersion): Buffer {
  const text = `MESSAGE\nsubscription:${escapeHeader(subscriptionId, version)}\ndestination:${escapeHeader(destination, version)}\n`;
  const known = heads.get(text)?.deref();
  if (known) return known;
  const head = Buffer.from(text);
  heads.set(text, new WeakRef(head));
  forgetHead.register(head, text);
  return head;
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

const EMPTY = Buffer.alloc(0);
const LF = 0x0a;
const LF_BUF = Buffer.from([LF]);

/** True when the frame begun in `pending` (after any heart-beat EOLs) has its blank line. */
function headersClosed(pending: Buffer): boolean {
  return pending.length > 0 && /\r?\n\r?\n/.test(pending.toString('latin1').replace(/^[\r\n]+/, ''));
}

/**
 * Splits input into whole frames (each ending in NUL; an implied NUL is added) followed by the start
 * of an unfinished one. A negative or non-numeric content-length would make the parser count down for
 * ever, and one that does not end at a NUL would swallow bytes silently: both are refused, and one
 * that announces a frame over the cap is refused before its body is waited for. Only
 * header sections are scanned (bodies may contain anything). Lines may end in LF or CRLF (STOMP 1.2).
 */
function splitComplete(input: Buffer, maxFrameBytes: number): { complete: Buffer; rest: Buffer } {
  const text = input.toString('latin1');
  const headerEnd = /\r?\n\r?\n/g;
  const parts: Buffer[] = [];
  let at = 0;
  let done = 0; // input[0, done) is whole frames and EOLs
  for (;;) {
    while (at < text.length && (text[at] === '\n' || text[at] === '\r' || text[at] === '\0')) at++;
    if (at > done) parts.push(input.subarray(done, at));
    done = at;
    if (at >= text.length) break;
    headerEnd.lastIndex = at;
    const end = headerEnd.exec(text);
    const nulInHeaders = text.indexOf('\0', at);
    if (nulInHeaders !== -1 && (!end || nulInHeaders < end.index)) throw new StompCodecError('invalid_request', 'frame ended (NUL) before the blank line after its headers');
    if (!end) break; // headers still open: wait for the rest
    const bodyStart = end.index + end[0].length;
    const match = /(?:^|\n)content-length:([^\n\r]*)/.exec(text.slice(at, end.index));
    if (match) {
      if (!/^\d{1,9}$/.test(match[1]!)) throw new StompCodecError('invalid_request', `content-length must be a non-negative integer, got '${match[1]}'`);
      const stop = bodyStart + Number(match[1]);
      if (stop + 1 - at > maxFrameBytes) throw new StompCodecError('payload_too_large', `frame exceeds ${maxFrameBytes} bytes (content-length)`);
      if (stop > text.length) break; // the body is still arriving
      if (stop < text.length && text[stop] !== '\0') throw new StompCodecError('invalid_request', 'content-length does not match the body (no NUL after it)');
      parts.push(input.subarray(at, stop), NUL); // a NUL right at the end of the message is implied
      at = stop + 1;
    } else {
      const nul = text.indexOf('\0', bodyStart);
      // A typed SEND sends its body as the next line: a SEND whose message ends at its blank line waits for it.
      if (nul === -1 && bodyStart === text.length && /^SEND\r?\n/.test(text.slice(at, at + 6))) break;
      const stop = nul === -1 ? text.length : nul;
      parts.push(input.subarray(at, stop), NUL);
      at = stop + 1;
    }
    done = Math.min(at, text.length);
  }
  return { complete: parts.length === 1 ? parts[0]! : Buffer.concat(parts), rest: input.subarray(done) };
}
