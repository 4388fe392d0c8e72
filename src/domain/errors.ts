/**
 * The one error table: stable codes with their HTTP status. Transports translate a HubError to their
 * wire shape (HTTP body, WebSocket error op, STOMP ERROR frame) and nothing else.
 */

/** Every error code the server answers with, and its HTTP status. */
export const ERROR_STATUS = {
  invalid_event: 400,
  invalid_group: 400,
  invalid_user: 400,
  invalid_cursor: 400,
  invalid_request: 400,
  unsupported_media_type: 415,
  not_found: 404,
  unknown_op: 400,
  not_subscribed: 409,
  unauthorized: 401,
  forbidden: 403,
  rate_limited: 429,
  too_many_connections: 503,
  too_many_groups: 503,
  payload_too_large: 413,
  slow_consumer: 503,
  broker_unavailable: 503,
  shutting_down: 503,
  internal_error: 500,
} as const;

/** A stable error code. */
export type ErrorCode = keyof typeof ERROR_STATUS;

/** An error with a stable code; its HTTP status comes from the table. */
export class HubError extends Error {
  /** HTTP status for this code. */
  readonly statusCode: number;
  /** Seconds to wait before retrying (`rate_limited`, `shutting_down`). */
  retryAfter?: number;

  /**
   * @param code the stable code
   * @param message a human explanation
   */
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'HubError';
    this.statusCode = ERROR_STATUS[code];
  }
}

/** Narrows any thrown value to a HubError, hiding internals behind `internal_error`. */
export function toHubError(err: unknown): HubError {
  if (err instanceof HubError) return err;
  return new HubError('internal_error', 'internal error');
}

/** The HTTP body of an error: `{"error":{"code","message"}}`. */
export function errorBody(err: HubError): { error: { code: ErrorCode; message: string } } {
  return { error: { code: err.code, message: err.message } };
}
