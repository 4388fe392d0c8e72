// Property-based fuzz of every decoder that reads client input: decodeClientOp, parsePublishCommand and
// the STOMP reader + decodeFrame. Whatever comes in, they throw nothing but our own coded errors, the
// STOMP reader never stalls, and accepted publish commands round-trip intact.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ERROR_STATUS, HubError } from '../../src/domain/errors.js';
import { parsePublishCommand } from '../../src/domain/validate.js';
import { WsDecodeError, decodeClientOp } from '../../src/protocol/ws-codec.js';
import { StompCodecError, StompFrameReader, decodeFrame } from '../../transports/stomp/codec.js';

const RUNS = { numRuns: 1000 };
const ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Passes when `err` is one of our coded errors with a code from the table. */
function isCoded(err: unknown): boolean {
  if (!(err instanceof HubError || err instanceof StompCodecError)) throw err;
  assert.ok(err.code in ERROR_STATUS, `code ${err.code} is in the table`);
  return true;
}

/** Runs `fn`, returning its value or undefined when it threw a coded error (anything else fails). */
function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    isCoded(err);
    return undefined;
  }
}

const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/), fc.string({ unit: 'binary', maxLength: 70 }));
const num = fc.oneof({ arbitrary: fc.double({ min: 0, max: 90, noNaN: true }), weight: 3 }, fc.double(), fc.integer(), fc.constantFrom(0, -0, 90, -90, 180, 360, 1e400, -1e400), fc.string({ maxLength: 4 }));
const location = fc.record(
  { type: fc.constant('location'), lat: num, lng: num, accuracy: num, heading: num, speed: num, sentAt: num, user: id, extra: fc.anything() },
  { requiredKeys: ['type', 'lat', 'lng'] },
);
const chat = fc.record(
  { type: fc.constantFrom('chat', 'Chat', 'location'), text: fc.oneof(fc.string({ unit: 'binary', maxLength: 1002 }), fc.anything()), clientId: id, sentAt: num, user: id },
  { requiredKeys: ['type'] },
);
const command = fc.oneof(location, chat, fc.jsonValue());
const validCommand = fc.oneof(
  fc.record(
    {
      type: fc.constant('location' as const),
      lat: fc.double({ min: -90, max: 90, noNaN: true }),
      lng: fc.double({ min: -180, max: 180, noNaN: true }),
      accuracy: fc.double({ min: 0, max: 1e6, noNaN: true }),
      heading: fc.double({ min: 0, max: 359.99, noNaN: true }),
      speed: fc.double({ min: 0, max: 1e4, noNaN: true }),
      sentAt: fc.integer({ min: 0, max: 2 ** 50 }),
      user: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
    },
    { requiredKeys: ['type', 'lat', 'lng'] },
  ),
  fc.record(
    {
      type: fc.constant('chat' as const),
      text: fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }).filter((t) => [...t].length <= 1000),
      clientId: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
      user: fc.stringMatching(/^[A-Za-z0-9_.-]{1,64}$/),
    },
    { requiredKeys: ['type', 'text'] },
  ),
);

describe('parsePublishCommand fuzz', () => {
  test('arbitrary text throws only coded errors', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
      attempt(() => parsePublishCommand(text));
    }), RUNS);
  });

  test('command-shaped objects: accepted ones satisfy the contract and round-trip', () => {
    fc.assert(fc.property(command, (body) => {
      const text = JSON.stringify(body) ?? 'null';
      const accepted = attempt(() => parsePublishCommand(text));
      if (!accepted) return;
      assert.deepEqual(accepted, JSON.parse(text));
      assert.deepEqual(parsePublishCommand(JSON.stringify(accepted)), accepted);
      if (accepted.user !== undefined) assert.match(accepted.user, ID);
      if (accepted.type === 'location') {
        assert.ok(accepted.lat >= -90 && accepted.lat <= 90 && accepted.lng >= -180 && accepted.lng <= 180);
        if (accepted.heading !== undefined) assert.ok(accepted.heading >= 0 && accepted.heading < 360);
      } else {
        const length = [...accepted.text].length;
        assert.ok(length >= 1 && length <= 1000);
      }
    }), RUNS);
  });

  test('valid commands are accepted and round-trip intact', () => {
    fc.assert(fc.property(validCommand, (cmd) => {
      const text = JSON.stringify(cmd);
      assert.deepEqual(parsePublishCommand(text), JSON.parse(text));
    }), RUNS);
  });
});

