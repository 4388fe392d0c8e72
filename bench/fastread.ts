/**
 * Cheap reads of `seq` and `sentAt` from event bytes, without JSON.parse. Two readers: `scanEvents`
 * searches a body of many events (polling); `readEventHead` (below) reads one event at a known
 * place, checking its whole head, for the streaming clients (WebSocket, STOMP, SSE).
 *
 * Every event JSON the server writes starts with `{"seq":N,` (the broker puts seq first) and carries
 * `"sentAt":X` before `"data":` (key order group, type, user, at, sentAt, data; docs/protocol.md).
 * So one scanner serves a WebSocket frame, an SSE `data:` line, a STOMP body and a poll body alike:
 * find `{"seq":`, read digits, find `"sentAt":` before the next `"data":`. Ids cannot contain quotes and
 * the bench's own chat texts never contain these keys, so a false match is impossible here.
 */

const SEQ_KEY = Buffer.from('{"seq":');
const SENT_KEY = Buffer.from('"sentAt":');
const DATA_KEY = Buffer.from('"data":');
const NEXT_KEY = Buffer.from('"next":');
const TRUNCATED_KEY = Buffer.from('"truncated":true');

/** Receives each event found: its seq and sentAt (NaN when the event had none). */
export type EventSink = (seq: number, sentAt: number) => void;

/** Position after the last number read by `readUint`/`readNumber`. */
export let readEnd = 0;

/** Reads an unsigned integer at `at`; -1 when there is no digit there. */
export function readUint(buf: Buffer, at: number, end = buf.length): number {
  let value = 0;
  let i = at;
  for (; i < end; i++) {
    const c = buf[i]! - 48;
    if (c < 0 || c > 9) break;
    value = value * 10 + c;
  }
  readEnd = i;
  return i === at ? -1 : value;
}

/** Reads a non-negative JSON number (integer or decimal) at `at`; NaN when there is none. */
export function readNumber(buf: Buffer, at: number, end = buf.length): number {
  const int = readUint(buf, at, end);
  if (int < 0) return NaN;
  let i = readEnd;
  if (buf[i] === 46 /* . */) {
    let scale = 1;
    let frac = 0;
    for (i++; i < end; i++) {
      const c = buf[i]! - 48;
      if (c < 0 || c > 9) break;
      frac = frac * 10 + c;
      scale *= 10;
    }
    readEnd = i;
    if (buf[i] === 101 || buf[i] === 69) return slowNumber(buf, at, end); // exponent: rare, do it properly
    return int + frac / scale;
  }
  if (buf[i] === 101 || buf[i] === 69) return slowNumber(buf, at, end);
  return int;
}

function slowNumber(buf: Buffer, at: number, end: number): number {
  let i = at;
  while (i < end && /[0-9.eE+-]/.test(String.fromCharCode(buf[i]!))) i++;
  readEnd = i;
  return Number(buf.toString('latin1', at, i));
}

/**
 * Calls `sink` for every event JSON in `buf[from, to)`.
 * @returns the number of events found
 */
export function scanEvents(buf: Buffer, sink: EventSink, from = 0, to = buf.length): number {
  let found = 0;
  let at = from;
  for (;;) {
    const start = buf.indexOf(SEQ_KEY, at);
    if (start === -1 || start >= to) return found;
    const seq = readUint(buf, start + SEQ_KEY.length, to);
    if (seq < 0) {
      at = start + SEQ_KEY.length;
      continue;
    }
    at = readEnd;
    const dataAt = buf.indexOf(DATA_KEY, at);
    const sentKey = buf.indexOf(SENT_KEY, at);
    let sentAt = NaN;
    if (sentKey !== -1 && sentKey < to && (dataAt === -1 || sentKey < dataAt)) {
      sentAt = readNumber(buf, sentKey + SENT_KEY.length, to);
      at = readEnd;
    }
    if (dataAt !== -1 && dataAt > at) at = dataAt + DATA_KEY.length;
    sink(seq, sentAt);
    found++;
  }
}

/** The `"next":M` of a poll body (searched from the end, where it is); -1 when absent. */
export function readNext(buf: Buffer): number {
  const at = buf.lastIndexOf(NEXT_KEY);
  return at === -1 ? -1 : readUint(buf, at + NEXT_KEY.length);
}

/** Whether a poll body carries `"truncated":true` (it sits after `next`, at the end). */
export function hasTruncated(buf: Buffer): boolean {
  return buf.lastIndexOf(TRUNCATED_KEY) !== -1 && buf.lastIndexOf(TRUNCATED_KEY) > buf.lastIndexOf(NEXT_KEY);
}

