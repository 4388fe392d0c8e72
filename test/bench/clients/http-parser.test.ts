// The raw HTTP response parser: content-length, chunked (split anywhere), close-delimited bodies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseParser } from '../../../bench/clients/http-parser.js';

function collect() {
  const out: { status: number; body: string; keepAlive: boolean }[] = [];
  let status = 0;
  let chunks: Buffer[] = [];
  const parser = new ResponseParser({
    head: (s) => {
      status = s;
      chunks = [];
    },
    body: (c) => chunks.push(Buffer.from(c)),
    end: (keepAlive) => out.push({ status, body: Buffer.concat(chunks).toString(), keepAlive }),
  });
  return { parser, out };
}

const chunked = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n';
const lengthed = 'HTTP/1.1 202 Accepted\r\ncontent-length: 8\r\nconnection: keep-alive\r\n\r\n{"seq":1}'.replace('{"seq":1}', '{"seq":1');

test('a content-length response, then another on the same connection', () => {
  const { parser, out } = collect();
  parser.push(Buffer.from(lengthed + 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'));
  assert.deepEqual(out, [
    { status: 202, body: '{"seq":1', keepAlive: true },
    { status: 200, body: '{}', keepAlive: true },
  ]);
});

test('a chunked body split at every possible byte boundary', () => {
  for (let cut = 1; cut < chunked.length; cut++) {
    const { parser, out } = collect();
    parser.push(Buffer.from(chunked.slice(0, cut)));
    parser.push(Buffer.from(chunked.slice(cut)));
    assert.deepEqual(out, [{ status: 200, body: 'hello, world', keepAlive: true }], `cut at ${cut}`);
  }
});

test('byte by byte', () => {
  const { parser, out } = collect();
  for (const byte of Buffer.from(chunked + lengthed)) parser.push(Buffer.from([byte]));
  assert.equal(out.length, 2);
  assert.equal(out[0]!.body, 'hello, world');
  assert.equal(out[1]!.body, '{"seq":1');
});

test('a close-delimited body ends when the connection closes; connection: close is reported', () => {
  const { parser, out } = collect();
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabc'));
  assert.equal(out.length, 0);
  assert.equal(parser.closed(), true);
  assert.deepEqual(out, [{ status: 200, body: 'abc', keepAlive: false }]);
});

test('a response cut in the middle is not complete; garbage is an error', () => {
  const { parser } = collect();
  parser.push(Buffer.from('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc'));
  assert.equal(parser.closed(), false);
  assert.throws(() => collect().parser.push(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n')), /not an HTTP/);
  assert.throws(() => collect().parser.push(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n')), /chunk size/);
});

test('204 has no body', () => {
  const { parser, out } = collect();
  parser.push(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'));
  assert.deepEqual(out, [{ status: 204, body: '', keepAlive: true }]);
});
