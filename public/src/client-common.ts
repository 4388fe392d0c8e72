/**
 * What the demo page's browser clients share: the interface each implements (open a subscription from
 * the page's cursor, hand every event to the page, publish on its own wire where it has one, else over
 * HTTP) and the helpers for identity, auth and HTTP publishing.
 */
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

export const RECONNECT_MS = [500, 1000, 2000, 5000, 10_000];
export const enc = encodeURIComponent;

export function wsOrigin(): string {
  return location.origin.replace(/^http/, 'ws');
}

/** Query string naming the user (auth off) or carrying the token (where a header cannot be set). */
export function identity(options: ConnectOptions, tokenInQuery: boolean): URLSearchParams {
  const q = new URLSearchParams();
  if (options.token && tokenInQuery) q.set('access_token', options.token);
  else if (!options.token) q.set('user', options.user);
  return q;
}

export function authHeaders(options: ConnectOptions): Record<string, string> {
  return options.token ? { authorization: `Bearer ${options.token}` } : {};
}

/** `{error:{code,message}}` of an HTTP answer as one line. */
export async function errorLine(response: Response): Promise<string> {
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
export function guarded(handlers: ClientHandlers, isClosed: () => boolean): ClientHandlers {
  return {
    event: (e) => isClosed() || handlers.event(e),
    bytes: (n) => isClosed() || handlers.bytes(n),
    status: (t, tone) => isClosed() || handlers.status(t, tone),
    truncated: () => isClosed() || handlers.truncated(),
  };
}

export function sizeOf(data: unknown): number {
  if (typeof data === 'string') return utf8Length(data);
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (data instanceof Blob) return data.size;
  return 0;
}

