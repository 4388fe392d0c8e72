/**
 * The demo page's five browser clients, one per transport, behind one small interface: each opens a
 * subscription from a cursor, hands every event to the page, and publishes on its own wire where it has
 * one (WebSocket op, STOMP SEND) or over HTTP. `fetch` for short and long polling, `EventSource` for SSE,
 * `WebSocket`, and @stomp/stompjs's `Client` for STOMP.
 */
import { Client, type IMessage } from '@stomp/stompjs';
import { utf8Length } from './stats.js';

/** The five transports, in the order the page lists them. */
export const TRANSPORTS = ['websocket', 'stomp', 'sse', 'long-polling', 'short-polling'] as const;
export type TransportName = (typeof TRANSPORTS)[number];

/** An event as every transport carries it. */
export interface ArenaEvent {
  seq: number;
  group: string;
  type: 'location' | 'chat';
  user: string;
  at: number;
  sentAt?: number;
  data: { lat: number; lng: number; accuracy?: number; heading?: number; speed?: number } & { text: string; clientId?: string };
}

/** A publish command (the same body on every transport). */
export type PublishCommand =
  | { type: 'chat'; text: string; clientId?: string; sentAt?: number }
  | { type: 'location'; lat: number; lng: number; accuracy?: number; heading?: number; speed?: number; sentAt?: number };

/** Where and as whom a client connects. */
export interface ConnectOptions {
  group: string;
  user: string;
  /** A token when the server has AUTH_SECRET; empty when auth is off. */
  token: string;
  /** The page's cursor: read at every (re)subscribe, so a reconnect resumes from the latest seq. */
  cursor: () => number;
}

/** What a client reports to the page. Nothing is called after `close()`. */
export interface ClientHandlers {
  event(event: ArenaEvent): void;
  /** Bytes of a message or response body as the browser API exposes it (headers and framing it hides are not counted). */
  bytes(n: number): void;
  /** A line for the status hint: ok = working, info = neutral, bad = an error or a lost connection. */
  status(text: string, tone: 'ok' | 'info' | 'bad'): void;
  /** The server said history was cut: events before the next one are gone (a counted gap follows). */
  truncated(): void;
}

/** An open subscription on one transport. */
export interface TransportClient {
  readonly name: TransportName;
  /** Publishes over this transport's own wire when it has one and is open, else over HTTP; resolves with the seq. */
  publish(command: PublishCommand): Promise<number>;
  /** Stops for good: no reconnect, no more handler calls. */
  close(): void;
}

const RECONNECT_MS = [500, 1000, 2000, 5000, 10_000];
const enc = encodeURIComponent;

function wsOrigin(): string {
  return location.origin.replace(/^http/, 'ws');
}

/** Query string naming the user (auth off) or carrying the token (where a header cannot be set). */
function identity(options: ConnectOptions, tokenInQuery: boolean): URLSearchParams {
  const q = new URLSearchParams();
  if (options.token && tokenInQuery) q.set('access_token', options.token);
  else if (!options.token) q.set('user', options.user);
  return q;
}

function authHeaders(options: ConnectOptions): Record<string, string> {
  return options.token ? { authorization: `Bearer ${options.token}` } : {};
}

/** `{error:{code,message}}` of an HTTP answer as one line. */
async function errorLine(response: Response): Promise<string> {
  try {
    const body = (await response.json()) as { error?: { code: string; message: string } };
    if (body.error) return `${body.error.code}: ${body.error.message}`;
  } catch {
    // not the error shape
  }
  return `HTTP ${response.status}`;
}

