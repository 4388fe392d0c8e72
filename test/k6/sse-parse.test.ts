// text/event-stream parsing (k6/lib/sse-parse.js) per the WHATWG algorithm: id/event/data,
// multi-line data, comments, retry, line endings, chunk boundaries, the server's block shape.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const { SseParser, parseSse } = await import(new URL('../../k6/lib/sse-parse.js', import.meta.url).href);

test('the server block shape: retry on open, id/event/data events, comment heartbeat', () => {
  const e1 = JSON.stringify({ seq: 42, group: 'g1', type: 'location', data: { lat: 1, lng: 2 } });
  const e2 = JSON.stringify({ seq: 43, group: 'g1', type: 'chat', data: { text: 'a: b' } });
  const body = `retry: 3000\n\nid: 42\nevent: location\ndata: ${e1}\n\n: heartbeat\n\nid: 43\nevent: chat\ndata: ${e2}\n\n`;
  const r = parseSse(body);
  assert.equal(r.retry, 3000);
  assert.equal(r.comments, 1);
  assert.equal(r.lastEventId, '43');
  assert.deepEqual(r.events, [
    { id: '42', event: 'location', data: e1 },
    { id: '43', event: 'chat', data: e2 },
  ]);
  assert.equal(JSON.parse(r.events[1].data).data.text, 'a: b', 'only the first colon splits field and value');
});

test('multi-line data joins with LF; event defaults to message', () => {
  const r = parseSse('data: first\ndata:second\ndata:  third\n\n');
  assert.deepEqual(r.events, [{ id: '', event: 'message', data: 'first\nsecond\n third' }]);
});

test('comments and blocks without data dispatch nothing', () => {
  const r = parseSse(': only a comment\n\nevent: lonely\n\nid: 7\n\n');
  assert.deepEqual(r.events, []);
  assert.equal(r.lastEventId, '7', 'an id without data still sets the last event id');
});

test('the id persists to later events until changed', () => {
  const r = parseSse('id: 5\ndata: a\n\ndata: b\n\nid: 6\ndata: c\n\n');
  assert.deepEqual(r.events.map((e: { id: string }) => e.id), ['5', '5', '6']);
});

test('an id containing NUL is ignored; a field without colon has an empty value', () => {
  const r = parseSse('id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\ndata\n\n');
  assert.deepEqual(r.events.map((e: { id: string; data: string }) => [e.id, e.data]), [['1', 'a'], ['1', 'b'], ['1', '']]);
});

test('CRLF, CR and LF line endings, and a leading BOM', () => {
  const r = parseSse('\uFEFFid: 1\r\nevent: chat\r\ndata: x\r\n\r\nid: 2\rdata: y\r\rid: 3\ndata: z\n\n');
  assert.deepEqual(r.events, [
    { id: '1', event: 'chat', data: 'x' },
    { id: '2', event: 'message', data: 'y' },
    { id: '3', event: 'message', data: 'z' },
  ]);
});

test('retry accepts digits only; unknown fields are ignored', () => {
  const r = parseSse('retry: 12a\nfoo: bar\ndata: ok\n\n');
  assert.equal(r.retry, undefined);
  assert.deepEqual(r.events, [{ id: '', event: 'message', data: 'ok' }]);
});

test('an unterminated last event is discarded at end of stream', () => {
  const r = parseSse('id: 1\ndata: done\n\nid: 2\ndata: half');
  assert.deepEqual(r.events.map((e: { id: string }) => e.id), ['1']);
});

test('event: truncated is reported as its own event type', () => {
  const r = parseSse('event: truncated\ndata: {"from":5}\n\nid: 900\nevent: location\ndata: {}\n\n');
  assert.deepEqual(r.events.map((e: { event: string }) => e.event), ['truncated', 'location']);
});

test('incremental: any split of the stream gives the same events (CRLF split across chunks too)', () => {
  const body = 'retry: 10\r\n\r\nid: 1\r\nevent: chat\r\ndata: a\r\ndata: b\r\n\r\n: hb\r\n\r\nid: 2\ndata: c\n\n';
  const whole = parseSse(body).events;
  assert.equal(whole.length, 2);
  for (let i = 0; i <= body.length; i++) {
    for (const j of [i, Math.min(body.length, i + 1), Math.min(body.length, i + 3)]) {
      const p = new SseParser();
      const got = [...p.push(body.slice(0, i)), ...p.push(body.slice(i, j)), ...p.push(body.slice(j))];
      assert.deepEqual(got, whole, `split at ${i}/${j}`);
    }
  }
});

test('one character at a time', () => {
  const body = 'id: 9\nevent: location\ndata: {"seq":9}\n\n';
  const p = new SseParser();
  const got = [];
  for (const ch of body) got.push(...p.push(ch));
  assert.deepEqual(got, [{ id: '9', event: 'location', data: '{"seq":9}' }]);
});
