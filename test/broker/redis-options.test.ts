import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterNodeOptions, redisConnectionOptions } from '../../src/broker/redis-options.js';

describe('redis options', () => {
  test('every connection fails fast while Redis is away and never resends a command', () => {
    const options = redisConnectionOptions(1500);
    assert.deepEqual(
      [options.enableOfflineQueue, options.autoResendUnfulfilledCommands, options.maxRetriesPerRequest, options.commandTimeout, options.lazyConnect],
      [false, false, 0, 1500, true],
    );
    assert.equal(redisConnectionOptions().commandTimeout, 2000);
    assert.deepEqual([1, 5, 50].map((attempt) => (options.retryStrategy as (n: number) => number)(attempt)), [100, 500, 1000]);
  });

  test('cluster nodes take the credentials and TLS from the URL', () => {
    const base = redisConnectionOptions();
    const node = clusterNodeOptions('rediss://al%40ice:s%3Acret@127.0.0.1:7000', base);
    assert.deepEqual([node.username, node.password, node.tls, node.enableOfflineQueue], ['al@ice', 's:cret', {}, false]);
    const plain = clusterNodeOptions('redis://127.0.0.1:7000', base);
    assert.deepEqual([plain.username, plain.password, plain.tls], [undefined, undefined, undefined]);
  });
});
