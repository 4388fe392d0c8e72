import type { EncodedEvent } from '../domain/events.js';

/**
 * The poll body `{"events":[...],"next":M,"truncated"?:true}`, assembled from each event's JSON as
 * serialized once by the broker, so a poll never re-serializes an event.
 */
export function encodePollBody(events: readonly EncodedEvent[], next: number, truncated: boolean): string {
  let body = '{"events":[';
  for (let i = 0; i < events.length; i++) body += (i === 0 ? '' : ',') + events[i]!.json;
  body += `],"next":${next}`;
  return truncated ? body + ',"truncated":true}' : body + '}';
}

/** The cursor a poll answer hands back: the last event's seq, else the group's head. */
export function nextCursor(events: readonly EncodedEvent[], head: number): number {
  return events.length > 0 ? events[events.length - 1]!.event.seq : head;
}
