/**
 * The one cursor rule, for query strings, `Last-Event-ID`, the STOMP `since` header and WebSocket
 * ops: decimal digits only (no sign, space, exponent, fraction, `0x`/`0b`/`0o`), at most 2^53-1.
 * Leading zeros are digits like any other (`007` is 7).
 */

/** The largest cursor: the largest integer a JSON number holds exactly. */
export const MAX_CURSOR = Number.MAX_SAFE_INTEGER;

/** The text form of a cursor, as a JSON schema pattern (the value check is {@link cursorFromText}). */
export const CURSOR_PATTERN = '^[0-9]{1,16}$';

const digits = new RegExp(CURSOR_PATTERN);

/**
 * Reads a cursor from text.
 * @returns the cursor, or undefined when the text breaks the rule
 */
export function cursorFromText(text: string): number | undefined {
  if (!digits.test(text)) return undefined;
  const value = Number(text);
  return value <= MAX_CURSOR ? value : undefined;
}

/**
 * Reads a cursor from a decoded value: a JSON integer (WebSocket ops) or text (everything else).
 * @returns the cursor, or undefined when the value breaks the rule
 */
export function cursorFrom(value: unknown): number | undefined {
  if (typeof value === 'string') return cursorFromText(value);
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  return undefined;
}
