import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loggerOptions, prettyLine, prettyStream, logsRequests } from '../src/log-format.js';

test('a pino line becomes one human line with its extra fields', () => {
  const line = JSON.stringify({ level: 30, time: Date.UTC(2026, 11, 1, 12, 0, 1), pid: 1, hostname: 'h', msg: 'shutting down', signal: 'SIGTERM', n: 2 });
  assert.equal(prettyLine(line), '12:00:01 INFO shutting down signal=SIGTERM n=2\n');
  const err = prettyLine(JSON.stringify({ level: 50, time: 0, msg: 'boom', err: { message: 'bad', stack: 'Error: bad\n    at x' } }));
  assert.equal(err, '00:00:00 ERROR boom err="bad"\nError: bad\n    at x\n');
  assert.equal(prettyLine('not json'), 'not json\n');
});

test('prettyStream writes what prettyLine makes', () => {
  let out = '';
  prettyStream({ write: (s: string) => ((out += s), true) } as never).write(`${JSON.stringify({ level: 40, time: 0, msg: 'careful' })}\n`);
  assert.equal(out, '00:00:00 WARN careful\n');
});

test('LOG_FORMAT: json is plain pino, pretty has the stream, auto follows the TTY; silent turns logging off', () => {
  assert.deepEqual(loggerOptions({ logLevel: 'info', logFormat: 'json' }, true), { level: 'info' });
  assert.ok('stream' in (loggerOptions({ logLevel: 'info', logFormat: 'pretty' }, false) as object));
  assert.ok('stream' in (loggerOptions({ logLevel: 'warn', logFormat: 'auto' }, true) as object));
  assert.deepEqual(loggerOptions({ logLevel: 'warn', logFormat: 'auto' }, false), { level: 'warn' });
  assert.equal(loggerOptions({ logLevel: 'silent', logFormat: 'pretty' }, true), false);
});

test('a line per request at debug and trace only', () => {
  for (const logLevel of ['debug', 'trace'] as const) assert.equal(logsRequests({ logLevel }), true, logLevel);
  for (const logLevel of ['info', 'warn', 'error', 'fatal', 'silent'] as const) assert.equal(logsRequests({ logLevel }), false, logLevel);
});
