import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AppendBuffer, OPCODE, WsProtocolError, closeFrame, isValidCloseCode, readClientFrame, readClosePayload, serverFrame, serverTextFrame, type ClientFrame } from '../../src/protocol/ws-frames.js';
import { maskedFrame, readServerFrames } from '../support/ws-frames.js';

const MAX = 1024 * 1024;

function frameOf(result: ClientFrame | number): ClientFrame {
  assert.equal(typeof result, 'object', `expected a whole frame, got "needs ${String(result)} bytes"`);
  return result as ClientFrame;
}

function violation(buf: Buffer, code: number, maxPayload = MAX): void {
  assert.throws(() => readClientFrame(buf, 0, maxPayload), (err: unknown) => err instanceof WsProtocolError && err.closeCode === code);
}

describe('ws-frames', () => {
  describe('readClientFrame', () => {
    for (const [form, size] of [[7, 125], [16, 126], [16, 65535], [64, 65536]] as const) {
      test(`reads and unmasks a ${size}-byte payload with a ${form}-bit length`, () => {
        const payload = Buffer.alloc(size, 'x');
        const wire = maskedFrame(OPCODE.text, payload);
        const frame = frameOf(readClientFrame(wire, 0, MAX));
        assert.equal(frame.opcode, OPCODE.text);
        assert.equal(frame.fin, true);
        assert.equal(frame.end, wire.length);
        assert.deepEqual(frame.payload, payload);
      });
    }

    test('reads the frame at an offset and says where it ends', () => {
      const wire = Buffer.concat([maskedFrame(OPCODE.text, 'one'), maskedFrame(OPCODE.binary, 'two', { fin: false })]);
      const first = frameOf(readClientFrame(wire, 0, MAX));
      const second = frameOf(readClientFrame(wire, first.end, MAX));
      assert.equal(first.payload.toString(), 'one');
      assert.deepEqual([second.opcode, second.fin, second.payload.toString(), second.end], [OPCODE.binary, false, 'two', wire.length]);
    });

    test('an unfinished frame says how many bytes it needs at least', () => {
      const wire = maskedFrame(OPCODE.text, Buffer.alloc(300, 'y'));
      assert.equal(readClientFrame(wire.subarray(0, 1), 0, MAX), 6);
      assert.equal(readClientFrame(wire.subarray(0, 3), 0, MAX), 8, 'a 16-bit length is not complete yet');
      assert.equal(readClientFrame(wire.subarray(0, 10), 0, MAX), wire.length, 'the header is complete: the whole frame');
      const long = maskedFrame(OPCODE.binary, Buffer.alloc(70_000));
      assert.equal(readClientFrame(long.subarray(0, 5), 0, MAX), 14, 'a 64-bit length is not complete yet');
    });

    test('a frame announcing more than maxPayload is refused from its header alone (1009)', () => {
      const header = maskedFrame(OPCODE.text, Buffer.alloc(2000)).subarray(0, 8);
      violation(header, 1009, 1000);
      const huge = Buffer.from([0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 0]); // 2^32 bytes
      violation(huge, 1009);
    });

    test('protocol violations close with 1002', () => {
      violation(maskedFrame(OPCODE.text, 'x', { rsv: 4 }), 1002); // RSV1 without permessage-deflate
      violation(maskedFrame(0x3, 'x'), 1002); // reserved data opcode
      violation(maskedFrame(0xb, 'x'), 1002); // reserved control opcode
      violation(maskedFrame(OPCODE.text, 'x', { mask: false }), 1002); // clients must mask
      violation(maskedFrame(OPCODE.ping, 'x', { fin: false }), 1002); // control frames are never fragmented
      violation(maskedFrame(OPCODE.ping, Buffer.alloc(126), { lengthAs: 16 }), 1002); // control payloads ≤ 125
    });

    test('any payload, cut anywhere, reads back whole once the rest arrives', () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 70_000 }), fc.nat(), (bytes, at) => {
          const payload = Buffer.from(bytes);
          const wire = maskedFrame(OPCODE.binary, payload);
          const cut = at % (wire.length + 1);
          const head = readClientFrame(Buffer.from(wire.subarray(0, cut)), 0, MAX); // a copy: a whole frame is unmasked in place
          if (cut < wire.length) {
            assert.equal(typeof head, 'number');
            assert.ok((head as number) > cut && (head as number) <= wire.length, 'needs more than it has, no more than the frame');
          }
          assert.deepEqual(frameOf(readClientFrame(Buffer.from(wire), 0, MAX)).payload, payload);
        }),
        { numRuns: 200 },
      );
    });
  });

  describe('close frames', () => {
    test('readClosePayload: no payload is 1005; a code and a UTF-8 reason are read', () => {
      assert.equal(readClosePayload(Buffer.alloc(0)).code, 1005);
      const payload = Buffer.concat([Buffer.from([0x03, 0xe8]), Buffer.from('bye ✓')]);
      const close = readClosePayload(payload);
      assert.equal(close.code, 1000);
      assert.equal(close.reason.toString(), 'bye ✓');
    });

    test('readClosePayload refuses a one-byte payload and codes no peer may send (1002), a reason not UTF-8 (1007)', () => {
      const code = (n: number) => Buffer.from([n >> 8, n & 0xff]);
      for (const [payload, expected] of [
        [Buffer.from([0x03]), 1002],
        [code(1005), 1002],
        [code(1006), 1002],
        [code(999), 1002],
        [code(2999), 1002],
        [code(5000), 1002],
        [Buffer.concat([code(1000), Buffer.from([0xc3, 0x28])]), 1007],
      ] as const) {
        assert.throws(() => readClosePayload(payload), (err: unknown) => err instanceof WsProtocolError && err.closeCode === expected, `payload ${payload.toString('hex')}`);
      }
    });

    test('isValidCloseCode: 1000-1014 less 1004-1006, and 3000-4999', () => {
      const valid = [1000, 1001, 1002, 1003, 1007, 1011, 1012, 1014, 3000, 4008, 4999];
      const invalid = [0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000];
      for (const c of valid) assert.equal(isValidCloseCode(c), true, String(c));
      for (const c of invalid) assert.equal(isValidCloseCode(c), false, String(c));
    });

    test('closeFrame: code and reason, none for 1005, a long reason cut to 123 bytes at a character boundary', () => {
      const [frame] = readServerFrames(closeFrame(4008, 'slow_consumer')).frames;
      assert.deepEqual([frame!.opcode, frame!.payload.readUInt16BE(0), frame!.payload.subarray(2).toString()], [OPCODE.close, 4008, 'slow_consumer']);
      assert.equal(readServerFrames(closeFrame(1005)).frames[0]!.payload.length, 0);
      const long = readServerFrames(closeFrame(1000, 'é'.repeat(100))).frames[0]!;
      assert.ok(long.payload.length <= 125);
      assert.equal(long.payload.subarray(2).toString(), 'é'.repeat(61), 'whole two-byte characters only');
      assert.equal(readServerFrames(closeFrame(1000, Buffer.from('echo'))).frames[0]!.payload.subarray(2).toString(), 'echo');
    });
  });

  describe('server frames', () => {
    for (const size of [0, 125, 126, 65535, 65536]) {
      test(`a ${size}-byte payload: final, unmasked, its length in the shortest form`, () => {
        const payload = Buffer.alloc(size, 'z');
        for (const wire of [serverFrame(OPCODE.binary, payload), serverTextFrame(payload.toString())]) {
          const { frames, rest } = readServerFrames(wire);
          assert.equal(frames.length, 1);
          assert.equal(rest.length, 0);
          assert.equal(frames[0]!.fin, true);
          assert.equal(wire[1]! & 0x80, 0, 'unmasked');
          assert.equal(wire.length - size, size < 126 ? 2 : size < 65536 ? 4 : 10);
          assert.deepEqual(frames[0]!.payload, payload);
        }
        assert.equal(serverTextFrame('x')[0], 0x81);
        assert.equal(serverFrame(OPCODE.pong, payload)[0], 0x8a);
      });
    }
  });

  describe('AppendBuffer', () => {
    test('appends ranges of reads into one buffer that at most doubles what it holds, never past its limit', () => {
      const data = new AppendBuffer(10_000);
      const capacity = () => (data as unknown as { buf: Buffer }).buf.length;
      const expected: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const read = Buffer.from([i & 0xff, (i + 1) & 0xff, (i + 2) & 0xff]);
        data.append(read, 1, 2); // the middle byte only
        expected.push((i + 1) & 0xff);
        assert.ok(capacity() <= Math.max(1024, 2 * data.length), `capacity ${capacity()} at ${data.length} bytes`);
      }
      assert.deepEqual([...data.bytes()], expected);
      data.append(Buffer.alloc(7000, 1));
      assert.equal(data.length, 10_000);
      assert.equal(capacity(), 10_000, 'capped at the limit');
      assert.throws(() => data.append(Buffer.alloc(1)), RangeError);
    });
  });
});