describe('decodeClientOp fuzz', () => {
  const opShaped = fc.record(
    {
      op: fc.oneof(fc.constantFrom('subscribe', 'unsubscribe', 'publish', 'ping'), fc.string(), fc.anything()),
      group: fc.oneof(id, fc.anything()),
      since: fc.oneof(fc.nat(), fc.integer(), fc.double(), fc.string({ maxLength: 5 }), fc.anything()),
      event: fc.oneof(validCommand, command),
      ref: fc.oneof(fc.string({ maxLength: 130 }), fc.integer(), fc.double(), fc.anything()),
    },
    { requiredKeys: [] },
  );

  test('arbitrary text throws only WsDecodeError with a code from the table', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json()), (text) => {
      try {
        decodeClientOp(text);
      } catch (err) {
        assert.ok(err instanceof WsDecodeError, String(err));
        isCoded(err);
      }
    }), RUNS);
  });

  test('op-shaped objects: decoded ops are well-formed, errors are coded and keep a readable ref', () => {
    fc.assert(fc.property(opShaped, (value) => {
      let op;
      try {
        op = decodeClientOp(JSON.stringify(value));
      } catch (err) {
        assert.ok(err instanceof WsDecodeError, String(err));
        isCoded(err);
        const ref = (JSON.parse(JSON.stringify(value)) as { ref?: unknown }).ref;
        if (typeof ref === 'string' || typeof ref === 'number') assert.equal(err.ref, ref);
        return;
      }
      assert.ok(['subscribe', 'unsubscribe', 'publish', 'ping'].includes(op.op));
      if (op.op !== 'ping') assert.match(op.group, ID);
      if (op.op === 'subscribe' && op.since !== undefined) assert.ok(Number.isSafeInteger(op.since) && op.since >= 0);
      if (op.op === 'publish') assert.deepEqual(parsePublishCommand(JSON.stringify(op.event)), op.event);
    }), RUNS);
  });
});

describe('STOMP reader fuzz', () => {
  const VALID = Buffer.from('SEND\ndestination:/app/groups/g1\n\nok\0');
  const token = fc.constantFrom('SEND', 'CONNECT', 'MESSAGE', '\n', '\r\n', '\0', ':', '\\', '\\c', '\\t', 'content-length:', 'content-length:3', '-1', '99999', 'destination:/x', 'a', '😀', '\n\n');
  const frameish = fc.array(token, { maxLength: 30 }).map((parts) => Buffer.from(parts.join('')));
  const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)), frameish);
  const version = fc.constantFrom(undefined, '1.0', '1.1', '1.2' as const);

  test('arbitrary bytes: only coded errors, decodeFrame likewise, a bounded buffer, and valid frames parse again', () => {
    fc.assert(fc.property(fc.array(bytes, { minLength: 1, maxLength: 3 }), version, (messages, v) => {
      const reader = new StompFrameReader({ maxFrameBytes: 256, maxHeaders: 8 });
      for (const message of messages) {
        const result = attempt(() => reader.push(message));
        assert.ok(reader.buffered <= 256, 'an unfinished frame never holds more than maxFrameBytes');
        for (const raw of result?.frames ?? []) {
          const frame = attempt(() => decodeFrame(raw, v));
          if (frame) assert.equal(typeof frame.body, 'string');
        }
      }
      // Garbage may still be waiting to be completed by what comes next; within the frame cap's
      // worth of valid frames the reader is back in step (an error drops the buffer).
      let recovered = false;
      for (let i = 0; i < 10 && !recovered; i++) {
        const after = attempt(() => reader.push(VALID));
        recovered = (after?.frames ?? []).some((raw) => attempt(() => decodeFrame(raw, '1.2'))?.body === 'ok') && reader.buffered === 0;
      }
      assert.ok(recovered, 'the reader never stalls');
    }), RUNS);
  });
});
