import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net, { type Socket } from 'node:net';
import { once } from 'node:events';
import { ServerWebSocket } from '../../transports/server-websocket.js';
import { OPCODE, WsProtocolError } from '../../src/protocol/ws-frames.js';
import { maskedFrame, readServerFrames, type ServerFrame } from '../support/ws-frames.js';
import { until } from '../support/server.js';

/** What the server socket emitted, in order. */
type Seen = ['message', string, boolean] | ['ping', string] | ['pong', string] | ['close', number, string] | ['error', number];

/**
 * A ServerWebSocket on the server end of a loopback TCP pair (as ws's WebSocketServer would hand it
 * over after the handshake), and a raw client socket that sends hand-made frames and collects the
 * server's frames.
 */
async function pair(t: TestContext, options: { maxPayload?: number; closeTimeout?: number; errorListener?: boolean; head?: Buffer } = {}) {
  const server = net.createServer({ allowHalfOpen: true }); // as Node's HTTP server makes its sockets
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  t.after(() => client.destroy());
  const [raw] = await accepted;
  const socket = new ServerWebSocket(null, undefined, { closeTimeout: options.closeTimeout ?? 30_000 });
  socket.setSocket(raw, options.head ?? Buffer.alloc(0), { maxPayload: options.maxPayload ?? 1024 });
  const seen: Seen[] = [];
  // Listeners in the same turn as setSocket, as the endpoints attach theirs: a head is read after.
  socket.on('message', (data: Buffer, binary: boolean) => seen.push(['message', data.toString(), binary]));
  socket.on('ping', (data: Buffer) => seen.push(['ping', data.toString()]));
  socket.on('pong', (data: Buffer) => seen.push(['pong', data.toString()]));
  socket.on('close', (code: number, reason: Buffer) => seen.push(['close', code, reason.toString()]));
  if (options.errorListener ?? true) socket.on('error', (err: WsProtocolError) => seen.push(['error', err.closeCode]));
  let received = Buffer.alloc(0);
  let ended = false;
  client.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  client.on('end', () => (ended = true));
  client.on('error', () => {});
  return {
    socket,
    raw,
    client,
    seen,
    frames: (): ServerFrame[] => readServerFrames(received).frames,
    ended: () => ended,
    /** The close code of the server's close frame, once it sent one. */
    closeCode: (): number | undefined => {
      const close = readServerFrames(received).frames.find((f) => f.opcode === OPCODE.close);
      return close ? (close.payload.length >= 2 ? close.payload.readUInt16BE(0) : 1005) : undefined;
    },
  };
}

