import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { corkForTick, type FloorLog } from './log.js';

const HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };

/**
 * SSE floor: `GET /sse/groups/:group?since=N` holds the response open; each event is encoded once as
 * `id:`/`event:`/`data:` in one HTTP/1.1 chunk, and the same Buffer is written to every stream's
 * socket, corked per tick (the bench clients speak HTTP/1.1, so responses are chunked).
 */
export function sseFloor(app: FastifyInstance, log: FloorLog): void {
  const counters = log.countersOf('sse');
  const streams = new Map<string, Set<Socket>>();
  log.listen((group, event) => {
    const set = streams.get(group);
    if (!set) return;
    const block = Buffer.from(`id: ${event.seq}\nevent: ${event.type}\ndata: ${event.json}\n\n`);
    const chunk = Buffer.concat([Buffer.from(`${block.length.toString(16)}\r\n`), block, CRLF]);
    for (const socket of set) {
      corkForTick(socket);
      socket.write(chunk);
    }
    counters.delivered += set.size;
    counters.bytes += chunk.length * set.size;
  });
  app.get<{ Params: { group: string }; Querystring: { since?: string } }>('/sse/groups/:group', (request, reply) => {
    const { group } = request.params;
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, HEADERS);
    let first = 'retry: 3000\n\n';
    const since = request.query.since;
    if (since !== undefined) {
      const replay = log.after(group, Number(since));
      for (const e of replay) first += `id: ${e.seq}\nevent: ${e.type}\ndata: ${e.json}\n\n`;
      counters.delivered += replay.length;
    }
    res.write(first);
    const socket = res.socket!;
    let set = streams.get(group);
    if (!set) streams.set(group, (set = new Set()));
    set.add(socket);
    res.once('close', () => {
      set.delete(socket);
      if (set.size === 0 && streams.get(group) === set) streams.delete(group);
    });
  });
}

const CRLF = Buffer.from('\r\n');
