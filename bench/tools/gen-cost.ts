/**
 * The load generator's own CPU per received event, without a server or the kernel: real bench
 * clients (opened against a stub that answers the upgrade and the subscribe), then the bytes the
 * server would write fed straight into each connection's frame reader, through the client and the
 * worker's accounting (LoadEngine.onEvent: seq tracker, latency histograms) exactly as a socket
 * read would. What it leaves out, the read syscall and libuv's callback, is the same for any reader.
 *
 *   npx tsx bench/tools/gen-cost.ts [websocket|stomp] [--frames-per-read K] [--events N] [--port P]
 *
 * Prints ns of CPU per event (median of 5 rounds) for one thread. WebSocket frames come from the
 * product's own encoder (src/protocol/ws-codec.ts); STOMP MESSAGE frames from its STOMP codec (head + shared tail).
 */
import net from 'node:net';
import { switchingProtocols } from '../ws-handshake.js';
import { LoadEngine } from '../load/engine.js';
import type { ClientSpec } from '../clients/types.js';
import { SeqTracker } from '../accounting.js';
import { READ_BUFFER } from '../clients/ws-conn.js';
import * as stats from '../load/stats.js';
import * as fastread from '../fastread.js';
import { encodeEventFrame, wsTextFrame } from '../../src/protocol/ws-codec.js';
import { encodeMessageHead, encodeMessageTail } from '../../transports/stomp/codec.js';

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at === -1 ? fallback : Number(args[at + 1]);
};
const transport = (args.find((a) => !a.startsWith('--') && !/^\d+$/.test(a)) ?? 'websocket') as 'websocket' | 'stomp';
const perRead = Math.max(1, flag('--frames-per-read', 1));
const total = Math.min(20_000_000, Math.max(10_000, flag('--events', 2_000_000)));
const port = flag('--port', 9310);
const CLIENTS = 50;
const GROUP = 'g0';

/** One event as the server serializes it (key order of src/domain: seq, group, type, user, at, sentAt, data). */
function eventJson(seq: number, sentAt: number): string {
  return JSON.stringify({ seq, group: GROUP, type: 'chat', user: `u${seq % 300}`, at: Math.floor(sentAt) + 1, sentAt, data: { text: 'x'.repeat(16) } });
}

/** The bytes one subscriber receives for one event, per transport. */
function wire(seq: number, sentAt: number): Buffer {
  const json = eventJson(seq, sentAt);
  if (transport === 'websocket') return wsTextFrame(encodeEventFrame(json));
  if (transport === 'stomp') {
    return wsTextFrame(Buffer.concat([encodeMessageHead('s', `/topic/groups.${GROUP}`, '1.2'), encodeMessageTail(GROUP, seq, json)]));
  }
  throw new Error(`transport ${String(transport)}: websocket or stomp`);
}

/** A stub server: upgrades and answers subscribe / CONNECT / SUBSCRIBE; nothing else. */
function stub(): Promise<net.Server> {
  const server = net.createServer((socket) => {
    let head = '';
    let upgraded = false;
    socket.on('data', (chunk) => {
      if (!upgraded) {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        upgraded = true;
        socket.write(switchingProtocols(head, transport === 'stomp' ? 'v12.stomp' : undefined));
        return;
      }
      // Client frames: 6+ byte header (masked with zeros), one op per frame here.
      const text = chunk.toString('latin1');
      if (text.includes('"op":"subscribe"')) socket.write(wsTextFrame(Buffer.from('{"op":"subscribed","group":"g0","seq":0}')));
      else if (text.includes('CONNECT')) socket.write(wsTextFrame(Buffer.from('CONNECTED\nversion:1.2\nheart-beat:0,0\n\n\0')));
      else if (text.includes('SUBSCRIBE')) socket.write(wsTextFrame(Buffer.from('RECEIPT\nreceipt-id:sub\nseq:0\n\n\0')));
    });
    socket.on('error', () => socket.destroy());
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => resolve(server)));
}

const server = await stub();
const target = { host: '127.0.0.1', port };
const engine = new LoadEngine({ index: 0, stompHeartbeatMs: 0, poolSize: 1, addresses: ['127.0.0.1'] }, target, () => {});
const specs: ClientSpec[] = Array.from({ length: CLIENTS }, (_, id) => ({ id, transport, group: GROUP, user: `u${id}`, role: 'subscriber', localAddress: '127.0.0.1', since: 0 }));
const opened = await engine.openAll(specs, CLIENTS);
if (opened.opened !== CLIENTS) throw new Error(`opened ${opened.opened} of ${CLIENTS}`);

/** Each client's frame reader, reached the way a socket read reaches it. */
type Reader = (buf: Buffer, length: number) => void;
const readers: Reader[] = [...engine.clients.values()].map((client) => {
  // The connection's frame reader (private: what its socket's onread calls with each chunk).
  const conn = (client as unknown as { conn: { onData(b: Buffer, n: number): void } }).conn;
  // As ws-conn.ts's onread callback does (the view: what a read hands over; older readers take only it).
  const clock = (stats as { readClock?: { begin(): void; end(): void } }).readClock;
  return (buf, n) => {
    clock?.begin();
    conn.onData(buf.subarray(0, n), n);
    clock?.end();
  };
});

// Chunks of K consecutive events (the same seqs for every client: each owes every event once).
const chunks: Buffer[] = [];
const seqsPerRound = Math.ceil(total / CLIENTS / perRead) * perRead;
const sentAt = performance.timeOrigin + performance.now();
for (let seq = 1; seq <= seqsPerRound; seq += perRead) {
  chunks.push(Buffer.concat(Array.from({ length: perRead }, (_, i) => wire(seq + i, sentAt + seq / 1000))));
}

const rounds: number[] = [];
for (let round = 0; round < 5; round++) {
  // Every round owes the same seqs again: fresh trackers (the accounting then sees no duplicates).
  for (const client of engine.clients.values()) client.tracker = new SeqTracker(0);
  const before = process.cpuUsage();
  let events = 0;
  for (const chunk of chunks) {
    chunk.copy(READ_BUFFER, 0); // as a socket read does: the bytes land in the shared buffer
    for (const read of readers) read(READ_BUFFER, chunk.length);
    events += perRead * readers.length;
  }
  const used = process.cpuUsage(before);
  rounds.push(((used.user + used.system) * 1000) / events);
}
const tally = [...engine.clients.values()].map((c) => c.tracker!.tally(seqsPerRound));
const bad = tally.filter((t) => t.delivered !== seqsPerRound || t.duplicates !== 0 || t.gaps !== 0);
rounds.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    transport,
    framesPerRead: perRead,
    eventsPerRound: seqsPerRound * CLIENTS,
    nsPerEvent: Math.round(rounds[2]! * 10) / 10,
    rounds: rounds.map((r) => Math.round(r)),
    accountingExact: bad.length === 0,
    readPaths: (fastread as { readPaths?: unknown }).readPaths ?? null,
  }),
);
engine.finish({});
engine.dispose();
server.close();
process.exit(0);
