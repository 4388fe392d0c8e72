import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net from 'node:net';
import { once } from 'node:events';
import { detachFromHttpServer, endDetached, nodeHttpInternals, type NodeHttpInternals } from '../src/http-detach.js';
import { until } from './support/server.js';

type Opened = { req: IncomingMessage; res: ServerResponse };

/**
 * A plain Node HTTP server whose handler sends a chunked head and a first chunk
 * and, like the SSE route (which awaits its subscription first), hands the response over a turn later.
 */
async function serve(t: TestContext): Promise<{ server: http.Server; port: number; opened: Opened[]; next(): Promise<Opened> }> {
  const opened: Opened[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    if (req.url !== '/stream') return void res.end('other');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('first\n');
    setImmediate(() => opened.push({ req, res }));
  };
  const server = http.createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  const next = async () => {
    const count = opened.length;
    await until(() => opened.length > count, 2000, 'the stream opened');
    return opened[count]!;
  };
  return { server, port: (server.address() as net.AddressInfo).port, opened, next };
}

/** A raw client: everything it receives, as latin1. */
async function client(t: TestContext, port: number, request = 'GET /stream HTTP/1.1\r\nhost: x\r\n\r\n') {
  const socket = net.connect(port, '127.0.0.1');
  socket.on('error', () => {});
  t.after(() => socket.destroy());
  let wire = '';
  socket.on('data', (d: Buffer) => (wire += d.toString('latin1')));
  const ended = new Promise<void>((resolve) => socket.once('end', () => resolve()).once('close', () => resolve()));
  await once(socket, 'connect');
  socket.write(request);
  return { socket, wire: () => wire, ended };
}

const NODE_NAMES = nodeHttpInternals.socketListeners.map(([, name]) => name);
const nodeListenersOn = (socket: net.Socket) => socket.eventNames().flatMap((e) => socket.listeners(e).map((l) => l.name)).filter((n) => NODE_NAMES.includes(n));
const listenerNames = (socket: net.Socket) => socket.eventNames().map((e) => `${String(e)}:${socket.listeners(e).map((l) => l.name).join(',')}`);

describe('detachFromHttpServer', () => {
  test('Node 20 is as expected: freeParser is found and every listener Node puts on a socket is there', async (t) => {
    assert.equal(typeof nodeHttpInternals.freeParser, 'function');
    const { port, next } = await serve(t);
    await client(t, port);
    const { res } = await next();
    assert.deepEqual(nodeListenersOn(res.socket!).sort(), [...NODE_NAMES].sort());
  });

  test('lets go of the parser, the response and Node\'s listeners, as for an upgrade; the socket stays the caller\'s', async (t) => {
    const { server, port, next } = await serve(t);
    const peer = await client(t, port);
    const { req, res } = await next();
    const socket = res.socket!;
    const gone: string[] = [];
    assert.equal(detachFromHttpServer(res, () => gone.push('gone')), socket);
    assert.equal((socket as { parser?: unknown }).parser, null);
    assert.equal((req as { parser?: unknown }).parser, null);
    assert.equal(res.socket, null);
    assert.equal((socket as { _httpMessage?: unknown })._httpMessage, null);
    assert.deepEqual(nodeListenersOn(socket), []);
    assert.ok(socket.listenerCount('error') > 0, 'an error listener of its own');
    // Out of the server's ConnectionsList: closing "all connections" no longer reaches it.
    server.closeAllConnections();
    await new Promise((r) => setImmediate(r));
    assert.equal(socket.destroyed, false);
    socket.write('5\r\nlater\r\n');
    endDetached(socket, Buffer.from('0\r\n\r\n'));
    await peer.ended;
    assert.match(peer.wire(), /\r\n\r\n6\r\nfirst\n\r\n5\r\nlater\r\n0\r\n\r\n$/);
    await until(() => socket.destroyed, 2000, 'the server socket destroyed');
    assert.deepEqual(gone, [], 'our own end is not the peer going');
  });

  test('the peer closing, half-closing or resetting reaches onGone once, without an error thrown', async (t) => {
    const { port, next } = await serve(t);
    for (const how of ['destroy', 'end', 'reset'] as const) {
      const peer = await client(t, port);
      const { res } = await next();
      const socket = res.socket!;
      let gone = 0;
      detachFromHttpServer(res, () => gone++);
      const closed = new Promise((resolve) => socket.once('close', resolve)); // (events.once would reject on the reset's error)
      if (how === 'destroy') peer.socket.destroy();
      else if (how === 'end') peer.socket.end();
      else peer.socket.resetAndDestroy();
      await closed;
      assert.equal(gone, 1, how);
    }
  });

  test('what the client sends after the detach is read and dropped; the stream goes on', async (t) => {
    const { port, next } = await serve(t);
    const peer = await client(t, port);
    const { res } = await next();
    const socket = res.socket!;
    let gone = 0;
    detachFromHttpServer(res, () => gone++);
    const junk = Buffer.alloc(4 * 1024 * 1024, 'GET / HTTP/1.1\r\n\r\n');
    await new Promise<void>((resolve) => peer.socket.write(junk, () => resolve()));
    await until(() => socket.bytesRead >= junk.length, 5000, 'the junk read');
    assert.ok(socket.readableLength === 0, `nothing kept: ${socket.readableLength} bytes buffered`);
    socket.write('2\r\nok\r\n');
    await until(() => peer.wire().endsWith('2\r\nok\r\n'), 2000, 'a write after the junk');
    assert.equal(gone, 0);
    assert.doesNotMatch(peer.wire(), /other/, 'nothing of it was answered');
  });

  test('calls the response\'s detachSocket, where src/http-guard.ts gives back its in-flight place and charges its bytes', async (t) => {
    const { port, next } = await serve(t);
    await client(t, port);
    const { res } = await next();
    const socket = res.socket!;
    const detachedFrom: unknown[] = [];
    const own = res.detachSocket;
    res.detachSocket = function (this: ServerResponse, s: net.Socket) {
      detachedFrom.push(s);
      own.call(this, s);
    };
    assert.ok(detachFromHttpServer(res, () => {}));
    assert.deepEqual(detachedFrom, [socket]);
  });

  test('endDetached destroys a socket whose peer reads nothing after the grace', async (t) => {
    const { port, next } = await serve(t);
    const peer = await client(t, port);
    peer.socket.pause();
    const { res } = await next();
    const socket = res.socket!;
    detachFromHttpServer(res, () => {});
    for (let i = 0; i < 64 && socket.writableLength < 8 * 1024 * 1024; i++) socket.write(Buffer.alloc(1024 * 1024));
    const started = Date.now();
    endDetached(socket, undefined, 100);
    endDetached(socket, undefined, 100); // idempotent
    await once(socket, 'close');
    assert.ok(Date.now() - started < 1500, `closed after ${Date.now() - started} ms`);
  });
});

