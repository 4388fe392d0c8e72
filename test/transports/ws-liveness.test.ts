import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { checkLiveness, type LivenessMember } from '../../transports/ws-liveness.js';

/** A member whose peer "sends" by raising bytesRead; records pings and the death. */
function member(): LivenessMember & { raw: { bytesRead: number }; pings: number; dead: number; sent: number } {
  const m = {
    raw: { bytesRead: 100 } as unknown as Socket & { bytesRead: number },
    socket: { ping: () => void m.pings++ } as unknown as WebSocket,
    readAtPing: -1,
    pings: 0,
    dead: 0,
    sent: 0,
    deadPeer: () => void m.dead++,
    pinged: (bytes: number) => void (m.sent += bytes),
  };
  return m;
}

test('the first check pings; a peer that sent anything since the last ping is pinged again', () => {
  const m = member();
  checkLiveness(m);
  assert.equal(m.pings, 1);
  assert.equal(m.readAtPing, 100);
  m.raw.bytesRead += 6; // a masked pong
  checkLiveness(m);
  assert.equal(m.pings, 2);
  m.raw.bytesRead += 40; // any frame counts
  checkLiveness(m);
  assert.equal(m.pings, 3);
  assert.equal(m.dead, 0);
  assert.equal(m.sent, 6, 'two header bytes per ping');
});

test('a peer silent since the last ping is declared dead, not pinged', () => {
  const m = member();
  checkLiveness(m);
  checkLiveness(m);
  assert.equal(m.dead, 1);
  assert.equal(m.pings, 1);
});
