import type { ErrorObject } from 'ajv';
import { HubError, type ErrorCode } from '../domain/errors.js';
import type { PublishCommand } from '../domain/events.js';
import { wsClientOpSchema } from '../domain/schemas.js';
import { compileBodySchema, describeAjvError } from '../domain/validate.js';
import { OPCODE, serverFrame, serverFrameHeader } from './ws-frames.js';

/**
 * The WebSocket protocol's JSON ops, decoded and encoded without I/O.
 * Client -> server: subscribe, unsubscribe, publish, ping. Server -> client: subscribed, unsubscribed,
 * ack, pong, event, error.
 */

/** A decoded client op. */
export type WsClientOp =
  | { op: 'subscribe'; group: string; since?: number; ref?: string | number }
  | { op: 'unsubscribe'; group: string; ref?: string | number }
  | { op: 'publish'; group: string; event: PublishCommand; ref?: string | number }
  | { op: 'ping'; ref?: string | number };

/** A frame that failed to decode: the error to answer with, and the `ref` when one could be read. */
export class WsDecodeError extends HubError {
  constructor(
    code: ErrorCode,
    message: string,
    readonly ref: string | number | undefined,
  ) {
    super(code, message);
  }
}

const KNOWN_OPS = new Set(['subscribe', 'unsubscribe', 'publish', 'ping']);
const validateOp = compileBodySchema<WsClientOp>(wsClientOpSchema);

function codeFor(error: ErrorObject | undefined): ErrorCode {
  const path = error?.instancePath ?? '';
  if (path === '/group') return 'invalid_group';
  if (path === '/since') return 'invalid_cursor';
  if (path === '/event/user') return 'invalid_user';
  if (path.startsWith('/event') || (error?.keyword === 'required' && (error.params as { missingProperty?: string }).missingProperty === 'event')) {
    return 'invalid_event';
  }
  if (error?.keyword === 'required' && (error.params as { missingProperty?: string }).missingProperty === 'group') return 'invalid_group';
  return 'invalid_request';
}

/**
 * Decodes one text frame.
 * @throws WsDecodeError `unknown_op` for anything that is not a known op (plain text included),
 *   else the code of the first bad field
 */
export function decodeClientOp(text: string): WsClientOp {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new WsDecodeError('unknown_op', 'frame is not a JSON op', undefined);
  }
  const candidate = value as { op?: unknown; ref?: unknown } | null;
  const ref = typeof candidate?.ref === 'string' || typeof candidate?.ref === 'number' ? candidate.ref : undefined;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate) || typeof candidate.op !== 'string' || !KNOWN_OPS.has(candidate.op)) {
    throw new WsDecodeError('unknown_op', 'expected {"op": "subscribe" | "unsubscribe" | "publish" | "ping"}', ref);
  }
  if (validateOp(value)) return value;
  const error = validateOp.errors?.[0];
  const message = error?.instancePath.startsWith('/event') ? describeAjvError({ ...error, instancePath: error.instancePath.slice(6) } as ErrorObject, 'event') : describeAjvError(error, 'op');
  throw new WsDecodeError(codeFor(error), message, ref);
}

// The framing itself lives in ws-frames.ts; these names stay for the callers that encode ops.
export { wsFrameOverhead } from './ws-frames.js';

/**
 * The header of an unmasked, final text frame (server to client) carrying `length` payload bytes.
 * Server frames are never masked, so a frame's bytes are the same for every recipient and can be
 * encoded once per event (RFC 6455 section 5.2).
 */
export function wsTextFrameHeader(length: number): Buffer {
  return serverFrameHeader(OPCODE.text, length);
}

/** A whole server-to-client text frame: header and payload in one buffer. */
export function wsTextFrame(payload: Buffer): Buffer {
  return serverFrame(OPCODE.text, payload);
}

/** `{"op":"event","event":...}` around an event's JSON, encoded once per event. */
export function encodeEventFrame(json: string): Buffer {
  return Buffer.from(`{"op":"event","event":${json}}`);
}

/** Encodes a server reply op. */
export function encodeReply(reply: Record<string, unknown>): string {
  return JSON.stringify(reply);
}

/** `{"op":"error","code","message","ref"?,"retryAfter"?}` (`retryAfter` in seconds, with `rate_limited`). */
export function encodeError(err: HubError, ref?: string | number): string {
  const reply: Record<string, unknown> = { op: 'error', code: err.code, message: err.message };
  if (ref !== undefined) reply.ref = ref;
  if (err.retryAfter !== undefined) reply.retryAfter = err.retryAfter;
  return JSON.stringify(reply);
}
