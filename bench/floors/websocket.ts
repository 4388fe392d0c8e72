import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { corkForTick, type FloorLog } from './log.js';
// The frame header is a pure codec: the floor shares the product's rather than keeping a copy.
import { wsTextFrameHeader as textFrameHeader } from '../../src/protocol/ws-codec.js';

/** A subscribed connection: the ws object (for replies) and its raw socket (for event frames). */
interface Peer {
  ws: WebSocket;
  raw: Socket;
}

/**
 * WebSocket floor (`/ws`, the product's JSON ops): subscribe, publish (acked), ping. Each event is
 * framed once (header + `{"op":"event","event":...}`) and the same Buffer is written to every
 * subscriber's socket, corked per tick.
 */
export function websocketFloor(log: FloorLog): (ws: WebSocket, user: string) => void {
  const counters = log.countersOf('websocket');
  const groups = new Map<string, Set<Peer>>();
  log.listen((group, event) => {
    const set = groups.get(group);
    if (!set) return;
    const payload = Buffer.from(`{"op":"event","event":${event.json}}`);
    const frame = Buffer.concat([textFrameHeader(payload.length), payload]);
    for (const peer of set) {
      corkForTick(peer.raw);
      peer.raw.write(frame);
    }
    counters.delivered += set.size;
    counters.bytes += frame.length * set.size;
  });
  return (ws, user) => {
    const peer: Peer = { ws, raw: (ws as unknown as { _socket: Socket })._socket };
    const mine = new Set<Set<Peer>>();
    ws.on('message', (data: Buffer) => {
      const op = JSON.parse(data.toString()) as { op: string; group: string; since?: number; ref?: unknown; event?: Record<string, unknown> };
      if (op.op === 'publish') {
        const event = log.publish(op.group, user, op.event!, 'websocket');
        ws.send(`{"op":"ack","ref":${JSON.stringify(op.ref ?? null)},"seq":${event.seq}}`);
      } else if (op.op === 'subscribe') {
        let set = groups.get(op.group);
        if (!set) groups.set(op.group, (set = new Set()));
        set.add(peer);
        mine.add(set);
        ws.send(`{"op":"subscribed","group":"${op.group}","seq":${log.head(op.group)}}`);
        if (op.since !== undefined) {
          const replay = log.after(op.group, op.since);
          for (const e of replay) ws.send(`{"op":"event","event":${e.json}}`);
          counters.delivered += replay.length;
        }
      } else if (op.op === 'ping') ws.send('{"op":"pong"}');
    });
    ws.once('close', () => {
      for (const set of mine) set.delete(peer);
    });
  };
}
