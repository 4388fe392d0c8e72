/**
 * Server-Sent Events blocks, byte-for-byte what fastify-sse-v2's serializer writes for the same
 * message, so the two SSE writers put identical bytes on the wire. Pure: no I/O.
 */

/** One SSE message. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: number;
  comment?: string;
}

/** Encodes a message as an SSE block (multi-line data becomes several `data:` lines). */
export function encodeSseBlock(message: SseMessage): string {
  let block = '';
  if (message.id) block += `id: ${message.id}\n`;
  if (message.event) block += `event: ${message.event}\n`;
  if (message.data) for (const line of message.data.split('\n')) block += `data: ${line}\n`;
  if (message.retry) block += `retry: ${message.retry}\n`;
  if (message.comment) block += `:${message.comment}\n`;
  return block ? block + '\n' : '';
}

/** The block of one domain event: `id` = seq, `event` = type, `data` = the event JSON (one line). */
export function encodeSseEvent(seq: number, type: string, json: string): Buffer {
  return Buffer.from(`id: ${seq}\nevent: ${type}\ndata: ${json}\n\n`);
}

/** The heartbeat comment. */
export const SSE_HEARTBEAT = Buffer.from(': ping\n\n');

/**
 * `bytes` as one HTTP/1.1 chunk of a chunked body (RFC 9112 section 7.1): hex size, CRLF, the bytes,
 * CRLF. Encoded once per event, so every stream writes the same Buffer instead of the response
 * framing each write anew.
 */
export function httpChunk(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${bytes.length.toString(16)}\r\n`, 'latin1'), bytes, CRLF]);
}

const CRLF = Buffer.from('\r\n');

/** The last chunk of a chunked body, with no trailers: what ends the response on the wire. */
export const HTTP_LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

/** The `retry:` block sent on open (ms the client waits before reconnecting). */
export function encodeSseRetry(ms: number): Buffer {
  return Buffer.from(encodeSseBlock({ retry: ms }));
}

/** A named control event without an id (`truncated`, `error`), so it does not move the client's cursor. */
export function encodeSseControl(event: string, payload: object): Buffer {
  return Buffer.from(encodeSseBlock({ event, data: JSON.stringify(payload) }));
}