const STOMP_MESSAGE = Buffer.from('MESSAGE\n');

/** True when a STOMP frame is a MESSAGE. */
export function isStompMessage(buf: Buffer, start = 0, end = buf.length): boolean {
  return end - start > STOMP_MESSAGE.length && buf.compare(STOMP_MESSAGE, 0, STOMP_MESSAGE.length, start, start + STOMP_MESSAGE.length) === 0;
}

/** Finds `\n<name>:` in a STOMP frame's header section and returns its value (frames are small). */
export function stompHeader(buf: Buffer, name: string): string | undefined {
  const headEnd = buf.indexOf('\n\n');
  const head = buf.toString('utf8', 0, headEnd === -1 ? buf.length : headEnd);
  const at = head.indexOf(`\n${name}:`);
  if (at === -1) return undefined;
  const start = at + name.length + 2;
  const stop = head.indexOf('\n', start);
  return head.slice(start, stop === -1 ? head.length : stop);
}

// --- The exact-shape reader: an event as our own encoder writes it, read without native calls ---

/**
 * The event last read (valid until the next read): its seq, its sentAt (NaN when the event had
 * none) and its group: where the id sits in the buffer after `readEventHead`, the parsed id after
 * `parseEvent` / `takeParsed` (which set the positions to -1).
 */
export const lastEvent: { seq: number; sentAt: number; groupStart: number; groupEnd: number; group: string | undefined } = { seq: 0, sentAt: NaN, groupStart: 0, groupEnd: 0, group: undefined };

/** How often each reader took the fast path or fell back (a fallback means the wire shape moved). */
export const readPaths = { fast: 0, slow: 0 };

const bytes = (text: string) => Uint8Array.from(Buffer.from(text, 'latin1'));
const EV_SEQ = bytes('{"seq":');
const EV_GROUP = bytes(',"group":"');
const EV_TYPE = bytes(',"type":"');
const EV_USER = bytes(',"user":"');
const EV_AT = bytes(',"at":');
const EV_SENT = bytes(',"sentAt":');
const EV_DATA = bytes(',"data":');
const WS_EVENT_HEAD = bytes('{"op":"event","event":');
const QUOTE = 34;
const BACKSLASH = 92;

/** Whether `lit` sits at `buf[at]` (a JS loop: cheaper than a native call for a few bytes). */
function literalAt(buf: Uint8Array, at: number, end: number, lit: Uint8Array): boolean {
  const n = lit.length;
  if (end - at < n) return false;
  for (let i = 0; i < n; i++) if (buf[at + i] !== lit[i]) return false;
  return true;
}

/** The index of the quote closing a string whose content starts at `at`; -1 on an escape or no quote. */
function stringEnd(buf: Uint8Array, at: number, end: number): number {
  for (let i = at; i < end; i++) {
    const c = buf[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) return -1; // ids and types never need escapes; let JSON.parse decide
  }
  return -1;
}

/**
 * Reads the head of one event JSON at `buf[at]`, exactly as the server encodes it (JSON.stringify of
 * src/domain/events.ts's RtEvent: `{"seq":N,"group":"G","type":"T","user":"U","at":A,["sentAt":S,]"data":`)
 * into `lastEvent`, checking every key and delimiter on the way. Anything else (another key order, an
 * escape in a string, a number form readNumber does not take) returns false: the caller then falls
 * back to JSON.parse, so a change of the wire shape costs speed, never correctness.
 */
export function readEventHead(buf: Buffer, at: number, end: number): boolean {
  if (!literalAt(buf, at, end, EV_SEQ)) return false;
  const seq = readUint(buf, at + EV_SEQ.length, end);
  if (seq < 0 || seq > Number.MAX_SAFE_INTEGER || !literalAt(buf, readEnd, end, EV_GROUP)) return false;
  const groupStart = readEnd + EV_GROUP.length;
  const groupEnd = stringEnd(buf, groupStart, end);
  if (groupEnd < 0 || !literalAt(buf, groupEnd + 1, end, EV_TYPE)) return false;
  const typeEnd = stringEnd(buf, groupEnd + 1 + EV_TYPE.length, end);
  if (typeEnd < 0 || !literalAt(buf, typeEnd + 1, end, EV_USER)) return false;
  const userEnd = stringEnd(buf, typeEnd + 1 + EV_USER.length, end);
  if (userEnd < 0 || !literalAt(buf, userEnd + 1, end, EV_AT)) return false;
  // `at` is not needed: skip its digits (and a fraction, should there be one) without converting.
  let next = userEnd + 1 + EV_AT.length;
  const atStart = next;
  while (next < end && ((buf[next]! >= 48 && buf[next]! <= 57) || buf[next] === 46)) next++;
  if (next === atStart) return false;
  let sentAt = NaN;
  if (literalAt(buf, next, end, EV_SENT)) {
    sentAt = readNumber(buf, next + EV_SENT.length, end);
    if (Number.isNaN(sentAt)) return false;
    next = readEnd;
  }
  if (!literalAt(buf, next, end, EV_DATA)) return false;
  lastEvent.seq = seq;
  lastEvent.sentAt = sentAt;
  lastEvent.groupStart = groupStart;
  lastEvent.groupEnd = groupEnd;
  return true;
}

