import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance } from 'fastify';
import { WebSocketServer, type WebSocket } from 'ws';
import { FloorLog } from './log.js';
import { longPollingFloor } from './long-polling.js';
import { shortPollingFloor } from './short-polling.js';
import { sseFloor } from './sse.js';
import { stompFloor } from './stomp.js';
import { websocketFloor } from './websocket.js';

/**
 * The floor: a minimal reference server per transport that speaks what the bench clients read and
 * does only what the transport needs (accept the publish, encode once, write the same bytes to every
 * subscriber, cork per tick). Bench-only: never part of the product. One process serves every
 * transport's floor; the bench runs it with `bench/floors/main.ts` exactly as it runs the product.
 *
 * Shared routes: `POST /groups/:group/events` (202 `{"seq"}`), `GET /poll/groups/:group` (heads and
 * short polling), `/readyz`, `/healthz`, and `/metrics` with the counters the bench's accounting reads.
 */
export async function buildFloor(): Promise<FastifyInstance> {
  const log = new FloorLog();
  const app = Fastify({ logger: false });
  app.get('/readyz', async () => ({ ok: true }));
  app.get('/healthz', async () => ({ ok: true }));
  app.get('/metrics', async (_request, reply) => reply.type('text/plain').send(log.metrics()));
  app.post<{ Params: { group: string }; Querystring: { user?: string }; Body: Record<string, unknown> }>('/groups/:group/events', async (request, reply) => {
    const event = log.publish(request.params.group, request.query.user ?? 'anonymous', request.body, 'http');
    return reply.code(202).type('application/json').send(`{"seq":${event.seq}}`);
  });
  shortPollingFloor(app, log);
  longPollingFloor(app, log);
  sseFloor(app, log);

  const endpoints: Record<string, { wss: WebSocketServer; accept: (ws: WebSocket, user: string) => void }> = {
    '/ws': { wss: new WebSocketServer({ noServer: true, perMessageDeflate: false }), accept: websocketFloor(log) },
    '/stomp': {
      wss: new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: (offered) => (offered.has('v12.stomp') ? 'v12.stomp' : false) }),
      accept: stompFloor(log),
    },
  };
  app.server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? '/', 'http://floor');
    const endpoint = endpoints[url.pathname];
    if (!endpoint) return socket.destroy();
    const user = url.searchParams.get('user') ?? 'anonymous';
    endpoint.wss.handleUpgrade(request, socket, head, (ws) => endpoint.accept(ws, user));
  });
  app.addHook('onClose', async () => {
    for (const { wss } of Object.values(endpoints)) {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
    }
  });
  return app;
}
