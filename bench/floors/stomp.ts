import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { corkForTick, type FloorLog } from './log.js';
// The frame header is a pure codec: the floor shares the product's rather than keeping a copy.
import { wsTextFrameHeader as textFrameHeader } from '../../src/protocol/ws-codec.js';

/** One SUBSCRIBE: its socket and its pre-encoded MESSAGE head (command, subscription, destination). */
interface Sub {
  raw: Socket;
  head: Buffer;
}

/** Command, headers (first occurrence wins) and body of one frame; no escaping, no checks. */
function parse(frame: string): { command: string; headers: Map<string, string>; body: string } {
  const blank = frame.indexOf('\n\n');
  const lines = frame.slice(0, blank === -1 ? frame.length : blank).split('\n');
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const colon = lines[i]!.indexOf(':');
    const name = lines[i]!.slice(0, colon);
    if (!headers.has(name)) headers.set(name, lines[i]!.slice(colon + 1));
  }
  return { command: lines[0]!, headers, body: blank === -1 ? '' : frame.slice(blank + 2) };
}

/**
 * STOMP floor (`/stomp`, 1.2 frames over WebSocket): CONNECT (no heart-beats), SUBSCRIBE with
 * `since` and a RECEIPT carrying `seq`, SEND with a RECEIPT carrying the accepted `seq`. Each event's
 * MESSAGE tail (message-id, seq, content headers, body, NUL) is encoded once; per subscriber only the
 * head (`subscription` header) differs, written as corked pieces without a per-recipient copy.
 */
export function stompFloor(log: FloorLog): (ws: WebSocket, user: string) => void {
  const counters = log.countersOf('stomp');
  const groups = new Map<string, Set<Sub>>();
  log.listen((group, event) => {
    const set = groups.get(group);
    if (!set) return;
    const body = Buffer.from(event.json);
    const tail = Buffer.concat([Buffer.from(`message-id:${group}-${event.seq}\nseq:${event.seq}\ncontent-type:application/json\ncontent-length:${body.length}\n\n`), body, NUL]);
    let lastLength = -1;
    let header: Buffer = NUL;
    let bytes = 0;
    for (const sub of set) {
      const length = sub.head.length + tail.length;
      if (length !== lastLength) header = textFrameHeader((lastLength = length));
      corkForTick(sub.raw);
      sub.raw.write(header);
      sub.raw.write(sub.head);
      sub.raw.write(tail);
      bytes += header.length + length;
    }
    counters.delivered += set.size;
    counters.bytes += bytes;
  });
  return (ws, user) => {
    const raw = (ws as unknown as { _socket: Socket })._socket;
    const mine = new Map<string, { set: Set<Sub>; sub: Sub }>();
    ws.on('message', (data: Buffer) => {
      for (const text of data.toString().split('\0')) {
        const frame = text.replace(/^[\r\n]+/, '');
        if (!frame) continue;
        const { command, headers, body } = parse(frame);
        const receipt = headers.get('receipt');
        if (command === 'CONNECT' || command === 'STOMP') ws.send('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0');
        else if (command === 'SUBSCRIBE') {
          const destination = headers.get('destination')!;
          const group = destination.slice('/topic/groups.'.length);
          const id = headers.get('id')!;
          const sub: Sub = { raw, head: Buffer.from(`MESSAGE\nsubscription:${id}\ndestination:${destination}\n`) };
          let set = groups.get(group);
          if (!set) groups.set(group, (set = new Set()));
          set.add(sub);
          mine.set(id, { set, sub });
          if (receipt !== undefined) ws.send(`RECEIPT\nreceipt-id:${receipt}\nseq:${log.head(group)}\n\n\0`);
          const since = headers.get('since');
          if (since !== undefined) {
            const replay = log.after(group, Number(since));
            for (const e of replay) ws.send(`MESSAGE\nsubscription:${id}\ndestination:${destination}\nmessage-id:${group}-${e.seq}\nseq:${e.seq}\ncontent-type:application/json\n\n${e.json}\0`);
            counters.delivered += replay.length;
          }
        } else if (command === 'SEND') {
          const destination = headers.get('destination')!;
          const group = destination.startsWith('/app/groups/') ? destination.slice('/app/groups/'.length) : destination.slice('/topic/groups.'.length);
          const event = log.publish(group, user, JSON.parse(body) as Record<string, unknown>, 'stomp');
          if (receipt !== undefined) ws.send(`RECEIPT\nreceipt-id:${receipt}\nseq:${event.seq}\n\n\0`);
        } else if (command === 'UNSUBSCRIBE') {
          const entry = mine.get(headers.get('id')!);
          entry?.set.delete(entry.sub);
          mine.delete(headers.get('id')!);
          if (receipt !== undefined) ws.send(`RECEIPT\nreceipt-id:${receipt}\n\n\0`);
        } else if (command === 'DISCONNECT') {
          if (receipt !== undefined) ws.send(`RECEIPT\nreceipt-id:${receipt}\n\n\0`);
          ws.close(1000);
        }
      }
    });
    ws.once('close', () => {
      for (const { set, sub } of mine.values()) set.delete(sub);
    });
  };
}

const NUL: Buffer = Buffer.from([0]);
