// SSE blocks: byte-identical to fastify-sse-v2's serializer, so both SSE writers put the same bytes
// on the wire; control events carry no id (they must not move the client's Last-Event-ID).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { serializeSSEEvent } from 'fastify-sse-v2/lib/sse.js';
import { SSE_HEARTBEAT, encodeSseBlock, encodeSseControl, encodeSseEvent, encodeSseRetry, httpChunk, type SseMessage } from '../../src/protocol/sse-codec.js';

const json = JSON.stringify({ seq: 42, group: 'g1', type: 'chat', user: 'u7', at: 1, data: { text: '안녕 😀\\n', clientId: 'c' } });

const messages: SseMessage[] = [
  { id: '42', event: 'chat', data: json },
  { id: '1' },
  { event: 'truncated' },
  { data: 'one line' },
  { data: 'line one\nline two\n\nline four' },
  { data: 'trailing\n' },
  { retry: 3000 },
  { comment: ' ping' },
  { comment: 'x' },
  { id: '7', event: 'location', data: 'a\nb', retry: 1000, comment: ' all' },
  { id: '', event: '', data: '', retry: 0, comment: '' },
  {},
];

describe('encodeSseBlock', () => {
  for (const message of messages) {
    test(`byte-identical to fastify-sse-v2 for ${JSON.stringify(message).slice(0, 60)}`, () => {
      assert.equal(encodeSseBlock(message), serializeSSEEvent(message as Parameters<typeof serializeSSEEvent>[0]));
    });
  }

  test('multi-line data becomes one data: line per line', () => {
    assert.equal(encodeSseBlock({ data: 'a\nb' }), 'data: a\ndata: b\n\n');
  });

  test('an empty message encodes to nothing', () => {
    assert.equal(encodeSseBlock({}), '');
  });
});

describe('encodeSseEvent', () => {
  test('id = seq, event = type, data = the event JSON, blank line', () => {
    const block = encodeSseEvent(42, 'chat', json);
    assert.ok(Buffer.isBuffer(block));
    assert.equal(block.toString('utf8'), `id: 42\nevent: chat\ndata: ${json}\n\n`);
  });

  test('equals the plugin serializer for the same event', () => {
    for (const [seq, type] of [[1, 'location'], [42, 'chat'], [Number.MAX_SAFE_INTEGER, 'chat']] as const) {
      assert.equal(encodeSseEvent(seq, type, json).toString('utf8'), serializeSSEEvent({ id: String(seq), event: type, data: json }));
    }
  });

  test('multi-byte JSON is encoded as UTF-8', () => {
    const block = encodeSseEvent(3, 'chat', '{"text":"😀"}');
    assert.equal(block.length, Buffer.byteLength('id: 3\nevent: chat\ndata: {"text":"😀"}\n\n'));
  });
});

describe('control blocks', () => {
  test('encodeSseControl has event and data but no id', () => {
    const text = encodeSseControl('truncated', { next: 5, truncated: true }).toString('utf8');
    assert.equal(text, 'event: truncated\ndata: {"next":5,"truncated":true}\n\n');
    assert.doesNotMatch(text, /^id:/m);
    assert.equal(text, serializeSSEEvent({ event: 'truncated', data: JSON.stringify({ next: 5, truncated: true }) }));
  });

  test('error control event has no id', () => {
    const text = encodeSseControl('error', { code: 'slow_consumer', message: 'x' }).toString('utf8');
    assert.match(text, /^event: error\ndata: \{"code":"slow_consumer","message":"x"\}\n\n$/);
    assert.doesNotMatch(text, /^id:/m);
  });

  test('retry block', () => {
    assert.equal(encodeSseRetry(3000).toString('utf8'), 'retry: 3000\n\n');
    assert.equal(encodeSseRetry(3000).toString('utf8'), serializeSSEEvent({ retry: 3000 }));
  });

  test('heartbeat is a comment, as the plugin writes it', () => {
    assert.equal(SSE_HEARTBEAT.toString('utf8'), ': ping\n\n');
    assert.equal(SSE_HEARTBEAT.toString('utf8'), serializeSSEEvent({ comment: ' ping' }));
  });
});

test('httpChunk: hex size, CRLF, the bytes, CRLF (what Node writes for one chunk of a chunked body)', () => {
  assert.equal(httpChunk(Buffer.from('hello')).toString('latin1'), '5\r\nhello\r\n');
  const big = Buffer.alloc(300, 'x');
  assert.equal(httpChunk(big).toString('latin1'), `12c\r\n${'x'.repeat(300)}\r\n`);
  const block = encodeSseEvent(1, 'chat', json);
  assert.equal(httpChunk(block).subarray(-block.length - 2, -2).equals(block), true);
});
