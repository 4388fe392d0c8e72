/** The SSE client (`EventSource`) and the short- and long-polling clients (`fetch`). */
import { utf8Length } from './stats.js';
import { RECONNECT_MS, authHeaders, enc, guarded, identity, publishHttp, type ArenaEvent, type ClientHandlers, type ConnectOptions, type TransportClient } from './client-common.js';

/** SSE: EventSource from `since`; its own reconnects resume by Last-Event-ID. */
export function sse(options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  let closed = false;
  const h = guarded(handlers, () => closed);
  const q = identity(options, true);
  q.set('since', String(options.cursor()));
  // On a dropped stream EventSource reconnects by itself with Last-Event-ID, which the server resumes from.
  const source = new EventSource(`/sse/groups/${enc(options.group)}?${q}`);
  const onEvent = (m: MessageEvent) => {
    h.bytes(utf8Length(String(m.data)));
    h.event(JSON.parse(String(m.data)) as ArenaEvent);
  };
  source.addEventListener('location', onEvent);
  source.addEventListener('chat', onEvent);
  source.addEventListener('truncated', () => h.truncated());
  source.addEventListener('error', (m: Event) => {
    if (m instanceof MessageEvent && typeof m.data === 'string') {
      const body = JSON.parse(m.data) as { code?: string; message?: string };
      h.status(`${body.code}: ${body.message ?? ''}`, 'bad');
    } else if (source.readyState === EventSource.CLOSED) h.status('stream refused by the server (a wrong token or group?)', 'bad');
    else h.status(`stream dropped; the browser reconnects with Last-Event-ID ${options.cursor()}`, 'bad');
  });
  source.onopen = () => h.status(`stream open; resumed after seq ${options.cursor()}`, 'ok');
  return {
    name: 'sse',
    publish: (command) => publishHttp(options, command),
    close() {
      closed = true;
      source.close();
    },
  };
}

/** Short polling (every second) and long polling (25 s waits) with fetch, each from the last `next`. */
export function polling(name: 'short-polling' | 'long-polling', options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  let closed = false;
  const h = guarded(handlers, () => closed);
  const controller = new AbortController();
  const long = name === 'long-polling';
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    controller.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
  void (async () => {
    let cursor = options.cursor();
    let attempt = 0;
    while (!closed) {
      try {
        const q = identity(options, false);
        q.set('since', String(cursor));
        if (long) q.set('timeout', '25000');
        const response = await fetch(`/${long ? 'longpoll' : 'poll'}/groups/${enc(options.group)}?${q}`, { signal: controller.signal, headers: authHeaders(options) });
        const text = await response.text();
        h.bytes(utf8Length(text));
        if (!response.ok) {
          const body = JSON.parse(text) as { error?: { code: string; message: string } };
          h.status(body.error ? `${body.error.code}: ${body.error.message}` : `HTTP ${response.status}`, 'bad');
          if (response.status < 500 && response.status !== 429) return;
          await sleep(RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]!);
          continue;
        }
        attempt = 0;
        const body = JSON.parse(text) as { events: ArenaEvent[]; next: number; truncated?: boolean };
        if (body.truncated) h.truncated();
        for (const event of body.events) h.event(event);
        cursor = body.next;
        h.status(`${long ? 'waiting for events' : 'polling every second'} after seq ${cursor}`, 'ok');
      } catch (err) {
        if (closed) return;
        const wait = RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]!;
        h.status(`request failed (${(err as Error).message}); retrying in ${wait / 1000} s from seq ${cursor}`, 'bad');
        await sleep(wait);
        continue;
      }
      if (!long) await sleep(1000);
    }
  })();
  return {
    name,
    publish: (command) => publishHttp(options, command),
    close() {
      closed = true;
      controller.abort();
    },
  };
}
