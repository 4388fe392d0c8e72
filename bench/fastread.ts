/**
 * Cheap reads of `seq` and `sentAt` from event bytes, without JSON.parse.
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

/**
 * The one event of a WebSocket frame, SSE block or STOMP MESSAGE in `buf[from, to)`: two native
 * searches instead of scanEvents' four (it also looks for a next event and for `"data":`).
 * @returns false when there is no event
 */
export function scanOneEvent(buf: Buffer, sink: EventSink, from = 0, to = buf.length): boolean {
  const start = buf.indexOf(SEQ_KEY, from);
  if (start === -1 || start >= to) return false;
  const seq = readUint(buf, start + SEQ_KEY.length, to);
  if (seq < 0) return false;
  // sentAt precedes data; a match past this event's end means the event had no sentAt.
  const sentKey = buf.indexOf(SENT_KEY, readEnd);
  sink(seq, sentKey !== -1 && sentKey < to ? readNumber(buf, sentKey + SENT_KEY.length, to) : NaN);
  return true;
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

const WS_EVENT_PREFIX = Buffer.from('{"op":"event"');

/** True when a WebSocket text frame is an `event` op (the hot path); other ops are rare and JSON.parsed. */
export function isWsEvent(buf: Buffer, start = 0, end = buf.length): boolean {
  return end - start > WS_EVENT_PREFIX.length && buf.compare(WS_EVENT_PREFIX, 0, WS_EVENT_PREFIX.length, start, start + WS_EVENT_PREFIX.length) === 0;
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