/**
 * The seq and sentAt of an event JSON the slow way (JSON.parse), for frames the fast reader declined.
 * @returns false when `buf[from, to)` is not an event object with an integer seq
 */
export function parseEvent(buf: Buffer, from: number, to: number): boolean {
  let event: { seq?: unknown; sentAt?: unknown; group?: unknown };
  try {
    event = JSON.parse(buf.toString('utf8', from, to));
  } catch {
    return false;
  }
  return takeParsed(event);
}

/** Fills `lastEvent` from a parsed event. */
export function takeParsed(event: { seq?: unknown; sentAt?: unknown; group?: unknown } | null | undefined): boolean {
  if (typeof event !== 'object' || event === null || !Number.isSafeInteger(event.seq) || (event.seq as number) < 0) return false;
  lastEvent.seq = event.seq as number;
  lastEvent.sentAt = typeof event.sentAt === 'number' ? event.sentAt : NaN;
  lastEvent.groupStart = lastEvent.groupEnd = -1;
  lastEvent.group = typeof event.group === 'string' ? event.group : undefined;
  return true;
}

/** Whether a WebSocket text frame `buf[start, end)` opens as an event op (`{"op":"event","event":`). */
export function wsEventAt(buf: Uint8Array, start: number, end: number): boolean {
  return literalAt(buf, start, end, WS_EVENT_HEAD);
}

/** Where the event JSON of a WebSocket event frame starts. */
export const WS_EVENT_OFFSET = WS_EVENT_HEAD.length;

/** Whether `buf[a, b)` holds exactly the bytes of `id` (a group id: short, ASCII). */
export function bytesEqual(buf: Uint8Array, a: number, b: number, id: Uint8Array): boolean {
  if (b - a !== id.length) return false;
  for (let i = 0; i < id.length; i++) if (buf[a + i] !== id[i]) return false;
  return true;
}

const STOMP_MESSAGE_HEAD = bytes('MESSAGE\n');
const STOMP_TRUNCATED_LINE = bytes('truncated:true\n');
const NL = 10;

/** Set by `stompBodyAt`: whether the MESSAGE carried the `truncated:true` header (the loss signal). */
export const stompFrame = { truncated: false };

/**
 * Where the body of a STOMP MESSAGE `buf[start, end)` starts (after the blank line that ends its
 * headers), reading the headers in one JS pass that also notes `truncated:true`; -1 when the frame
 * is not a MESSAGE or its headers do not end within `maxHead` bytes.
 */
export function stompBodyAt(buf: Buffer, start: number, end: number, maxHead: number): number {
  if (!literalAt(buf, start, end, STOMP_MESSAGE_HEAD)) return -1;
  stompFrame.truncated = false;
  const stop = Math.min(end, start + maxHead);
  let line = start + STOMP_MESSAGE_HEAD.length;
  for (let i = line; i < stop; i++) {
    if (buf[i] !== NL) continue;
    if (i === line) return i + 1; // the blank line
    if (buf[line] === 116 /* t */ && literalAt(buf, line, i + 1, STOMP_TRUNCATED_LINE)) stompFrame.truncated = true;
    line = i + 1;
  }
  return -1;
}

const SSE_DATA = bytes('data: ');

/**
 * Where the `data: ` value of an SSE event block `buf[start, end)` starts (the block is `id: N`,
 * `event: T`, `data: JSON` lines, as the server writes it); -1 when no line of the block is `data: `.
 */
export function sseDataAt(buf: Buffer, start: number, end: number): number {
  let line = start;
  for (let i = start; i < end; i++) {
    if (buf[i] !== NL) continue;
    line = i + 1;
    if (buf[line] === 100 /* d */ && literalAt(buf, line, end, SSE_DATA)) return line + SSE_DATA.length;
  }
  return literalAt(buf, start, end, SSE_DATA) ? start + SSE_DATA.length : -1;
}
