import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import WebSocket from 'ws';
import { compactListeners, type OwnedWebSocket } from '../../transports/ws-upgrade.js';
import { startServer, until } from '../support/server.js';

/** The server side of the one open WebSocket (and the TCP socket under it). */
function serverSide(app: Awaited<ReturnType<typeof startServer>>['app']): { ws: OwnedWebSocket; raw: Socket & { _httpMessage?: unknown } } {
  const sockets = [...app.websockets];
  assert.equal(sockets.length, 1);
  const ws = sockets[0] as OwnedWebSocket;
  return { ws, raw: (ws as unknown as { _socket: Socket & { _httpMessage?: unknown } })._socket };
}

describe('ws-upgrade', () => {
  test('compactListeners re-registers two listeners in their order; each still runs, a once listener once', () => {
    const socket = new Socket();
    const calls: string[] = [];
    const first = (): void => void calls.push('first');
    socket.on('close', first);
    socket.on('close', () => calls.push('middle'));
    socket.once('close', () => calls.push('once'));
    socket.removeListener('close', socket.listeners('close')[1] as () => void);
    compactListeners(socket, 'close');
    assert.equal(socket.listenerCount('close'), 2);
    assert.equal(socket.listeners('close')[0], first);
    socket.emit('close');
    socket.emit('close');
    assert.deepEqual(calls, ['first', 'once', 'first']);
  });

  test('compactListeners leaves one or three listeners as they are', () => {
    const socket = new Socket();
    const a = (): void => {};
    const b = (): void => {};
    const c = (): void => {};
    socket.on('close', a);
    compactListeners(socket, 'close');
    assert.deepEqual(socket.rawListeners('close'), [a]);
    socket.on('close', b);
    socket.on('close', c);
    compactListeners(socket, 'close');
    assert.deepEqual(socket.rawListeners('close'), [a, b, c]);
  });

  test('an upgraded socket keeps no HTTP response and two close listeners; closing gives its socket slot back', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const client = new WebSocket(`${wsUrl}/ws`);
    t.after(() => client.terminate());
    await new Promise((resolve) => client.once('open', resolve));
    await until(() => app.websockets[Symbol.iterator]().next().done === false, 2000, 'server side open');
    const { raw } = serverSide(app);
    assert.equal(raw._httpMessage, null, 'the placeholder response is detached');
    // The HTTP guard's slot release and ws's own: the placeholder response's listener is gone.
    assert.equal(raw.listenerCount('close'), 2);
    assert.equal(app.sockets.count, 1);
    client.close();
    await until(() => app.sockets.count === 0, 2000, 'socket slot released');
  });
});
