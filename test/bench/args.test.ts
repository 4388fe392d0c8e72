// The bench command line: defaults, every option, and the refusals a user needs to see.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError } from '../../bench/args.js';
import { TRANSPORTS } from '../../src/domain/events.js';

test('a scenario alone takes every transport and no overrides', () => {
  const a = parseArgs(['room']);
  assert.equal(a.scenario, 'room');
  assert.deepEqual(a.transports, TRANSPORTS.filter((t) => t !== 'stomp-relay'), 'the relay runs only when asked for');
  assert.equal(a.clients, undefined);
  assert.equal(a.sweep, false);
  assert.equal(a.boundP99, 250);
  assert.equal(a.boundDelivery, 0.999);
});

test('every option, both --flag value and --flag=value', () => {
  const a = parseArgs([
    'room', '--transports', 'websocket,sse', '--clients=150', '--interval', '500', '--duration', '20', '--groups', '2',
    '--url', 'http://localhost:8080', '--out', '/tmp/x', '--sweep', '--step', '25', '--max-clients', '400', '--bound-p99', '100',
    '--bound-delivery', '0.99', '--poll-interval', '0', '--workers', '3', '--concurrency', '64', '--server-env', 'SSE_WRITER=plugin',
    '--repeat', '3', '--profile', '--quiet', '--text-length', '100', '--poll-clients', '500', '--slow', '2', '--stages', '1:2',
  ]);
  assert.deepEqual(a.transports, ['websocket', 'sse']);
  assert.equal(a.clients, 150);
  assert.equal(a.interval, 500);
  assert.equal(a.url, 'http://127.0.0.1:8080');
  assert.equal(a.pollInterval, 0);
  assert.deepEqual(a.serverEnv, { SSE_WRITER: 'plugin' });
  assert.equal(a.repeat, 3);
  assert.ok(a.sweep && a.profile && a.quiet);
  assert.equal(a.stages, '1:2');
});

test('refusals name the problem', () => {
  assert.throws(() => parseArgs([]), UsageError);
  assert.throws(() => parseArgs(['nope']), /unknown scenario 'nope'/);
  assert.throws(() => parseArgs(['room', 'soak']), /one scenario at a time/);
  assert.throws(() => parseArgs(['room', '--transports', 'carrier-pigeon']), /unknown carrier-pigeon/);
  assert.throws(() => parseArgs(['room', '--transports', 'stomp-relay']), /STOMP_RELAY_URL/);
  assert.equal(parseArgs(['room', '--transports', 'stomp-relay', '--relay-url', 'stomp://h:1', '--sample-process', 'beam.smp']).sampleProcess, 'beam.smp');
  assert.throws(() => parseArgs(['room', '--clients', '0']), /--clients needs an integer >= 1/);
  assert.throws(() => parseArgs(['room', '--bound-delivery', '2']), /\(0, 1\]/);
  assert.throws(() => parseArgs(['room', '--what']), /unknown option --what/);
  assert.throws(() => parseArgs(['room', '--server-env', 'lower=1']), /NAME=value/);
  // Load goes to loopback only.
  assert.throws(() => parseArgs(['room', '--url', 'http://example.com']), /loopback/);
  assert.throws(() => parseArgs(['room', '--url', 'http://10.0.0.1:80']), /loopback/);
  assert.equal(parseArgs(['all']).scenario, 'all');
});

test('--broker, --instances, --redis-url', () => {
  const a = parseArgs(['room', '--broker', 'redis', '--instances', '3', '--redis-url', 'redis://localhost:6379']);
  assert.deepEqual([a.broker, a.instances, a.redisUrl, a.workers], ['redis', 3, 'redis://127.0.0.1:6379', 3]);
  assert.deepEqual([parseArgs(['room']).broker, parseArgs(['room']).instances], ['memory', 1]);
  assert.equal(parseArgs(['room', '--broker', 'redis', '--instances', '2']).workers, 2);
  assert.throws(() => parseArgs(['room', '--instances', '2']), /needs --broker redis/);
  assert.throws(() => parseArgs(['room', '--broker', 'kafka']), /memory or redis/);
  assert.throws(() => parseArgs(['room', '--broker', 'redis', '--instances', '2', '--workers', '3']), /multiple of --instances/);
  assert.throws(() => parseArgs(['room', '--broker', 'redis', '--redis-url', 'redis://10.0.0.1:6379']), /loopback/);
  assert.throws(() => parseArgs(['room', '--broker', 'redis', '--url', 'http://127.0.0.1:8080']), /cannot be combined with --url/);
});

test('--redis-cpus pins only a Redis the bench starts', () => {
  assert.equal(parseArgs(['room', '--broker', 'redis', '--instances', '2', '--redis-cpus', '1']).redisCpus, '1');
  assert.equal(parseArgs(['room', '--broker', 'redis']).redisCpus, undefined);
  assert.throws(() => parseArgs(['room', '--broker', 'redis', '--redis-cpus', 'one']), /CPU list/);
  assert.throws(() => parseArgs(['room', '--redis-cpus', '1']), /needs --broker redis/);
  assert.throws(() => parseArgs(['room', '--broker', 'redis', '--redis-url', 'redis://127.0.0.1:6379', '--redis-cpus', '1']), /no --redis-url/);
});
