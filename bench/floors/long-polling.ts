import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FloorEvent, FloorLog } from './log.js';

interface Waiter {
  reply: FastifyReply;
  timer: NodeJS.Timeout;
}

/**
 * Long-polling floor: `GET /longpoll/groups/:group?since=N&timeout=MS` answers at once when events
 * after N are kept, else parks the request until the group's next event (one body encoded per
 * event for every waiter at the head) or the timeout. Same body shape as short polling.
 */
export function longPollingFloor(app: FastifyInstance, log: FloorLog): void {
  const counters = log.countersOf('long-polling');
  const waiting = new Map<string, Set<Waiter>>();
  const answer = (reply: FastifyReply, events: readonly FloorEvent[], next: number) => {
    let body = '{"events":[';
    for (let i = 0; i < events.length; i++) body += (i === 0 ? '' : ',') + events[i]!.json;
    body += `],"next":${next}}`;
    counters.delivered += events.length;
    counters.bytes += body.length;
    reply.type('application/json').send(body);
  };
  log.listen((group, event) => {
    const set = waiting.get(group);
    if (!set) return;
    waiting.delete(group);
    const body = `{"events":[${event.json}],"next":${event.seq}}`;
    for (const w of set) {
      clearTimeout(w.timer);
      w.reply.type('application/json').send(body);
    }
    counters.delivered += set.size;
    counters.bytes += body.length * set.size;
  });
  app.get<{ Params: { group: string }; Querystring: { since?: string; timeout?: string } }>('/longpoll/groups/:group', (request, reply) => {
    const { group } = request.params;
    const since = Number(request.query.since ?? log.head(group));
    const events = log.after(group, since);
    if (events.length) return answer(reply, events, events[events.length - 1]!.seq);
    let set = waiting.get(group);
    if (!set) waiting.set(group, (set = new Set()));
    const waiter: Waiter = {
      reply,
      timer: setTimeout(() => {
        set.delete(waiter);
        answer(reply, [], log.head(group));
      }, Math.min(Number(request.query.timeout ?? 25_000), 60_000)),
    };
    set.add(waiter);
    reply.raw.once('close', () => {
      clearTimeout(waiter.timer);
      set.delete(waiter);
    });
  });
}
