// Configuration (docs/protocol.md, limits; README configuration): defaults, each variable parsed, bad values fail naming the
// variable, --flags win over the environment, the result is frozen.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, flagsToEnv, loadConfig } from '../src/config.js';

/** Asserts loading throws a ConfigError naming `variable` in its message. */
function fails(env: Record<string, string>, variable: string, argv: string[] = []): void {
  assert.throws(() => loadConfig(env, argv), (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.variable, variable);
    assert.match(err.message, new RegExp(variable));
    return true;
  });
}

describe('loadConfig defaults', () => {
  test('an empty environment gives the documented defaults', () => {
    assert.deepEqual({ ...loadConfig({}) }, {
      port: 8080,
      host: '0.0.0.0',
      broker: 'memory',
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: false,
      presenceLeaseMs: 15_000,
      presenceRenewMs: 5_000,
      historySize: 1000,
      groupIdleMs: 600_000,
      maxGroups: 100_000,
      longpollTimeoutMs: 25_000,
      sseHeartbeatMs: 15_000,
      wsPingMs: 25_000,
      stompHeartbeatMs: 10_000,
      maxConnections: 100_000,
      maxConnectionsPerIp: 10_000,
      maxSubscriptionsPerConnection: 100,
      maxLongpollsPerGroup: 10_000,
      maxBufferedBytes: 1024 * 1024,
      maxBodyBytes: 4096,
      rateLimitPerSec: 0,
      authSecret: undefined,
      stompRelayUrl: undefined,
      sseWriter: 'direct',
      flushWindowMs: 0,
      shutdownGraceMs: 5000,
      pollMaxEvents: 1000,
      longpollBatchMs: 50,
      requestTimeoutMs: 10_000,
      maxPipelinedRequests: 16,
      logLevel: 'info',
      logFormat: 'auto',
    });
  });

  test('empty strings count as unset', () => {
    assert.equal(loadConfig({ PORT: '', BROKER: '', AUTH_SECRET: '' }).port, 8080);
    assert.equal(loadConfig({ AUTH_SECRET: '' }).authSecret, undefined);
  });

  test('the result is frozen', () => {
    const config = loadConfig({});
    assert.ok(Object.isFrozen(config));
    assert.throws(() => {
      (config as { port: number }).port = 1;
    }, TypeError);
  });
});

describe('loadConfig parses each variable', () => {
  test('every variable', () => {
    const config = loadConfig({
      PORT: '9000', HOST: '127.0.0.1', BROKER: 'redis', REDIS_URL: 'rediss://cache:6380/1', REDIS_CLUSTER: 'true', HISTORY_SIZE: '10',
      GROUP_IDLE_MS: '1000', MAX_GROUPS: '50', LONGPOLL_TIMEOUT_MS: '60000', SSE_HEARTBEAT_MS: '500', WS_PING_MS: '700',
      STOMP_HEARTBEAT_MS: '0', MAX_CONNECTIONS: '5', MAX_CONNECTIONS_PER_IP: '4', MAX_SUBSCRIPTIONS_PER_CONNECTION: '3', MAX_LONGPOLLS_PER_GROUP: '2', MAX_BUFFERED_BYTES: '2048', MAX_BODY_BYTES: '8192',
      RATE_LIMIT_PER_SEC: '20', AUTH_SECRET: 's3cret', STOMP_RELAY_URL: 'stomp://rabbit:61613', SSE_WRITER: 'plugin',
      SHUTDOWN_GRACE_MS: '0', LOG_LEVEL: 'silent', LOG_FORMAT: 'json',
      PRESENCE_LEASE_MS: '3000', PRESENCE_RENEW_MS: '1000',
      POLL_MAX_EVENTS: '7', LONGPOLL_BATCH_MS: '0', REQUEST_TIMEOUT_MS: '2000', MAX_PIPELINED_REQUESTS: '4', FLUSH_WINDOW_MS: '5',
    });
    assert.deepEqual({ ...config }, {
      port: 9000, host: '127.0.0.1', broker: 'redis', redisUrl: 'rediss://cache:6380/1', redisCluster: true, historySize: 10,
      groupIdleMs: 1000, maxGroups: 50, longpollTimeoutMs: 60000, sseHeartbeatMs: 500, wsPingMs: 700, stompHeartbeatMs: 0,
      maxConnections: 5, maxConnectionsPerIp: 4, maxSubscriptionsPerConnection: 3, maxLongpollsPerGroup: 2, maxBufferedBytes: 2048, maxBodyBytes: 8192, rateLimitPerSec: 20, authSecret: 's3cret',
      stompRelayUrl: 'stomp://rabbit:61613', sseWriter: 'plugin', flushWindowMs: 5, shutdownGraceMs: 0, logLevel: 'silent', logFormat: 'json',
      presenceLeaseMs: 3000, presenceRenewMs: 1000,
      pollMaxEvents: 7, longpollBatchMs: 0, requestTimeoutMs: 2000, maxPipelinedRequests: 4,
    });
  });

  test('PRESENCE_RENEW_MS must be less than PRESENCE_LEASE_MS', () => {
    fails({ PRESENCE_LEASE_MS: '1000', PRESENCE_RENEW_MS: '1000' }, 'PRESENCE_RENEW_MS');
    fails({ PRESENCE_RENEW_MS: '20000' }, 'PRESENCE_RENEW_MS');
    fails({ PRESENCE_LEASE_MS: '99' }, 'PRESENCE_LEASE_MS');
  });

  test('REDIS_CLUSTER accepts 1/0, yes/no, on/off, true/false', () => {
    for (const on of ['1', 'true', 'YES', ' on ']) assert.equal(loadConfig({ REDIS_CLUSTER: on }).redisCluster, true);
    for (const off of ['0', 'False', 'no', 'off']) assert.equal(loadConfig({ REDIS_CLUSTER: off }).redisCluster, false);
  });

  test('boundary values are accepted', () => {
    assert.equal(loadConfig({ PORT: '0' }).port, 0);
    assert.equal(loadConfig({ PORT: '65535' }).port, 65535);
    assert.equal(loadConfig({ HISTORY_SIZE: '1' }).historySize, 1);
  });
});

