// WebSocket JSON ops (docs/protocol.md): decoding every op, unknown_op for anything that is not a
// known op (plain text included), the error code of the first bad field, and the encoded replies.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { HubError } from '../../src/domain/errors.js';
import { WsDecodeError, decodeClientOp, encodeError, encodeEventFrame, encodeReply, wsTextFrame, wsTextFrameHeader, wsFrameOverhead } from '../../src/protocol/ws-codec.js';

/** Asserts decoding `text` fails with `code`, `ref`, and a message matching `message`. */
function rejects(text: string, code: string, ref?: string | number, message?: RegExp): void {
  assert.throws(() => decodeClientOp(text), (err: unknown) => {
    assert.ok(err instanceof WsDecodeError, `expected WsDecodeError, got ${String(err)}`);
    assert.ok(err instanceof HubError);
    assert.equal(err.code, code);
    assert.equal(err.ref, ref);
    if (message) assert.match(err.message, message);
    return true;
  });
}

const op = (value: object) => JSON.stringify(value);

describe('decodeClientOp: known ops', () => {
  test('subscribe with and without since', () => {
    assert.deepEqual(decodeClientOp(op({ op: 'subscribe', group: 'g1' })), { op: 'subscribe', group: 'g1' });
    assert.deepEqual(decodeClientOp(op({ op: 'subscribe', group: 'g1', since: 0 })), { op: 'subscribe', group: 'g1', since: 0 });
    assert.deepEqual(decodeClientOp(op({ op: 'subscribe', group: 'g1', since: 42, ref: 'r' })), { op: 'subscribe', group: 'g1', since: 42, ref: 'r' });
  });

  test('unsubscribe', () => {
    assert.deepEqual(decodeClientOp(op({ op: 'unsubscribe', group: 'g1' })), { op: 'unsubscribe', group: 'g1' });
  });

  test('publish location and chat, with a ref', () => {
    const location = { type: 'location', lat: -90, lng: 180, heading: 0, sentAt: 5 };
    assert.deepEqual(decodeClientOp(op({ op: 'publish', group: 'g1', event: location, ref: 'r1' })), { op: 'publish', group: 'g1', event: location, ref: 'r1' });
    const chat = { type: 'chat', text: '😀'.repeat(1000), clientId: 'c-1' };
    assert.deepEqual(decodeClientOp(op({ op: 'publish', group: 'g1', event: chat, ref: 7 })), { op: 'publish', group: 'g1', event: chat, ref: 7 });
  });

  test('ping, with extra fields ignored', () => {
    assert.deepEqual(decodeClientOp('{"op":"ping"}'), { op: 'ping' });
    assert.equal(decodeClientOp('{"op":"ping","extra":1}').op, 'ping');
  });
});

describe('decodeClientOp: unknown_op', () => {
  test('plain text and malformed JSON', () => {
    for (const text of ['hello', '', 'ping', '{"op":"ping"', '{op:"ping"}']) rejects(text, 'unknown_op');
  });

  test('JSON that is not an object', () => {
    for (const text of ['null', '42', '"subscribe"', 'true', '[]', '[{"op":"ping"}]']) rejects(text, 'unknown_op');
  });

  test('a missing, non-string or unknown op, with the ref when readable', () => {
    rejects('{}', 'unknown_op');
    rejects('{"group":"g1","ref":"r1"}', 'unknown_op', 'r1');
    rejects('{"op":5,"ref":9}', 'unknown_op', 9);
    rejects('{"op":"SUBSCRIBE","group":"g1","ref":"r2"}', 'unknown_op', 'r2', /subscribe/);
    rejects('{"op":"toString","ref":"r3"}', 'unknown_op', 'r3');
    rejects('{"op":"__proto__"}', 'unknown_op');
    rejects('{"op":"nope","ref":{"x":1}}', 'unknown_op', undefined);
  });
});