describe('detachFromHttpServer falls back, changing nothing', () => {
  const changed: [string, NodeHttpInternals][] = [
    ['a Node without freeParser', { ...nodeHttpInternals, freeParser: undefined }],
    ['a Node whose socket listeners have other names', { ...nodeHttpInternals, socketListeners: [...nodeHttpInternals.socketListeners.slice(1), ['data', 'bound onSocketData']] }],
  ];
  for (const [what, internals] of changed) {
    test(`on ${what}: the response goes on and ends as an ordinary one`, async (t) => {
      const { port, next } = await serve(t);
      const peer = await client(t, port);
      const { res } = await next();
      const socket = res.socket!;
      const before = listenerNames(socket);
      assert.equal(detachFromHttpServer(res, () => assert.fail('not detached'), internals), undefined);
      assert.deepEqual(listenerNames(socket), before);
      assert.equal(res.socket, socket);
      assert.ok((socket as { parser?: unknown }).parser);
      res.end('last\n');
      await until(() => peer.wire().endsWith('0\r\n\r\n'), 2000, 'the end');
      // Still Node's: the next request on the connection is answered.
      peer.socket.write('GET /next HTTP/1.1\r\nhost: x\r\n\r\n');
      await until(() => peer.wire().endsWith('other'), 2000, 'the next answer');
    });
  }

  test('while the request body is still coming, or when a later pipelined request was parsed', async (t) => {
    const { port, next } = await serve(t);
    await client(t, port, 'POST /stream HTTP/1.1\r\nhost: x\r\ncontent-length: 10\r\n\r\nabc');
    const body = await next();
    assert.equal(detachFromHttpServer(body.res, () => {}), undefined);
    assert.ok(body.res.socket);
    await client(t, port, 'GET /stream HTTP/1.1\r\nhost: x\r\n\r\nGET /next HTTP/1.1\r\nhost: x\r\n\r\n');
    const pipelined = await next();
    assert.equal(detachFromHttpServer(pipelined.res, () => {}), undefined);
    assert.ok(pipelined.res.socket);
  });

  test('once the response is ended, or its socket gone', async (t) => {
    const { port, next } = await serve(t);
    await client(t, port);
    const ended = await next();
    ended.res.end();
    assert.equal(detachFromHttpServer(ended.res, () => {}), undefined);
    const peer = await client(t, port);
    const gone = await next();
    gone.res.socket!.destroy();
    assert.equal(detachFromHttpServer(gone.res, () => {}), undefined);
    peer.socket.destroy();
  });
});
