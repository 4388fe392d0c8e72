// The one error table (docs/protocol.md, Errors): stable codes, their HTTP statuses, and toHubError
// hiding internals.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ERROR_STATUS, HubError, errorBody, toHubError, type ErrorCode } from '../../src/domain/errors.js';

// The error table of docs/protocol.md (slow_consumer cuts a stream; it is never an HTTP answer).
const DESIGN_TABLE: Record<string, number> = {
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
  payload_too_large: 413,
  broker_unavailable: 503,
  shutting_down: 503,
};

describe('ERROR_STATUS', () => {
  test('every code of the error table has exactly its status', () => {
    for (const [code, status] of Object.entries(DESIGN_TABLE)) assert.equal(ERROR_STATUS[code as ErrorCode], status, code);
  });

  test('slow_consumer is a code; the extra codes are too_many_groups 503 and internal_error 500', () => {
    assert.ok('slow_consumer' in ERROR_STATUS);
    const extra = Object.keys(ERROR_STATUS).filter((c) => !(c in DESIGN_TABLE) && c !== 'slow_consumer');
    assert.deepEqual(extra, ['too_many_groups', 'internal_error']);
    assert.equal(ERROR_STATUS.too_many_groups, 503);
    assert.equal(ERROR_STATUS.internal_error, 500);
  });

  test('every status is an HTTP error status', () => {
    for (const status of Object.values(ERROR_STATUS)) assert.ok(status >= 400 && status < 600);
  });
});

describe('HubError', () => {
  test('carries code, message and the status from the table', () => {
    for (const code of Object.keys(ERROR_STATUS) as ErrorCode[]) {
      const err = new HubError(code, `because ${code}`);
      assert.ok(err instanceof Error);
      assert.equal(err.code, code);
      assert.equal(err.statusCode, ERROR_STATUS[code]);
      assert.equal(err.message, `because ${code}`);
      assert.equal(err.name, 'HubError');
    }
  });

  test('retryAfter can be set', () => {
    const err = new HubError('rate_limited', 'slow down');
    err.retryAfter = 2;
    assert.equal(err.retryAfter, 2);
  });

  test('errorBody is {"error":{"code","message"}}', () => {
    assert.deepEqual(errorBody(new HubError('invalid_event', 'lat must be <= 90')), { error: { code: 'invalid_event', message: 'lat must be <= 90' } });
    assert.equal(JSON.stringify(errorBody(new HubError('not_found', 'x'))), '{"error":{"code":"not_found","message":"x"}}');
  });
});

describe('toHubError', () => {
  test('passes a HubError through unchanged', () => {
    const err = new HubError('forbidden', 'no');
    assert.equal(toHubError(err), err);
  });

  test('hides internals of anything else behind internal_error', () => {
    for (const thrown of [new Error('ECONNREFUSED 10.0.0.3:6379 password=hunter2'), new TypeError('x is undefined'), 'a string', undefined, null, { code: 'invalid_event', message: 'fake' }]) {
      const err = toHubError(thrown);
      assert.ok(err instanceof HubError);
      assert.equal(err.code, 'internal_error');
      assert.equal(err.statusCode, 500);
      assert.equal(err.message, 'internal error');
      assert.doesNotMatch(JSON.stringify(errorBody(err)), /hunter2|ECONNREFUSED|undefined|fake/);
    }
  });
});
