import type { FastifyInstance } from 'fastify';
import type { FloorLog } from './log.js';

/**
 * Short-polling floor: `GET /poll/groups/:group?since=N` answers at once from the in-memory log with
 * the product's body shape `{"events":[...],"next":M}` (no `since` = from now). Every floor serves
 * it: the bench reads group heads with a cursor-less poll whatever the transport.
 */
export function shortPollingFloor(app: FastifyInstance, log: FloorLog): void {
  const counters = log.countersOf('short-polling');
  app.get<{ Params: { group: string }; Querystring: { since?: string } }>('/poll/groups/:group', async (request, reply) => {
    const { group } = request.params;
    const since = request.query.since;
    const events = since === undefined ? [] : log.after(group, Number(since));
    let body = '{"events":[';
    for (let i = 0; i < events.length; i++) body += (i === 0 ? '' : ',') + events[i]!.json;
    body += `],"next":${events.length ? events[events.length - 1]!.seq : log.head(group)}}`;
    counters.delivered += events.length;
    counters.bytes += body.length;
    return reply.type('application/json').send(body);
  });
}
