import { createHash } from 'node:crypto';

/**
 * The server's `101 Switching Protocols` answer to a WebSocket upgrade request (RFC 6455 §4.2.2), for
 * the bench's stub servers (bench/tools/gen-cost.ts, the clients' tests).
 * @param requestHead the request's head, up to and including its empty line
 * @param protocol the subprotocol to accept, if any
 */
export function switchingProtocols(requestHead: string, protocol?: string): string {
  const key = /sec-websocket-key: *(\S+)/i.exec(requestHead)?.[1];
  if (key === undefined) throw new Error('not a WebSocket upgrade: no sec-websocket-key');
  const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
  const proto = protocol ? `sec-websocket-protocol: ${protocol}\r\n` : '';
  return `HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${accept}\r\n${proto}\r\n`;
}
