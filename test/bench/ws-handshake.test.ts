import { test } from 'node:test';
import assert from 'node:assert/strict';
import { switchingProtocols } from '../../bench/ws-handshake.js';

test('the 101 answer carries the accept key of RFC 6455 and the subprotocol asked for', () => {
  const head = 'GET /ws HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n';
  assert.equal(
    switchingProtocols(head, 'v12.stomp'),
    'HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nsec-websocket-protocol: v12.stomp\r\n\r\n',
  );
  assert.ok(!switchingProtocols(head).includes('sec-websocket-protocol'));
  assert.throws(() => switchingProtocols('GET / HTTP/1.1\r\n\r\n'), /no sec-websocket-key/);
});