/** Publishes over HTTP (`POST /groups/:group/events`); the token goes as a Bearer header. */
export async function publishHttp(options: ConnectOptions, command: PublishCommand): Promise<number> {
  const q = identity(options, false);
  const response = await fetch(`/groups/${enc(options.group)}/events?${q}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...authHeaders(options) },
    body: JSON.stringify(command),
  });
  if (!response.ok) throw new Error(await errorLine(response));
  return ((await response.json()) as { seq: number }).seq;
}

/** Wraps handlers so none runs once the client is closed (a late message from a closing socket is dropped). */
function guarded(handlers: ClientHandlers, isClosed: () => boolean): ClientHandlers {
  return {
    event: (e) => isClosed() || handlers.event(e),
    bytes: (n) => isClosed() || handlers.bytes(n),
    status: (t, tone) => isClosed() || handlers.status(t, tone),
    truncated: () => isClosed() || handlers.truncated(),
  };
}

function sizeOf(data: unknown): number {
  if (typeof data === 'string') return utf8Length(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}

function websocket(options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  let closed = false;
  let ws: WebSocket | null = null;
  let attempt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let refs = 0;
  const pending = new Map<string, { resolve: (seq: number) => void; reject: (err: Error) => void }>();
  const h = guarded(handlers, () => closed);

  const open = () => {
    const socket = new WebSocket(`${wsOrigin()}/ws?${identity(options, true)}`);
    ws = socket;
    socket.onopen = () => {
      attempt = 0;
      // `since` is a number on the wire: a string is refused as invalid_cursor.
      socket.send(JSON.stringify({ op: 'subscribe', group: options.group, since: options.cursor() }));
    };
    socket.onmessage = (m: MessageEvent) => {
      h.bytes(sizeOf(m.data));
      const op = JSON.parse(String(m.data)) as { op: string; event?: ArenaEvent; seq?: number; truncated?: boolean; code?: string; message?: string; ref?: string };
      if (op.op === 'event') h.event(op.event!);
      else if (op.op === 'subscribed') {
        if (op.truncated) h.truncated();
        h.status(`subscribed; server at seq ${op.seq}, resumed after seq ${options.cursor()}`, 'ok');
      } else if (op.op === 'ack' && op.ref) pending.get(op.ref)?.resolve(op.seq!);
      else if (op.op === 'error') {
        if (op.ref && pending.has(op.ref)) pending.get(op.ref)!.reject(new Error(`${op.code}: ${op.message}`));
        else h.status(`${op.code}: ${op.message}`, 'bad');
      }
      if (op.ref) pending.delete(op.ref);
    };
    socket.onclose = (e: CloseEvent) => {
      for (const p of pending.values()) p.reject(new Error('connection closed'));
      pending.clear();
      if (closed) return;
      const wait = RECONNECT_MS[Math.min(attempt++, RECONNECT_MS.length - 1)]!;
      h.status(`connection lost (close ${e.code}${e.reason ? ` ${e.reason}` : ''}); reconnecting in ${wait / 1000} s from seq ${options.cursor()}`, 'bad');
      timer = setTimeout(open, wait);
    };
  };
  open();
  return {
    name: 'websocket',
    publish(command) {
      if (!ws || ws.readyState !== WebSocket.OPEN) return publishHttp(options, command);
      const ref = `r${++refs}`;
      const socket = ws;
      return new Promise<number>((resolve, reject) => {
        pending.set(ref, { resolve, reject });
        socket.send(JSON.stringify({ op: 'publish', group: options.group, event: command, ref }));
      });
    },
    close() {
      closed = true;
      clearTimeout(timer);
      ws?.close(1000, 'client left');
    },
  };
}

function stomp(options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  let closed = false;
  let receipts = 0;
  const h = guarded(handlers, () => closed);
  const client = new Client({
    brokerURL: `${wsOrigin()}/stomp?${identity(options, false)}`,
    // The token is the CONNECT passcode (the login is ignored by the server: the token names the user).
    connectHeaders: options.token ? { login: options.user, passcode: options.token } : {},
    reconnectDelay: 1000,
    heartbeatIncoming: 10_000,
    heartbeatOutgoing: 10_000,
    debug: () => {},
  });
  client.webSocketFactory = () => {
    const socket = new WebSocket(client.brokerURL!, ['v12.stomp', 'v11.stomp', 'v10.stomp']);
    socket.addEventListener('message', (m: MessageEvent) => h.bytes(sizeOf(m.data)));
    return socket;
  };
  client.onConnect = () => {
    const since = options.cursor();
    const receipt = `sub-${++receipts}`;
    client.watchForReceipt(receipt, (frame) => {
      if (frame.headers.truncated === 'true') h.truncated();
      h.status(`subscribed; server at seq ${frame.headers.seq}, resumed after seq ${since}`, 'ok');
    });
    client.subscribe(
      `/topic/groups.${options.group}`,
      (m: IMessage) => h.event(JSON.parse(m.body) as ArenaEvent),
      { since: String(since), receipt },
    );
  };
  client.onStompError = (frame) => h.status(`${frame.headers.message}: ${frame.body}`, 'bad');
  client.onWebSocketClose = (e: CloseEvent) => {
    if (!closed) h.status(`connection lost (close ${e.code}); reconnecting from seq ${options.cursor()}`, 'bad');
  };
  client.activate();
  return {
    name: 'stomp',
    publish(command) {
      if (!client.connected) return publishHttp(options, command);
      const receipt = `send-${++receipts}`;
      return new Promise<number>((resolve) => {
        client.watchForReceipt(receipt, (frame) => resolve(Number(frame.headers.seq)));
        client.publish({ destination: `/app/groups/${options.group}`, body: JSON.stringify(command), headers: { 'content-type': 'application/json', receipt } });
      });
    },
    close() {
      closed = true;
      void client.deactivate();
    },
  };
}

function sse(options: ConnectOptions, handlers: ClientHandlers): TransportClient {
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

function polling(name: 'short-polling' | 'long-polling', options: ConnectOptions, handlers: ClientHandlers): TransportClient {
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

/** Opens a subscription on `name` from `options.cursor()`. */
export function connect(name: TransportName, options: ConnectOptions, handlers: ClientHandlers): TransportClient {
  switch (name) {
    case 'websocket':
      return websocket(options, handlers);
    case 'stomp':
      return stomp(options, handlers);
    case 'sse':
      return sse(options, handlers);
    case 'long-polling':
    case 'short-polling':
      return polling(name, options, handlers);
  }
}
