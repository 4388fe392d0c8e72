import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Socket } from 'node:net';
import WebSocket from 'ws';
import { startServer, until } from '../support/server.js';

/** The TCP socket under the one open WebSocket, server side. */
function serverSocket(app: Awaited<ReturnType<typeof startServer>>['app']): Socket & { _httpMessage?: unknown } {
  const sockets = [...app.websockets];
  assert.equal(sockets.length, 1);
  return (sockets[0] as unknown as { _socket: Socket & { _httpMessage?: unknown } })._socket;
}

describe('ws-upgrade', () => {
  for (const [path, protocols] of [['/ws', []], ['/stomp', ['v12.stomp']]] as const) {
    test(`${path}: an upgraded socket keeps no HTTP response and one close listener; closing gives its socket slot back`, async (t) => {
      const { wsUrl, app } = await startServer(t);
      const client = new WebSocket(`${wsUrl}${path}`, [...protocols]);
      t.after(() => client.terminate());
      await new Promise((resolve) => client.once('open', resolve));
      await until(() => app.websockets[Symbol.iterator]().next().done === false, 2000, 'server side open');
      const raw = serverSocket(app);
      assert.equal(raw._httpMessage, null, 'the placeholder response is detached');
      // ws's own: the HTTP guard handed the slot over, the placeholder response took its listener back.
      assert.equal(raw.listenerCount('close'), 1);
      assert.equal(app.sockets.count, 1, 'the slot is still held');
      client.close();
      await until(() => app.sockets.count === 0, 2000, 'socket slot released');
      assert.equal(app.connections.count, 0);
    });
  }

  test('with MAX_CONNECTIONS_PER_IP=1, upgrade after upgrade gets in: each close and terminate gave its socket slot back', async (t) => {
    const { wsUrl, app } = await startServer(t, { maxConnectionsPerIp: 1 });
    for (let i = 0; i < 4; i++) {
      const client = new WebSocket(`${wsUrl}${i % 2 ? '/stomp' : '/ws'}`, i % 2 ? ['v12.stomp'] : []);
      t.after(() => client.terminate());
      await new Promise((resolve, reject) => {
        client.once('open', resolve);
        client.once('error', reject); // a held slot would answer this upgrade with 503
      });
      if (i < 2) client.close();
      else client.terminate();
      await until(() => app.sockets.count === 0 && app.connections.count === 0, 2000, `upgrade ${i} released`);
    }
  });
});
