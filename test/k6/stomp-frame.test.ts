// STOMP frames (k6/lib/stomp-frame.js): building with NUL terminator and header escaping,
// parsing incl. content-length in UTF-8 bytes, heart-beats and split messages; cross-checked
// against @stomp/stompjs, the codec the server uses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameImpl, Parser } from '@stomp/stompjs';

const { buildFrame, parseFrames, StompDecoder, escapeHeader, unescapeHeader, utf8ByteLength, utf8Decode, NUL } = await import(
  new URL('../../k6/lib/stomp-frame.js', import.meta.url).href
);

test('CONNECT is built verbatim and ends with NUL', () => {
  const f = buildFrame('CONNECT', { 'accept-version': '1.2', host: 'arena', 'heart-beat': '0,0' });
  assert.equal(f, 'CONNECT\naccept-version:1.2\nhost:arena\nheart-beat:0,0\n\n\0');
  assert.equal(NUL, '\0');
});

test('SEND escapes header values; undefined headers are left out; content-length counts bytes', () => {
  const body = JSON.stringify({ type: 'chat', text: '안녕 😀' });
  const f = buildFrame('SEND', { destination: '/app/groups/g1', note: 'a:b\\c\nd\re', since: undefined }, body, { contentLength: true });
  assert.equal(f, `SEND\ndestination:/app/groups/g1\nnote:a\\cb\\\\c\\nd\\re\ncontent-length:${Buffer.byteLength(body)}\n\n${body}\0`);
});

test('CONNECT and CONNECTED headers are not escaped (STOMP 1.2)', () => {
  assert.equal(buildFrame('CONNECT', { login: 'a:b' }), 'CONNECT\nlogin:a:b\n\n\0');
  const [f] = parseFrames('CONNECTED\nversion:1.2\nserver:x\\cy\n\n\0').frames;
  assert.equal(f.headers.server, 'x\\cy');
});

test('escape and unescape are inverse; undefined escapes are errors', () => {
  for (const s of ['plain', 'a:b', 'back\\slash', 'line\nfeed', 'cr\rhere', '\\n literal', ':::\\\\']) {
    assert.equal(unescapeHeader(escapeHeader(s)), s);
  }
  assert.throws(() => unescapeHeader('bad\\t'), /invalid STOMP header escape/);
});

test('parse MESSAGE with escaped headers; the first repeated header wins', () => {
  const raw = 'MESSAGE\ndestination:/topic/groups.g1\nsubscription:sub-0\nmessage-id:g1-42\nseq:42\nx:a\\cb\nx:second\n\n{"seq":42}\0';
  const { frames, rest } = parseFrames(raw);
  assert.equal(rest, '');
  assert.deepEqual(frames, [{
    command: 'MESSAGE',
    headers: { destination: '/topic/groups.g1', subscription: 'sub-0', 'message-id': 'g1-42', seq: '42', x: 'a:b' },
    body: '{"seq":42}',
  }]);
});

test('several frames per message, heart-beat EOLs between them, CRLF lines', () => {
  const raw = '\n\r\nRECEIPT\r\nreceipt-id:sub-0\r\nseq:7\r\n\r\n\0\nMESSAGE\nseq:8\n\nx\0\n';
  const { frames, rest, heartbeats } = parseFrames(raw);
  assert.equal(rest, '');
  assert.equal(heartbeats, 4);
  assert.deepEqual(frames.map((f: { command: string }) => f.command), ['RECEIPT', 'MESSAGE']);
  assert.deepEqual(frames[0].headers, { 'receipt-id': 'sub-0', seq: '7' });
  assert.equal(frames[1].body, 'x');
});

test('content-length bodies may contain NUL and multi-byte text', () => {
  const body = 'a\0b 한글 😀';
  const raw = `MESSAGE\ncontent-length:${Buffer.byteLength(body)}\n\n${body}\0`;
  assert.deepEqual(parseFrames(raw).frames[0].body, body);
  assert.throws(() => parseFrames(`MESSAGE\ncontent-length:2\n\nabc\0`), /not followed by NUL/);
  assert.throws(() => parseFrames(`MESSAGE\ncontent-length:x\n\nabc\0`), /invalid content-length/);
});

test('a frame split across messages waits for its end', () => {
  const frame = buildFrame('MESSAGE', { seq: 1, 'content-type': 'application/json' }, '{"text":"둘"}', { contentLength: true });
  const two = frame + buildFrame('RECEIPT', { 'receipt-id': 'p-1' });
  for (let i = 0; i <= two.length; i++) {
    const d = new StompDecoder();
    const got = [...d.push(two.slice(0, i)), ...d.push(two.slice(i))];
    assert.deepEqual(got.map((f: { command: string }) => f.command), ['MESSAGE', 'RECEIPT'], `split at ${i}`);
    assert.equal(got[0].body, '{"text":"둘"}');
  }
});

test('utf8ByteLength and utf8Decode agree with Node', () => {
  for (const s of ['', 'ascii', 'é', '한국어', '😀 emoji', 'mix é 한 😀 z', '\u07ff\u0800\uffff']) {
    assert.equal(utf8ByteLength(s), Buffer.byteLength(s), s);
    const bytes = new Uint8Array(Buffer.from(s));
    assert.equal(utf8Decode(bytes), s);
    assert.equal(utf8Decode(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), s);
  }
});

function stompjsParse(data: string) {
  const frames: FrameImpl[] = [];
  const parser = new Parser((raw) => frames.push(FrameImpl.fromRawFrame(raw, true)), () => {});
  parser.parseChunk(data);
  return frames;
}

test('interop: frames we build parse identically in @stomp/stompjs', () => {
  const body = JSON.stringify({ type: 'location', lat: 37.5, lng: 126.9, sentAt: 1 });
  const ours = buildFrame('SEND', { destination: '/app/groups/g-1', 'content-type': 'application/json', receipt: 'p-1', odd: 'x:y\\z' }, body, { contentLength: true })
    + buildFrame('SUBSCRIBE', { id: 'sub-0', destination: '/topic/groups.g-1', ack: 'auto', receipt: 'sub-0', since: 41 });
  const [send, sub] = stompjsParse(ours);
  assert.equal(send.command, 'SEND');
  assert.equal(send.body, body);
  assert.equal(send.headers.odd, 'x:y\\z');
  assert.equal(send.headers['content-length'], String(Buffer.byteLength(body)));
  assert.deepEqual({ ...sub.headers }, { id: 'sub-0', destination: '/topic/groups.g-1', ack: 'auto', receipt: 'sub-0', since: '41' });
});

test('interop: frames serialized by @stomp/stompjs parse identically here', () => {
  const body = JSON.stringify({ seq: 5, group: 'g1', type: 'chat', data: { text: '안녕 😀 a:b' } });
  const wire = FrameImpl.marshall({
    command: 'MESSAGE',
    headers: { destination: '/topic/groups.g1', subscription: 'sub-0', 'message-id': 'g1-5', seq: '5', weird: 'a:b\nc' },
    body,
    escapeHeaderValues: true,
  }) as string;
  const [f] = parseFrames(wire).frames;
  assert.equal(f.body, body);
  assert.equal(f.headers.weird, 'a:b\nc');
  assert.equal(f.headers['content-length'], String(Buffer.byteLength(body)));
});
