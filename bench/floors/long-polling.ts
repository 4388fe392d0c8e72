import type { FastifyInstance, FastifyReply } from 'fastify';
import type { FloorEvent, FloorLog } from './log.js';

interface Waiter {
  reply: FastifyReply;
  timer: NodeJS.Timeout;
}

/**
 * Long-polling floor: `GET /longpoll/groups/:group?since=N&timeout=MS` answers at once when events
 * after N are kept, else parks the request until the group's next event, lingers LONGPOLL_BATCH_MS
 * and answers every waiter at the head with one body carrying all events since, or at the timeout. Same body shape as short polling.
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
  // Like the product: a woken waiter lingers LONGPOLL_BATCH_MS (0 = end of the turn) and answers with
  // every event after its cursor; the waiters of a group all wait at the same head, so one body fits all.
  const lingerMs = Number(process.env.LONGPOLL_BATCH_MS ?? 50);
  log.listen((group, event) => {
    const set = waiting.get(group);
    if (!set) return;
    waiting.delete(group);
    const flush = () => {
      const events = log.after(group, event.seq - 1);
      let body = '{"events":[';
      for (let i = 0; i < events.length; i++) body += (i === 0 ? '' : ',') + events[i]!.json;
      body += `],"next":${events[events.length - 1]!.seq}}`;
      for (const w of set) w.reply.type('application/json').send(body);
      counters.delivered += events.length * set.size;
      counters.bytes += body.length * set.size;
    };
    for (const w of set) clearTimeout(w.timer);
    if (lingerMs > 0) setTimeout(flush, lingerMs);
    else setImmediate(flush);
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
