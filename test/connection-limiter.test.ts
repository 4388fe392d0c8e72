// MAX_CONNECTIONS accounting: slots are taken up to the limit, then too_many_connections (503).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConnectionLimiter } from '../src/connection-limiter.js';
import { HubError } from '../src/domain/errors.js';

describe('ConnectionLimiter', () => {
  test('acquires up to max, then throws too_many_connections 503', () => {
    const limiter = new ConnectionLimiter(3);
    for (let i = 0; i < 3; i++) limiter.acquire();
    assert.equal(limiter.count, 3);
    assert.throws(() => limiter.acquire(), (err: unknown) => err instanceof HubError && err.code === 'too_many_connections' && err.statusCode === 503);
    assert.equal(limiter.count, 3, 'a refused acquire takes no slot');
  });

  test('release frees a slot for the next acquire', () => {
    const limiter = new ConnectionLimiter(1);
    limiter.acquire();
    assert.throws(() => limiter.acquire());
    limiter.release();
    assert.equal(limiter.count, 0);
    limiter.acquire();
    assert.equal(limiter.count, 1);
  });

  test('release never goes below zero', () => {
    const limiter = new ConnectionLimiter(2);
    limiter.release();
    limiter.release();
    assert.equal(limiter.count, 0);
    limiter.acquire();
    limiter.acquire();
    assert.throws(() => limiter.acquire(), /2 connections/);
  });

  test('max 0 refuses everything', () => {
    assert.throws(() => new ConnectionLimiter(0).acquire(), HubError);
  });
});