/** Writes `bytes` one byte per write, each a turn apart (the worst split a peer can send). */
async function byteByByte(client: Socket, bytes: Buffer): Promise<void> {
  for (const byte of bytes) {
    client.write(Buffer.from([byte]));
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('ServerWebSocket', () => {
  test('messages arrive whole whatever the reads: byte by byte, several frames in one write, fragmented with a ping between', async (t) => {
    const { client, seen } = await pair(t);
    await byteByByte(client, maskedFrame(OPCODE.text, Buffer.alloc(300, 'a')));
    client.write(Buffer.concat([maskedFrame(OPCODE.text, 'one'), maskedFrame(OPCODE.binary, 'two'), maskedFrame(OPCODE.text, 'thr', { fin: false })]));
    client.write(Buffer.concat([maskedFrame(OPCODE.ping, 'p'), maskedFrame(OPCODE.continuation, 'ee', { fin: false })]));
    client.write(maskedFrame(OPCODE.continuation, '!'));
    await until(() => seen.length === 5, 2000, 'five events');
    assert.deepEqual(seen, [
      ['message', 'a'.repeat(300), false],
      ['message', 'one', false],
      ['message', 'two', true],
      ['ping', 'p'],
      ['message', 'three!', false],
    ]);
  });

  test('send, ping and pong write final unmasked frames; bufferedAmount is what the TCP socket has not sent', async (t) => {
    const { socket, raw, frames } = await pair(t);
    socket.send('text');
    socket.send(Buffer.from('bytes'));
    socket.send(Buffer.from('as text'), { binary: false });
    socket.ping();
    socket.pong(Buffer.from('echo'));
    await until(() => frames().length === 5, 2000, 'five frames');
    assert.deepEqual(
      frames().map((f) => [f.fin, f.opcode, f.payload.toString()]),
      [
        [true, OPCODE.text, 'text'],
        [true, OPCODE.binary, 'bytes'],
        [true, OPCODE.text, 'as text'],
        [true, OPCODE.ping, ''],
        [true, OPCODE.pong, 'echo'],
      ],
    );
    const written = await new Promise((resolve) => socket.send('with a callback', (err) => resolve(err ?? 'written')));
    assert.equal(written, 'written');
    raw.cork();
    socket.send('queued');
    assert.equal(socket.bufferedAmount, 2 + 'queued'.length);
    raw.uncork();
  });

  test('a peer’s close frame is echoed, the socket ended, and close reports the peer’s code and reason', async (t) => {
    const { socket, client, seen, closeCode, ended } = await pair(t);
    client.write(Buffer.concat([maskedFrame(OPCODE.close, Buffer.concat([Buffer.from([0x0f, 0xa0]), Buffer.from('bye')])), maskedFrame(OPCODE.text, 'after close')]));
    await until(() => closeCode() !== undefined && ended(), 2000, 'close echoed, socket ended');
    assert.equal(closeCode(), 4000);
    client.end(); // the client socket ends its side by itself (no half-open), this is for clarity
    await until(() => seen.length > 0, 2000, 'close event');
    assert.deepEqual(seen, [['close', 4000, 'bye']], 'nothing after the close frame is read');
    assert.equal(socket.readyState, socket.CLOSED);
  });

  test('a close frame without a code is echoed without one and reported as 1005', async (t) => {
    const { client, seen, frames } = await pair(t);
    client.write(maskedFrame(OPCODE.close, Buffer.alloc(0)));
    await until(() => frames().some((f) => f.opcode === OPCODE.close), 2000, 'close echoed');
    assert.equal(frames().find((f) => f.opcode === OPCODE.close)!.payload.length, 0);
    client.end();
    await until(() => seen.length > 0, 2000, 'close event');
    assert.deepEqual(seen, [['close', 1005, '']]);
  });

  test('close() starts the handshake: after the peer answers the socket ends; a silent peer is destroyed after closeTimeout', async (t) => {
    const answering = await pair(t);
    answering.socket.close(1012, 'shutting_down');
    await until(() => answering.closeCode() === 1012, 2000, 'close frame sent');
    answering.socket.send('not sent: closing');
    answering.client.write(maskedFrame(OPCODE.close, Buffer.from([0x03, 0xf4])));
    await until(() => answering.ended(), 2000, 'socket ended after the peer’s close');
    answering.client.end();
    await until(() => answering.seen.length > 0, 2000, 'close event');
    assert.deepEqual(answering.seen, [['close', 1012, '']]);
    assert.equal(answering.frames().length, 1, 'nothing sent after the close frame');

    const silent = await pair(t, { closeTimeout: 50 });
    silent.socket.close(1000);
    await until(() => silent.seen.length > 0, 2000, 'destroyed after the close timeout');
    assert.deepEqual(silent.seen, [['close', 1006, '']], 'no close frame came back');
    const refused = await new Promise((resolve) => silent.socket.send('after close', resolve));
    assert.ok(refused instanceof Error, 'a send once closed calls back with an error');
  });

  test('terminate destroys at once; a listener that terminates stops the rest of the read', async (t) => {
    const { socket, client, seen } = await pair(t);
    socket.on('message', () => socket.terminate());
    client.write(Buffer.concat([maskedFrame(OPCODE.text, 'first'), maskedFrame(OPCODE.text, 'second')]));
    await until(() => seen.some((s) => s[0] === 'close'), 2000, 'closed');
    assert.deepEqual(seen, [
      ['message', 'first', false],
      ['close', 1006, ''],
    ]);
  });

  test('a peer that ends its side without a close frame gets its socket ended: close reports 1006', async (t) => {
    const { client, seen, ended } = await pair(t);
    client.end();
    await until(() => ended() && seen.length > 0, 2000, 'ended and closed');
    assert.deepEqual(seen, [['close', 1006, '']]);
  });

  for (const [name, wire, code] of [
    ['text that is not UTF-8', maskedFrame(OPCODE.text, Buffer.from([0xc3, 0x28])), 1007],
    ['a fragmented text message that is not UTF-8', Buffer.concat([maskedFrame(OPCODE.text, Buffer.from([0xe2, 0x82]), { fin: false }), maskedFrame(OPCODE.continuation, Buffer.from([0x28]))]), 1007],
    ['an unmasked frame', maskedFrame(OPCODE.text, 'x', { mask: false }), 1002],
    ['a reserved opcode', maskedFrame(0x3, 'x'), 1002],
    ['a continuation with no message', maskedFrame(OPCODE.continuation, 'x'), 1002],
    ['a new message inside a fragmented one', Buffer.concat([maskedFrame(OPCODE.text, 'a', { fin: false }), maskedFrame(OPCODE.text, 'b')]), 1002],
    ['a close code no peer may send', maskedFrame(OPCODE.close, Buffer.from([0x03, 0xed])), 1002],
    ['a frame header announcing more than maxPayload', maskedFrame(OPCODE.binary, Buffer.alloc(2000)).subarray(0, 8), 1009],
    ['fragments adding up to more than maxPayload', Buffer.concat([maskedFrame(OPCODE.text, Buffer.alloc(600, 'a'), { fin: false }), maskedFrame(OPCODE.continuation, Buffer.alloc(600, 'a'))]), 1009],
  ] as const) {
    test(`${name}: closed with ${code}, one error event, the socket ended, no message`, async (t) => {
      const { client, seen, closeCode, ended } = await pair(t);
      client.write(Buffer.concat([wire, maskedFrame(OPCODE.text, 'never read')]));
      await until(() => closeCode() !== undefined && ended(), 2000, 'closed by the server');
      assert.equal(closeCode(), code);
      client.end();
      await until(() => seen.some((s) => s[0] === 'close'), 2000, 'close event');
      assert.deepEqual(seen, [['error', code], ['close', 1006, '']]);
    });
  }

  test('a violation with no error listener closes the socket and does not throw', async (t) => {
    const { client, seen, closeCode } = await pair(t, { errorListener: false });
    client.write(maskedFrame(OPCODE.text, 'x', { mask: false }));
    await until(() => closeCode() === 1002, 2000, 'closed with 1002');
    client.end();
    await until(() => seen.length > 0, 2000, 'close event');
    assert.deepEqual(seen, [['close', 1006, '']]);
  });

  test('an unfinished frame keeps a copy of its bytes only, and is dropped when the socket closes', async (t) => {
    const { socket, client, seen } = await pair(t);
    const wire = maskedFrame(OPCODE.text, Buffer.alloc(500, 'q'));
    client.write(wire.subarray(0, 100));
    await until(() => (socket as unknown as { partial?: { data: { length: number } } }).partial?.data.length === 100, 2000, 'partial held');
    client.write(wire.subarray(100));
    await until(() => seen.length === 1, 2000, 'message');
    assert.equal((socket as unknown as { partial?: unknown }).partial, undefined);
    client.write(wire.subarray(0, 50));
    await until(() => (socket as unknown as { partial?: { data: { length: number } } }).partial?.data.length === 50, 2000, 'partial held');
    client.destroy();
    await until(() => seen.length === 2, 2000, 'close event');
    assert.equal((socket as unknown as { partial?: unknown }).partial, undefined);
  });

  test('a message in one-byte fragments held in one buffer: memory under twice its bytes, whatever the reads', async (t) => {
    const { socket, client, seen } = await pair(t, { maxPayload: 4096 });
    const parts = 3000;
    const frames = [maskedFrame(OPCODE.text, 'x', { fin: false })];
    for (let i = 1; i < parts - 1; i++) frames.push(maskedFrame(OPCODE.continuation, 'x', { fin: false }));
    client.write(Buffer.concat(frames));
    const held = () => (socket as unknown as { fragments?: { data: { length: number; buf: Buffer } } }).fragments?.data;
    await until(() => held()?.length === parts - 1, 2000, 'fragments held');
    assert.ok(held()!.buf.length < 2 * (parts - 1), `capacity ${held()!.buf.length} for ${parts - 1} bytes`);
    await byteByByte(client, maskedFrame(OPCODE.continuation, 'y'));
    await until(() => seen.length === 1, 2000, 'message');
    assert.deepEqual(seen, [['message', 'x'.repeat(parts - 1) + 'y', false]]);
    assert.equal(held(), undefined, 'nothing held once the message is whole');
  });

  test('bytes that came with the upgrade request (the head) are read first, before the socket’s own reads', async (t) => {
    const head = Buffer.concat([maskedFrame(OPCODE.text, 'in the head'), maskedFrame(OPCODE.text, 'spl', { fin: false })]);
    const { client, seen } = await pair(t, { head: head.subarray(0, head.length - 2) });
    client.write(Buffer.concat([head.subarray(head.length - 2), maskedFrame(OPCODE.continuation, 'it')]));
    await until(() => seen.length === 2, 2000, 'two messages');
    assert.deepEqual(seen, [
      ['message', 'in the head', false],
      ['message', 'split', false],
    ]);
  });

  test('UTF-8 is checked on the whole message: a character split across fragments is valid; a 125-byte ping arrives whole', async (t) => {
    const { client, seen } = await pair(t);
    const check = Buffer.from('✓'); // three bytes
    client.write(Buffer.concat([maskedFrame(OPCODE.text, Buffer.concat([Buffer.from('ok '), check.subarray(0, 1)]), { fin: false }), maskedFrame(OPCODE.continuation, check.subarray(1))]));
    client.write(maskedFrame(OPCODE.ping, Buffer.alloc(125, 'p')));
    await until(() => seen.length === 2, 2000, 'message and ping');
    assert.deepEqual(seen, [
      ['message', 'ok ✓', false],
      ['ping', 'p'.repeat(125)],
    ]);
  });
});
