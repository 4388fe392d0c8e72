/**
 * JSON schemas for every edge: HTTP routes declare them, and the WebSocket and STOMP transports run
 * publish bodies through the same compiled validator (see validate.ts). No shape check is hand-written.
 */

import { CURSOR_PATTERN } from './cursor.js';

/** Group, user and clientId pattern. */
export const ID_PATTERN = '^[A-Za-z0-9_.-]{1,64}$';

/** A group or user id. */
export const idSchema = { type: 'string', pattern: ID_PATTERN } as const;

/** A cursor in a JSON op (WebSocket): the last seq the client has (0 = from the beginning), an integer. */
export const cursorSchema = { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER } as const;

/**
 * A cursor in a query string: decimal digits only, at most 2^53-1 (the `cursor` keyword checks the
 * value and turns it into a number for the handler). Never coerced, so `%20`, `0x1`, `1e3`, `+1` fail.
 */
export const cursorParamSchema = { type: 'string', pattern: CURSOR_PATTERN, cursor: true } as const;

/** Fields every publish command may carry. `finite` rejects the Infinity that `1e400` parses to. */
const commonCommandFields = {
  /** The publishing user (ignored when auth is on). */
  user: idSchema,
  /** Publisher's clock, ms since epoch. */
  sentAt: { type: 'number', minimum: 0, finite: true },
} as const;

/** `{"type":"location","lat","lng","accuracy"?,"heading"?,"speed"?,"sentAt"?}` */
export const locationCommandSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'lat', 'lng'],
  properties: {
    type: { const: 'location' },
    lat: { type: 'number', minimum: -90, maximum: 90 },
    lng: { type: 'number', minimum: -180, maximum: 180 },
    accuracy: { type: 'number', minimum: 0, finite: true },
    heading: { type: 'number', minimum: 0, exclusiveMaximum: 360 },
    speed: { type: 'number', minimum: 0, finite: true },
    ...commonCommandFields,
  },
} as const;

/** `{"type":"chat","text":"1..1000 code points","clientId"?,"sentAt"?}` */
export const chatCommandSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'text'],
  properties: {
    type: { const: 'chat' },
    text: { type: 'string', minLength: 1, maxLength: 1000 },
    clientId: idSchema,
    ...commonCommandFields,
  },
} as const;

/** The publish command: a location or a chat, told apart by `type`. */
export const publishCommandSchema = {
  type: 'object',
  required: ['type'],
  discriminator: { propertyName: 'type' },
  oneOf: [locationCommandSchema, chatCommandSchema],
} as const;

/** Route params carrying a group. */
export const groupParamsSchema = {
  type: 'object',
  required: ['group'],
  properties: { group: idSchema },
} as const;

/** Querystring of the poll routes (and `?user=`, `?since=` on streams). */
export const cursorQuerySchema = {
  type: 'object',
  properties: { since: cursorParamSchema, user: idSchema },
} as const;

/** Querystring of long polling: the cursor plus `timeout` in ms (1..60000). */
export const longPollQuerySchema = {
  type: 'object',
  properties: {
    since: cursorParamSchema,
    user: idSchema,
    timeout: { type: 'integer', minimum: 1, maximum: 60000 },
  },
} as const;

/**
 * Querystring of SSE. `limit` (events) and `timeout` (ms) are an extension for clients that can only
 * read a complete response, such as stock k6: the stream ends after that many events or that long.
 */
export const sseQuerySchema = {
  type: 'object',
  properties: {
    since: cursorParamSchema,
    user: idSchema,
    limit: { type: 'integer', minimum: 1, maximum: 100000 },
    timeout: { type: 'integer', minimum: 1, maximum: 3600000 },
  },
} as const;

/** Querystring of the WebSocket and STOMP upgrades. */
export const userQuerySchema = {
  type: 'object',
  properties: { user: idSchema },
} as const;

/** A WebSocket op's `ref`: echoed on the ack or error it causes. */
const refSchema = { anyOf: [{ type: 'string', maxLength: 128 }, { type: 'integer' }] } as const;

/** WebSocket client ops, told apart by `op`. Unknown fields are ignored, as JSON protocols do. */
export const wsClientOpSchema = {
  type: 'object',
  required: ['op'],
  discriminator: { propertyName: 'op' },
  oneOf: [
    {
      type: 'object',
      required: ['op', 'group'],
      properties: { op: { const: 'subscribe' }, group: idSchema, since: cursorSchema, ref: refSchema },
    },
    {
      type: 'object',
      required: ['op', 'group'],
      properties: { op: { const: 'unsubscribe' }, group: idSchema, ref: refSchema },
    },
    {
      type: 'object',
      required: ['op', 'group', 'event'],
      properties: { op: { const: 'publish' }, group: idSchema, event: publishCommandSchema, ref: refSchema },
    },
    { type: 'object', required: ['op'], properties: { op: { const: 'ping' }, ref: refSchema } },
  ],
} as const;