describe('decodeClientOp: bad fields', () => {
  test('bad or missing group is invalid_group', () => {
    for (const group of ['a b', '', 'x'.repeat(65), 'grüße', 5, null]) {
      rejects(op({ op: 'subscribe', group, ref: 'r' }), 'invalid_group', 'r', /group/);
      rejects(op({ op: 'publish', group, event: { type: 'chat', text: 'x' } }), 'invalid_group');
    }
    rejects(op({ op: 'subscribe' }), 'invalid_group', undefined, /group/);
    rejects(op({ op: 'unsubscribe', ref: 3 }), 'invalid_group', 3);
  });

  test('bad since is invalid_cursor', () => {
    for (const since of [-1, 1.5, '5', 'abc', 2 ** 60, null, {}]) rejects(op({ op: 'subscribe', group: 'g', since, ref: 'r' }), 'invalid_cursor', 'r', /since/);
  });

  test('bad event is invalid_event with a message naming the field', () => {
    const pub = (event: unknown) => op({ op: 'publish', group: 'g', event, ref: 'p1' });
    rejects(pub({ type: 'location', lat: 91, lng: 0 }), 'invalid_event', 'p1', /\blat\b/);
    rejects(pub({ type: 'location', lat: 0, lng: '1' }), 'invalid_event', 'p1', /\blng\b/);
    rejects(pub({ type: 'location', lat: 0, lng: 0, heading: 360 }), 'invalid_event', 'p1', /\bheading\b/);
    rejects(pub({ type: 'location', lat: 0, lng: 0, altitude: 1 }), 'invalid_event', 'p1', /altitude/);
    rejects(pub({ type: 'chat', text: '' }), 'invalid_event', 'p1', /\btext\b/);
    rejects(pub({ type: 'chat', text: 'x', clientId: 'a b' }), 'invalid_event', 'p1', /\bclientId\b/);
    rejects(pub({ type: 'teleport' }), 'invalid_event', 'p1', /type/);
    rejects(pub({ lat: 1 }), 'invalid_event', 'p1', /type/);
    rejects(op({ op: 'publish', group: 'g', ref: 'p1' }), 'invalid_event', 'p1', /event/);
  });

  test('a non-object event is invalid_event naming event', () => {
    rejects(op({ op: 'publish', group: 'g', event: 5, ref: 'p1' }), 'invalid_event', 'p1', /\bevent\b/);
    rejects(op({ op: 'publish', group: 'g', event: 'hi' }), 'invalid_event', undefined, /\bevent\b/);
  });

  test('a bad event user is invalid_user', () => {
    rejects(op({ op: 'publish', group: 'g', event: { type: 'chat', text: 'x', user: 'a b' }, ref: 'u' }), 'invalid_user', 'u', /\buser\b/);
  });

  test('a bad ref is invalid_request', () => {
    rejects(op({ op: 'ping', ref: 'r'.repeat(129) }), 'invalid_request', 'r'.repeat(129), /ref/);
    rejects(op({ op: 'ping', ref: 1.5 }), 'invalid_request', 1.5, /ref/);
    rejects(op({ op: 'ping', ref: [1] }), 'invalid_request', undefined, /ref/);
  });
});

describe('encoders', () => {
  test('encodeEventFrame wraps the event JSON verbatim', () => {
    const json = '{"seq":1,"group":"g","type":"chat","user":"u","at":1,"data":{"text":"😀"}}';
    const frame = encodeEventFrame(json);
    assert.ok(Buffer.isBuffer(frame));
    assert.equal(frame.toString('utf8'), `{"op":"event","event":${json}}`);
    assert.deepEqual(JSON.parse(frame.toString('utf8')), { op: 'event', event: JSON.parse(json) });
  });

  test('encodeError without and with ref', () => {
    const err = new HubError('invalid_event', 'lat must be <= 90');
    assert.equal(encodeError(err), '{"op":"error","code":"invalid_event","message":"lat must be <= 90"}');
    assert.deepEqual(JSON.parse(encodeError(err, 'r1')), { op: 'error', code: 'invalid_event', message: 'lat must be <= 90', ref: 'r1' });
    assert.deepEqual(JSON.parse(encodeError(err, 0)), { op: 'error', code: 'invalid_event', message: 'lat must be <= 90', ref: 0 });
  });

  test('encodeError of a decode error carries its ref', () => {
    try {
      decodeClientOp('{"op":"bogus","ref":"x9"}');
      assert.fail('should throw');
    } catch (err) {
      const e = err as WsDecodeError;
      assert.deepEqual(JSON.parse(encodeError(e, e.ref)), { op: 'error', code: 'unknown_op', message: e.message, ref: 'x9' });
    }
  });

  test('encodeReply is JSON', () => {
    assert.equal(encodeReply({ op: 'ack', ref: 'r1', seq: 3 }), '{"op":"ack","ref":"r1","seq":3}');
    assert.equal(encodeReply({ op: 'pong' }), '{"op":"pong"}');
  });
});

describe('server-to-client text frames', () => {
  // ws's own Receiver must read our frames back exactly, at every length class.
  test('ws parses wsTextFrame output at 7-bit, 16-bit and 64-bit lengths', async () => {
    const { Receiver } = (await import('ws')) as unknown as { Receiver: new (options: object) => import('node:stream').Writable & { on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): void } };
    for (const length of [0, 5, 125, 126, 1000, 65535, 65536, 70000]) {
      const payload = Buffer.alloc(length, 'a');
      const receiver = new Receiver({ isServer: false });
      const received = new Promise<[Buffer, boolean]>((resolve) => receiver.on('message', (data, isBinary) => resolve([data, isBinary])));
      receiver.write(wsTextFrame(payload));
      const [data, isBinary] = await received;
      assert.equal(isBinary, false, `length ${length}`);
      assert.equal(Buffer.compare(data, payload), 0, `length ${length}`);
      assert.equal(wsTextFrameHeader(length).length, wsFrameOverhead(length), `header size at ${length}`);
    }
  });
});
