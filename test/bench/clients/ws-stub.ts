// A WebSocket server stub for the bench clients' tests: answers the upgrade, replies to the client's
// first frames with the given replies, then writes the given bytes in pieces, each in its own TCP
// write with a pause between, so the client sees frames split across reads and several per read.
import net from 'node:net';
import { switchingProtocols } from '../../../bench/ws-handshake.js';
import type { ClientContext, BenchClient } from '../../../bench/clients/types.js';

export interface Stub {
  port: number;
  close(): Promise<void>;
}

/**
 * @param replies answers to the client's frames, in order (one per client frame that arrives)
 * @param stream bytes written after the last reply
 * @param cuts byte offsets at which `stream` is split into separate writes
 */
export function wsStub(protocol: string | undefined, replies: Buffer[], stream: Buffer, cuts: number[]): Promise<Stub> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(true);
    let head = '';
    let upgraded = false;
    let answered = 0;
    socket.on('data', async (chunk) => {
      if (!upgraded) {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        upgraded = true;
        socket.write(switchingProtocols(head, protocol));
        return;
      }
      if (answered >= replies.length) return;
      socket.write(replies[answered++]!);
      if (answered < replies.length) return;
      let from = 0;
      for (const cut of [...cuts, stream.length]) {
        await new Promise((r) => setTimeout(r, 5));
        if (socket.destroyed) return;
        socket.write(stream.subarray(from, cut));
        from = cut;
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => sockets.delete(socket));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => {
          for (const s of sockets) s.destroy();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

/** A client context that records what the client reports. */
export function recordingContext(port: number) {
  const events: [number, number][] = [];
  const errors: string[] = [];
  let resolveCount: (() => void) | undefined;
  let want = Infinity;
  const ctx: ClientContext = {
    target: { host: '127.0.0.1', port },
    wsBase: `ws://127.0.0.1:${port}`,
    pool: undefined as never, // the WebSocket clients publish over their own connection
    stompHeartbeatMs: 0,
    now: () => performance.timeOrigin + performance.now(),
    onEvent(_client: BenchClient, seq: number, sentAt: number) {
      events.push([seq, sentAt]);
      if (events.length >= want) resolveCount?.();
    },
    onError(_client: BenchClient, code: string) {
      errors.push(code);
    },
    onPoll() {},
  };
  /** Resolves once `n` events arrived (or rejects after `ms`). */
  const until = (n: number, ms = 5000) =>
    new Promise<void>((resolve, reject) => {
      want = n;
      if (events.length >= n) return resolve();
      resolveCount = resolve;
      setTimeout(() => reject(new Error(`${events.length} of ${n} events`)), ms).unref();
    });
  return { ctx, events, errors, until };
}
