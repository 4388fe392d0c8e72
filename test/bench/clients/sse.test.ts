// The SSE bench client's reading of how a stream ended: a stream that ends is `stream_ended`; one
// that ends after the client stalled (the server cut it and destroyed the socket once its end grace
// ran out, the error event still queued behind unread bytes) is `cut_after_stall`, as the WebSocket
// clients report a 1006 after a stall.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { SseClient } from '../../../bench/clients/sse.js';
import { recordingContext } from './ws-stub.js';

const HEAD = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n';

/** A stub SSE server: answers the stream's request with a chunked 200, then hands the socket over. */
async function sseStub(t: TestContext, then: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.write(HEAD);
      then(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

const spec = { id: 1, transport: 'sse' as const, group: 'g1', user: 'me', role: 'subscriber', localAddress: '127.0.0.1', since: 0 };

async function until(predicate: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a stream the server ends is stream_ended', async (t) => {
  const port = await sseStub(t, (socket) => setTimeout(() => socket.end('0\r\n\r\n'), 20));
  const { ctx, errors } = recordingContext(port);
  const client = new SseClient(spec, ctx);
  await client.open();
  await until(() => errors.length > 0, 'the end');
  assert.deepEqual(errors, ['stream_ended']);
});

test('a stream that ends while the client is stalled is cut_after_stall once it reads again', async (t) => {
  let destroy: (() => void) | undefined;
  const port = await sseStub(t, (socket) => (destroy = () => socket.destroy()));
  const { ctx, errors } = recordingContext(port);
  const client = new SseClient(spec, ctx);
  await client.open();
  client.pause();
  destroy!();
  await new Promise((r) => setTimeout(r, 50));
  client.resume();
  await until(() => errors.length > 0, 'the end');
  assert.deepEqual(errors, ['cut_after_stall']);
});
