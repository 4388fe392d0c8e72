// STOMP frame codec (docs/protocol.md, STOMP; the @stomp/stompjs edges in codec.ts): version and heart-beat negotiation,
// per-version header escaping, the bounded frame reader on top of @stomp/stompjs's Parser, and the
// pre-encoded MESSAGE frame.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  StompCodecError, StompFrameReader, chooseStompSubprotocol, decodeFrame, encodeFrame, encodeMessageHead,
  MAX_HEARTBEAT_MS, encodeMessageTail, escapeHeader, negotiateHeartbeat, negotiateVersion, unescapeHeader, type StompVersion,
} from '../../../transports/stomp/codec.js';

const limits = { maxFrameBytes: 4096, maxHeaders: 16 };
const buf = (text: string) => Buffer.from(text, 'utf8');
const VALID = 'SEND\ndestination:/app/groups/g1\n\n{"type":"chat","text":"ok"}\0';

/** Asserts `fn` throws a StompCodecError with `code`. */
function codecError(fn: () => unknown, code: 'invalid_request' | 'payload_too_large', message?: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof StompCodecError, `expected StompCodecError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message) assert.match(err.message, message);
    return true;
  });
}

/** Asserts the reader still parses a valid message (no stall after an error). */
function recovers(reader: StompFrameReader): void {
  const { frames } = reader.push(buf(VALID));
  assert.equal(frames.length, 1);
  assert.equal(frames[0]!.command, 'SEND');
  assert.equal(decodeFrame(frames[0]!, '1.2').body, '{"type":"chat","text":"ok"}');
}

describe('negotiation', () => {
  test('chooseStompSubprotocol picks the highest offered, or none', () => {
    assert.equal(chooseStompSubprotocol(new Set(['v10.stomp', 'v12.stomp', 'v11.stomp'])), 'v12.stomp');
    assert.equal(chooseStompSubprotocol(new Set(['v11.stomp', 'v10.stomp'])), 'v11.stomp');
    assert.equal(chooseStompSubprotocol(new Set(['v10.stomp'])), 'v10.stomp');
    assert.equal(chooseStompSubprotocol(new Set(['mqtt', 'stomp'])), false);
    assert.equal(chooseStompSubprotocol(new Set()), false);
  });

  test('negotiateVersion: highest common, unknown tolerated, missing means 1.0', () => {
    assert.equal(negotiateVersion(undefined), '1.0');
    assert.equal(negotiateVersion('1.1,1.2'), '1.2');
    assert.equal(negotiateVersion('1.0,1.1,1.2'), '1.2');
    assert.equal(negotiateVersion('2.0,1.1'), '1.1');
    assert.equal(negotiateVersion('1.0'), '1.0');
    assert.equal(negotiateVersion('1.0, 1.1'), '1.1');
    assert.equal(negotiateVersion('2.0'), undefined);
    assert.equal(negotiateVersion(''), undefined);
  });

  test('negotiateHeartbeat follows the spec', () => {
    // Server 10000,10000: send every max(sx, cy), expect within max(sy, cx); 0 on either side disables.
    assert.deepEqual(negotiateHeartbeat('0,0', [10000, 10000]), { send: 0, expect: 0 });
    assert.deepEqual(negotiateHeartbeat(undefined, [10000, 10000]), { send: 0, expect: 0 });
    assert.deepEqual(negotiateHeartbeat('4000,20000', [10000, 10000]), { send: 20000, expect: 10000 });
    assert.deepEqual(negotiateHeartbeat('30000,5000', [10000, 10000]), { send: 10000, expect: 30000 });
    assert.deepEqual(negotiateHeartbeat('0,5000', [10000, 10000]), { send: 10000, expect: 0 });
    assert.deepEqual(negotiateHeartbeat('5000,0', [10000, 10000]), { send: 0, expect: 10000 });
    assert.deepEqual(negotiateHeartbeat('5000,5000', [0, 0]), { send: 0, expect: 0 });
    assert.deepEqual(negotiateHeartbeat('5000,5000', [0, 8000]), { send: 0, expect: 8000 });
  });

  test('periods above MAX_HEARTBEAT_MS: ours is clamped, the client\'s is not checked', () => {
    assert.deepEqual(negotiateHeartbeat('0,3000000000', [10000, 10000]), { send: MAX_HEARTBEAT_MS, expect: 0 });
    assert.deepEqual(negotiateHeartbeat('3000000000,0', [10000, 10000]), { send: 0, expect: 0 });
    assert.deepEqual(negotiateHeartbeat('99999999999999999999,99999999999999999999', [10000, 10000]), { send: MAX_HEARTBEAT_MS, expect: 0 });
    assert.deepEqual(negotiateHeartbeat(`${MAX_HEARTBEAT_MS},${MAX_HEARTBEAT_MS}`, [10000, 10000]), { send: MAX_HEARTBEAT_MS, expect: MAX_HEARTBEAT_MS });
  });

  test('a malformed heart-beat throws invalid_request', () => {
    for (const header of ['abc', '1', '-1,0', '0,-5', '', ',']) codecError(() => negotiateHeartbeat(header, [10000, 10000]), 'invalid_request', /heart-beat/);
  });
});

describe('header escaping per version', () => {
  test('1.0 is raw both ways', () => {
    assert.equal(unescapeHeader('a\\cb\\t', '1.0', 'SEND'), 'a\\cb\\t');
    assert.equal(unescapeHeader('a\\cb', undefined, 'SEND'), 'a\\cb');
    assert.equal(escapeHeader('a:b\\c\n', '1.0'), 'a:b\\c\n');
  });

  test('1.1 knows \\\\ \\n \\c but not \\r', () => {
    assert.equal(unescapeHeader('a\\cb\\nc\\\\d', '1.1', 'SEND'), 'a:b\nc\\d');
    codecError(() => unescapeHeader('a\\rb', '1.1', 'SEND'), 'invalid_request', /escape/);
    assert.equal(escapeHeader('a:b\nc\\d\re', '1.1'), 'a\\cb\\nc\\\\d\re');
  });

  test('1.2 adds \\r', () => {
    assert.equal(unescapeHeader('a\\rb\\c', '1.2', 'MESSAGE'), 'a\rb:');
    assert.equal(escapeHeader('a\rb:', '1.2'), 'a\\rb\\c');
  });

  test('undefined escapes and a trailing backslash are errors', () => {
    for (const version of ['1.1', '1.2'] as const) {
      codecError(() => unescapeHeader('tab\\there', version, 'SEND'), 'invalid_request', /escape/);
      codecError(() => unescapeHeader('end\\', version, 'SEND'), 'invalid_request', /escape/);
    }
  });

  test('CONNECT and CONNECTED are never unescaped', () => {
    assert.equal(unescapeHeader('pa\\css\\t', '1.2', 'CONNECT'), 'pa\\css\\t');
    assert.equal(unescapeHeader('x\\cy', '1.2', 'CONNECTED'), 'x\\cy');
  });

  test('escape then unescape is the identity', () => {
    const values = ['plain', 'a:b', 'back\\slash', 'line\nfeed', ':::\\\\', '\\n literal', '안녕:😀'];
    for (const version of ['1.0', '1.1', '1.2'] as const) {
      for (const v of values) assert.equal(unescapeHeader(escapeHeader(v, version), version, 'MESSAGE'), v);
    }
    assert.equal(unescapeHeader(escapeHeader('cr\rhere', '1.2'), '1.2', 'MESSAGE'), 'cr\rhere');
  });
});

describe('StompFrameReader.push', () => {
  test('one frame', () => {
    const { frames, heartbeats } = new StompFrameReader(limits).push(buf(VALID));
    assert.equal(frames.length, 1);
    assert.equal(heartbeats, 0);
    assert.deepEqual(frames[0]!.headers, [['destination', '/app/groups/g1']]);
  });

  test('several frames in one message, with EOLs between them', () => {
    const { frames, heartbeats } = new StompFrameReader(limits).push(buf(`${VALID}\n${VALID}\r\nSUBSCRIBE\nid:0\ndestination:/topic/groups.g1\n\n\0`));
    assert.deepEqual(frames.map((f) => f.command), ['SEND', 'SEND', 'SUBSCRIBE']);
    assert.equal(heartbeats, 2);
  });

  test('a missing trailing NUL is accepted (hand-typed frames)', () => {
    const { frames } = new StompFrameReader(limits).push(buf('CONNECT\naccept-version:1.2\nhost:x\n\n'));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.command, 'CONNECT');
  });

  test('heart-beat EOLs are counted', () => {
    const reader = new StompFrameReader(limits);
    assert.deepEqual(reader.push(buf('\n')), { frames: [], heartbeats: 1 });
    assert.deepEqual(reader.push(buf('\r\n\n')), { frames: [], heartbeats: 2 });
    assert.equal(reader.push(buf(`\n${VALID}`)).heartbeats, 1);
  });

  test('content-length bodies may contain NUL and count UTF-8 bytes', () => {
    const body = 'a\0b😀';
    const { frames } = new StompFrameReader(limits).push(buf(`SEND\ndestination:/x\ncontent-length:${Buffer.byteLength(body)}\n\n${body}\0`));
    assert.equal(decodeFrame(frames[0]!, '1.2').body, body);
  });

  test('CRLF line endings (STOMP 1.2 EOL) with content-length', () => {
    const { frames } = new StompFrameReader(limits).push(buf('SEND\r\ndestination:/x\r\ncontent-length:2\r\n\r\nhi\0'));
    assert.equal(frames.length, 1);
    assert.equal(decodeFrame(frames[0]!, '1.2').body, 'hi');
  });

  test('negative, non-numeric, too-large or overrunning content-length is invalid_request, never a stall', () => {
    const reader = new StompFrameReader(limits);
    for (const cl of ['-1', 'abc', '', '1.5', '9999999999', '3']) {
      codecError(() => reader.push(buf(`SEND\ndestination:/x\ncontent-length:${cl}\n\nhello\0`)), 'invalid_request', /content-length/);
      recovers(reader);
    }
  });

  test('a bad content-length behind heart-beats is still caught', () => {
    const reader = new StompFrameReader(limits);
    codecError(() => reader.push(buf('\n\nSEND\ncontent-length:-1\n\nx\0')), 'invalid_request');
    recovers(reader);
  });

  test('reader detects a header line without a colon instead of stalling', () => {
    // Pins the one place we read @stomp/stompjs Parser internals (its idle state).
    const reader = new StompFrameReader(limits);
    codecError(() => reader.push(buf('SEND\nno-colon-here\n\nbody\0')), 'invalid_request', /not complete/);
    recovers(reader);
    codecError(() => reader.push(buf('garbage without a blank line\0')), 'invalid_request', /before the blank line/);
    recovers(reader);
  });

  test('a frame split over several messages at any byte is buffered until it is whole', () => {
    const text = `${VALID}SEND\ndestination:/app/groups/g2\ncontent-length:5\n\nhel\0o\0`;
    // Not within the first 4 bytes (a piece with no EOL at all counts as a typed line), nor inside
    // VALID's body: without content-length, a message that ends mid-body ends the frame.
    const body = [VALID.indexOf('\n\n') + 2, VALID.length];
    for (let cut = 5; cut < text.length; cut++) {
      if (cut >= body[0]! && cut < body[1]!) continue;
      const reader = new StompFrameReader(limits);
      const a = reader.push(buf(text.slice(0, cut)));
      const b = reader.push(buf(text.slice(cut)));
      const frames = [...a.frames, ...b.frames].map((f) => decodeFrame(f, '1.2'));
      assert.deepEqual(frames.map((f) => f.headers.get('destination')), ['/app/groups/g1', '/app/groups/g2'], `cut at ${cut}`);
      assert.equal(frames[1]!.body, 'hel\0o');
      assert.equal(reader.buffered, 0);
    }
  });

  test('lines typed one per message (wscat) make frames: a line without EOL is a header line, an empty one ends the headers', () => {
    const reader = new StompFrameReader(limits);
    const got: string[] = [];
    for (const line of ['CONNECT', 'accept-version:1.2', '', 'SEND', 'destination:/app/groups/g1', '', '{"type":"chat","text":"hi"}']) {
      for (const f of reader.push(buf(line)).frames) {
        const d = decodeFrame(f, '1.2');
        got.push(`${d.command} ${[...d.headers].map(([k, v]) => `${k}=${v}`).join(',')} ${d.body}`);
      }
    }
    assert.deepEqual(got, ['CONNECT accept-version=1.2 ', 'SEND destination=/app/groups/g1 {"type":"chat","text":"hi"}']);
  });

  test('the buffer of an unfinished frame is bounded by maxFrameBytes, then dropped', () => {
    const reader = new StompFrameReader({ maxFrameBytes: 64, maxHeaders: 16 });
    reader.push(buf('SEND\ndestination:/x\ncontent-length:20\n\n'));
    assert.ok(reader.buffered > 0);
    codecError(() => reader.push(buf('x'.repeat(30))), 'payload_too_large');
    assert.equal(reader.buffered, 0);
    recovers(reader);
    codecError(() => reader.push(buf('SEND\ncontent-length:100\n\n')), 'payload_too_large', /content-length/);
    assert.equal(reader.buffered, 0, 'a frame announced over the cap is refused before its body is waited for');
  });

  test('more than maxHeaders headers is an error', () => {
    const reader = new StompFrameReader({ maxFrameBytes: 4096, maxHeaders: 3 });
    assert.equal(reader.push(buf('SEND\na:1\nb:2\nc:3\n\n\0')).frames.length, 1);
    codecError(() => reader.push(buf('SEND\na:1\nb:2\nc:3\nd:4\n\n\0')), 'invalid_request', /headers/);
    recovers(reader);
  });

  test('a message over maxFrameBytes is payload_too_large', () => {
    const reader = new StompFrameReader({ maxFrameBytes: 64, maxHeaders: 16 });
    const big = `SEND\ndestination:/x\n\n${'x'.repeat(64)}\0`;
    codecError(() => reader.push(buf(big)), 'payload_too_large');
    assert.equal(reader.push(buf('SEND\ndestination:/x\n\nok\0')).frames.length, 1);
  });
});

describe('decodeFrame', () => {
  const read = (text: string) => new StompFrameReader(limits).push(buf(text)).frames[0]!;

  test('the first occurrence of a header wins; values are not trimmed', () => {
    const frame = decodeFrame(read('SEND\nx: a \nx:second\ndestination:/x\n\nbody\0'), '1.2');
    assert.equal(frame.command, 'SEND');
    assert.equal(frame.headers.get('x'), ' a ');
    assert.equal(frame.headers.get('destination'), '/x');
    assert.equal(frame.body, 'body');
  });

  test('header values are unescaped per version; CONNECT is raw', () => {
    assert.equal(decodeFrame(read('SEND\nid:a\\cb\n\n\0'), '1.2').headers.get('id'), 'a:b');
    assert.equal(decodeFrame(read('SEND\nid:a\\cb\n\n\0'), '1.0').headers.get('id'), 'a\\cb');
    assert.equal(decodeFrame(read('CONNECT\npasscode:p\\tw\n\n\0'), '1.2').headers.get('passcode'), 'p\\tw');
    codecError(() => decodeFrame(read('SEND\nid:a\\tb\n\n\0'), '1.2'), 'invalid_request');
  });

  test('an empty body decodes to the empty string; UTF-8 bodies decode', () => {
    assert.equal(decodeFrame(read('DISCONNECT\nreceipt:r\n\n\0'), '1.2').body, '');
    assert.equal(decodeFrame(read('SEND\n\n안녕 😀\0'), '1.2').body, '안녕 😀');
  });
});

describe('encodeFrame', () => {
  const roundTrip = (text: string, version: StompVersion) => {
    const { frames } = new StompFrameReader(limits).push(buf(text));
    assert.equal(frames.length, 1);
    return decodeFrame(frames[0]!, version);
  };

  test('round-trips through the reader for every version', () => {
    for (const version of ['1.0', '1.1', '1.2'] as const) {
      const headers = { 'receipt-id': version === '1.0' ? 'r-1' : 'r:1\\x\ny', seq: '42' };
      const body = '{"text":"안녕 😀"}';
      const text = encodeFrame('RECEIPT', headers, body, version);
      assert.match(text, new RegExp(`content-length:${Buffer.byteLength(body)}\n`));
      assert.ok(text.endsWith('\0'));
      const frame = roundTrip(text, version);
      assert.equal(frame.command, 'RECEIPT');
      assert.deepEqual(Object.fromEntries([...frame.headers].filter(([k]) => k !== 'content-length')), headers);
      assert.equal(frame.body, body);
    }
  });

  test('1.1 never emits the \\r escape that 1.1 does not define', () => {
    // A 1.1 peer must treat an undefined escape as fatal; escapeHeader(…, '1.1') leaves \r alone.
    const text = encodeFrame('ERROR', { message: 'line\r\nbreak' }, '', '1.1');
    assert.doesNotMatch(text, /\\r/);
    assert.doesNotThrow(() => roundTrip(text, '1.1'));
  });

  test('an empty body has no content-length', () => {
    assert.equal(encodeFrame('RECEIPT', { 'receipt-id': '7' }, '', '1.2'), 'RECEIPT\nreceipt-id:7\n\n\0');
  });

  test('CONNECTED is never escaped; 1.0 is never escaped', () => {
    assert.equal(encodeFrame('CONNECTED', { version: '1.2', server: 'a:b' }, '', '1.2'), 'CONNECTED\nversion:1.2\nserver:a:b\n\n\0');
    assert.equal(encodeFrame('ERROR', { message: 'a:b' }, '', '1.0'), 'ERROR\nmessage:a:b\n\n\0');
    assert.equal(encodeFrame('ERROR', { message: 'a:b' }, '', '1.2'), 'ERROR\nmessage:a\\cb\n\n\0');
  });
});

test('readers share one parser: a broken message on one connection leaves the other reading whole frames', () => {
  const a = new StompFrameReader(limits);
  const b = new StompFrameReader(limits);
  codecError(() => a.push(buf('SEND\nno-colon-here\n\nbody\0')), 'invalid_request', /not complete/);
  recovers(b);
  a.push(buf('SEND\ndestination:/app/groups/g1\n')); // an unfinished frame waits in a's own buffer
  recovers(b);
  assert.equal(a.push(buf('\n{"type":"chat","text":"ok"}\0')).frames.length, 1, 'and completes there');
  recovers(a);
  const both = [a.push(buf(VALID)), b.push(buf(`${VALID}\n${VALID}`))];
  assert.deepEqual(both.map((r) => r.frames.length), [1, 2]);
});

describe('encodeMessageHead + encodeMessageTail', () => {
  test('heads are interned: the same bytes are the same Buffer, so a fan-out can share one frame', () => {
    const a = encodeMessageHead('sub-0', '/topic/groups.g1', '1.2');
    assert.equal(encodeMessageHead('sub-0', '/topic/groups.g1', '1.2'), a);
    assert.notEqual(encodeMessageHead('sub-1', '/topic/groups.g1', '1.2'), a);
    assert.notEqual(encodeMessageHead('sub-0', '/topic/groups.g2', '1.2'), a);
  });

  const json = JSON.stringify({ seq: 42, group: 'g1', type: 'chat', user: 'u7', at: 1, data: { text: '안녕 😀' } });

  const parse = (bytes: Buffer, version: StompVersion) => {
    const { frames } = new StompFrameReader({ maxFrameBytes: 1 << 20, maxHeaders: 16 }).push(bytes);
    assert.equal(frames.length, 1);
    return decodeFrame(frames[0]!, version);
  };

  test('concatenated, they are one MESSAGE frame with every contract header', () => {
    for (const version of ['1.0', '1.1', '1.2'] as const) {
      const bytes = Buffer.concat([encodeMessageHead('sub-0', '/topic/groups.g1', version), encodeMessageTail('g1', 42, json)]);
      const frame = parse(bytes, version);
      assert.equal(frame.command, 'MESSAGE');
      assert.deepEqual(Object.fromEntries(frame.headers), {
        subscription: 'sub-0',
        destination: '/topic/groups.g1',
        'message-id': 'g1-42',
        seq: '42',
        'content-type': 'application/json',
        'content-length': String(Buffer.byteLength(json)),
      });
      assert.equal(frame.body, json);
      assert.equal(bytes[bytes.length - 1], 0);
    }
  });

  test('truncated:true only when asked', () => {
    const plain = parse(Buffer.concat([encodeMessageHead('s', '/topic/groups.g1', '1.2'), encodeMessageTail('g1', 1, json)]), '1.2');
    assert.equal(plain.headers.has('truncated'), false);
    const cut = parse(Buffer.concat([encodeMessageHead('s', '/topic/groups.g1', '1.2'), encodeMessageTail('g1', 1, json, true)]), '1.2');
    assert.equal(cut.headers.get('truncated'), 'true');
  });

  test('the subscription id is escaped for the version', () => {
    const frame = parse(Buffer.concat([encodeMessageHead('sub:a\\b', '/topic/groups.g1', '1.2'), encodeMessageTail('g1', 1, json)]), '1.2');
    assert.equal(frame.headers.get('subscription'), 'sub:a\\b');
  });

  test('the tail is the same bytes for every subscriber', () => {
    assert.deepEqual(encodeMessageTail('g1', 9, json), encodeMessageTail('g1', 9, json));
    assert.ok(encodeMessageTail('g1', 9, json).toString('utf8').startsWith('message-id:g1-9\nseq:9\n'));
  });
});
