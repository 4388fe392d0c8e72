/**
 * The domain's data shapes: the one event every transport reads and writes, the publish command,
 * the snapshot, and the closed union of transport names used verbatim in metrics, tests, bench and k6.
 */

/**
 * The transports compared side by side (`stomp-relay` is STOMP backed by an external broker, served
 * only when STOMP_RELAY_URL is set). The same strings label metrics, tests, bench and k6.
 */
export const TRANSPORTS = ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp', 'stomp-relay'] as const;
/** One of the transports. */
export type TransportName = (typeof TRANSPORTS)[number];
/** Where a publish came from: a transport, or a plain HTTP `POST /groups/:group/events`. */
export type PublishSource = TransportName | 'http';

/** Payload of a `location` event. */
export interface LocationData {
  /** Latitude in degrees, [-90, 90]. */
  lat: number;
  /** Longitude in degrees, [-180, 180]. */
  lng: number;
  /** Accuracy in metres, >= 0. */
  accuracy?: number;
  /** Heading in degrees, [0, 360). */
  heading?: number;
  /** Speed in m/s, >= 0. */
  speed?: number;
}

/** Payload of a `chat` event. */
export interface ChatData {
  /** 1..1000 code points. */
  text: string;
  /** Client-chosen id, for the sender to match its own message. */
  clientId?: string;
}

interface EventBase {
  /** Per-group sequence number assigned by the broker: starts at 1, rises by exactly 1. The cursor. */
  seq: number;
  /** The group id. */
  group: string;
  /** The publishing user. */
  user: string;
  /** Server accept time, ms since epoch. */
  at: number;
  /** Publisher's send time, copied when given (for end-to-end latency). */
  sentAt?: number;
}

/** The event, one JSON shape on every transport. */
export type RtEvent =
  | (EventBase & { type: 'location'; data: LocationData })
  | (EventBase & { type: 'chat'; data: ChatData });

/** An event before the broker has given it a `seq`. */
export type EventDraft = RtEvent extends infer E ? (E extends RtEvent ? Omit<E, 'seq'> : never) : never;

/** The publish command body, the same on every transport. */
export type PublishCommand =
  | ({ type: 'location'; user?: string; sentAt?: number } & LocationData)
  | ({ type: 'chat'; user?: string; sentAt?: number } & ChatData);

/**
 * An event with its JSON serialized once, plus per-transport encodings that each transport fills
 * lazily the first time it writes the event, so every recipient of a transport reuses the same bytes.
 */
export class EncodedEvent {
  /** Encoded SSE block (`id`/`event`/`data`). */
  sse: Buffer | undefined = undefined;
  /** The SSE block as one HTTP/1.1 chunk (size line, block, CRLF), for streams written chunk by chunk. */
  sseChunk: Buffer | undefined = undefined;
  /** Encoded WebSocket frame (header included) carrying `{"op":"event","event":...}`. */
  websocket: Buffer | undefined = undefined;
  /** Long-poll body answering with just this event (`{"events":[e],"next":seq}`), the same for every waiter. */
  longPoll: string | undefined = undefined;
  /** STOMP MESSAGE frame after the per-subscription headers (`message-id`, `seq`, body, NUL). */
  stomp: Buffer | undefined = undefined;
  /** The (interned) per-subscription MESSAGE head that `stompFrame` was built for. */
  stompHead: Buffer | undefined = undefined;
  /** A whole WebSocket frame carrying the MESSAGE for `stompHead`: one shared write per subscriber with that head. */
  stompFrame: Buffer | undefined = undefined;
  /**
   * When the Hub handed the event to its subscribers (ms since epoch): read once per fan-out (and
   * per replay) instead of once per delivery; transports use it for the accept -> write latency.
   */
  handedAt = 0;

  /**
   * @param event the event
   * @param json `JSON.stringify(event)`, done once per process
   */
  constructor(
    readonly event: RtEvent,
    readonly json: string,
  ) {}

  /** Encodes an event (the one place that serializes it). */
  static of(event: RtEvent): EncodedEvent {
    return new EncodedEvent(event, JSON.stringify(event));
  }
}

/** A read of a group's history at a cursor. */
export interface HistoryRead {
  /** Events after the cursor, oldest first. */
  events: EncodedEvent[];
  /** The group's current seq (0 for a group with no events). */
  head: number;
  /** True when events after the cursor were cut from history (or the cursor was ahead of head). */
  truncated: boolean;
}

/** The group snapshot (`GET /groups/:group/snapshot`). */
export interface Snapshot {
  /** The group id. */
  group: string;
  /** The group's current seq. */
  seq: number;
  /** Latest location event per user. */
  members: RtEvent[];
  /** Last 50 chat events, oldest first. */
  chat: RtEvent[];
  /** Users subscribed on this instance, with their transport. */
  online: { user: string; transport: TransportName }[];
}