describe('bad values throw ConfigError naming the variable', () => {
  const cases: [Record<string, string>, string][] = [
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '-1' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ BROKER: 'kafka' }, 'BROKER'],
    [{ POLL_MAX_EVENTS: '0' }, 'POLL_MAX_EVENTS'],
    [{ REQUEST_TIMEOUT_MS: '10' }, 'REQUEST_TIMEOUT_MS'],
    [{ MAX_PIPELINED_REQUESTS: '0' }, 'MAX_PIPELINED_REQUESTS'],
    [{ REDIS_URL: 'not-a-url' }, 'REDIS_URL'],
    [{ REDIS_URL: 'http://cache:6379' }, 'REDIS_URL'],
    [{ REDIS_CLUSTER: 'maybe' }, 'REDIS_CLUSTER'],
    [{ SSE_WRITER: 'x' }, 'SSE_WRITER'],
    [{ FLUSH_WINDOW_MS: '1001' }, 'FLUSH_WINDOW_MS'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HISTORY_SIZE: '0' }, 'HISTORY_SIZE'],
    [{ LONGPOLL_TIMEOUT_MS: '60001' }, 'LONGPOLL_TIMEOUT_MS'],
    [{ MAX_BODY_BYTES: '1' }, 'MAX_BODY_BYTES'],
    [{ STOMP_RELAY_URL: 'nope' }, 'STOMP_RELAY_URL'],
    [{ MAX_CONNECTIONS: '1e3' }, 'MAX_CONNECTIONS'],
  ];
  for (const [env, variable] of cases) {
    test(`${JSON.stringify(env)}`, () => fails(env, variable));
  }
});

describe('--flags', () => {
  test('--port 9000 and --history-size=10 win over the environment', () => {
    const config = loadConfig({ PORT: '1234', HISTORY_SIZE: '50' }, ['--port', '9000', '--history-size=10']);
    assert.equal(config.port, 9000);
    assert.equal(config.historySize, 10);
  });

  test('--HISTORY_SIZE=7 and --sse-writer plugin', () => {
    assert.deepEqual(flagsToEnv(['--HISTORY_SIZE=7', '--sse-writer', 'plugin']), { HISTORY_SIZE: '7', SSE_WRITER: 'plugin' });
  });

  test('a bad flag value names the variable', () => fails({}, 'PORT', ['--port=abc']));

  test('an unknown flag throws naming it', () => {
    assert.throws(() => loadConfig({}, ['--colour', 'red']), (err: unknown) => err instanceof ConfigError && /--colour/.test(err.message) && /COLOUR/.test(err.message));
  });

  test('a flag without a value or a bare argument throws', () => {
    assert.throws(() => loadConfig({}, ['--port']), /PORT/);
    assert.throws(() => loadConfig({}, ['9000']), ConfigError);
  });
});
