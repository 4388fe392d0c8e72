/**
 * What one idle connection holds in the server's JS heap, by constructor: builds the app in this
 * process, has a child process open N connections of one transport (subscribed, then idle), and
 * diffs two heap snapshots (before / while held, each after a full GC). Development aid, not a bench
 * scenario (the `capacity` scenario measures RSS per connection):
 *
 *   node --expose-gc --import tsx bench/tools/conn-heap.ts websocket|sse|stomp [N=1000] [--top 30] [--floor] [--retainers]
 *
 * `--bare` (websocket only) serves a bare `ws` server on a plain `http.Server` instead (what
 * bench/tools/bare-conn-rss.ts measures as `ws`), the baseline of what ws and Node hold themselves;
 * `--lean` the leanest ws configuration found without replacing ws (bare-conn-rss.ts `ws-lean`: no
 * client registry, no auto-pong, one shared extensions object, shared listeners).
 * `--retainers` keys each row by what first holds the node too (`Object <- WritableState.buffered`),
 * to tell which of many anonymous objects and arrays a connection adds.
 *
 * `--floor` builds the floor server (bench/floors/) instead of the product, for the same breakdown of
 * what the minimal server holds.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { WebSocket, WebSocketServer } from 'ws';
import { buildApp } from '../../src/app.js';
import { buildFloor } from '../floors/index.js';

const transport = process.argv[2] ?? 'websocket';
const n = Number(process.argv[3] ?? 1000);
const topAt = process.argv.indexOf('--top');
const top = topAt === -1 ? 30 : Number(process.argv[topAt + 1]);
const floor = process.argv.includes('--floor');
const byRetainer = process.argv.includes('--retainers');
const lean = process.argv.includes('--lean');
const bare = lean || process.argv.includes('--bare');

type Totals = Map<string, { count: number; bytes: number }>;

/** Self sizes by node name (constructor for objects, "(closure) name" for functions, type otherwise). */
function census(): Totals {
  const snapshot = JSON.parse(readAll(v8.getHeapSnapshot())) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
    nodes: number[];
    edges: number[];
    strings: string[];
  };
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const [typeAt, nameAt, sizeAt, edgeCountAt] = ['type', 'name', 'self_size', 'edge_count'].map((f) => fields.indexOf(f));
  const nameOf = (i: number): string => {
    const type = types[snapshot.nodes[i + typeAt!]!]!;
    return type === 'object' || type === 'native' ? snapshot.strings[snapshot.nodes[i + nameAt!]!]! : type === 'closure' ? `(closure) ${snapshot.strings[snapshot.nodes[i + nameAt!]!]}` : `(${type})`;
  };
  // First non-weak retainer of each node (by node offset), as "name.edge".
  const retainer = new Map<number, string>();
  if (byRetainer) {
    const edgeFields = snapshot.snapshot.meta.edge_fields;
    const edgeTypes = snapshot.snapshot.meta.edge_types[0];
    const ew = edgeFields.length;
    const [etAt, enAt, toAt] = ['type', 'name_or_index', 'to_node'].map((f) => edgeFields.indexOf(f));
    let e = 0;
    for (let i = 0; i < snapshot.nodes.length; i += width) {
      const count = snapshot.nodes[i + edgeCountAt!]!;
      for (let k = 0; k < count; k++, e += ew) {
        const et = edgeTypes[snapshot.edges[e + etAt!]!]!;
        if (et === 'weak' || et === 'shortcut') continue;
        const to = snapshot.edges[e + toAt!]!;
        if (retainer.has(to)) continue;
        const en = snapshot.edges[e + enAt!]!;
        const edge = et === 'element' || et === 'hidden' ? '[]' : snapshot.strings[en]!; // indexes would split a row
        retainer.set(to, `${nameOf(i)}.${edge}`);
      }
    }
  }
  const totals: Totals = new Map();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const name = byRetainer ? `${nameOf(i)} <- ${retainer.get(i) ?? '(root)'}` : nameOf(i);
    const entry = totals.get(name) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt!]!;
    totals.set(name, entry);
  }
  return totals;
}

function readAll(stream: NodeJS.ReadableStream & { read(): Buffer | null }): string {
  const chunks: Buffer[] = [];
  for (let chunk = stream.read(); chunk !== null; chunk = stream.read()) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const settle = async () => {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setTimeout(r, 100));
  }
};

// The child opens the connections and keeps them until stdin closes.
const CLIENT = `
const net = require('node:net');
const [port, transport, n] = process.argv.slice(1); let open = 0; const socks = [];
function done() { if (++open === Number(n)) process.stdout.write('ready\\n'); }
for (let i = 0; i < Number(n); i++) {
  const s = net.connect(Number(port), '127.0.0.1'); socks.push(s); s.setNoDelay(true);
  let got = '';
  s.on('data', (d) => {
    got += d.toString('latin1');
    if (transport === 'sse') { if (got.includes('retry:')) { got = ''; done(); } return; }
    if (got.includes('\\r\\n\\r\\n') && !s.upgraded) {
      s.upgraded = true;
      const send = (t) => { const p = Buffer.from(t); const h = Buffer.from([0x81, 0x80 | p.length, 0, 0, 0, 0]); s.write(Buffer.concat([h, p])); };
      if (transport === 'websocket') send('{"op":"subscribe","group":"g' + (i % 100) + '"}');
      else { send('CONNECT\\naccept-version:1.2\\nheart-beat:10000,10000\\n\\n\\0'); send('SUBSCRIBE\\nid:sub-0\\ndestination:/topic/groups.g' + (i % 100) + '\\nreceipt:r\\n\\n\\0'); }
    }
    if (s.upgraded && (got.includes('subscribed') || got.includes('RECEIPT')) && !s.ok) { s.ok = true; done(); }
  });
  if (transport === 'sse') s.write('GET /sse/groups/g' + (i % 100) + ' HTTP/1.1\\r\\nhost: x\\r\\naccept: text/event-stream\\r\\n\\r\\n');
  else s.write('GET /' + (transport === 'stomp' ? 'stomp' : 'ws') + ' HTTP/1.1\\r\\nhost: x\\r\\nupgrade: websocket\\r\\nconnection: Upgrade\\r\\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nsec-websocket-version: 13\\r\\n' + (transport === 'stomp' ? 'sec-websocket-protocol: v12.stomp\\r\\n' : '') + '\\r\\n');
}
process.stdin.on('end', () => process.exit(0)); process.stdin.resume();
`;

const NO_EXTENSIONS = Object.freeze({});
/** bare-conn-rss.ts's `ws-lean` socket: one frozen extensions object shared by all. */
class LeanWebSocket extends WebSocket {
  constructor(...args: unknown[]) {
    super(...(args as [null]));
    (this as unknown as { _extensions: object })._extensions = NO_EXTENSIONS;
  }
}
function answerSubscribe(this: WebSocket): void {
  this.send('{"op":"subscribed"}');
}
function answerPing(this: WebSocket, data: Buffer): void {
  if (this.readyState === WebSocket.OPEN) this.pong(data);
}
function ignoreError(): void {}

/** A bare ws server that answers the client's subscribe, holding nothing of its own per connection. */
async function bareWs(): Promise<{ server: http.Server; close(): Promise<void> }> {
  const server = http.createServer();
  const wss = lean
    ? new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, autoPong: false, WebSocket: LeanWebSocket })
    : new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => {
    if (lean) {
      ws.on('message', answerSubscribe);
      ws.on('ping', answerPing);
      ws.on('error', ignoreError);
      return;
    }
    ws.on('message', () => ws.send('{"op":"subscribed"}'));
    ws.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: async () => {
      // Without a registry (--lean) the sockets end when the client child exits, before this runs.
      for (const ws of wss.clients ?? []) ws.terminate();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const app = bare ? await bareWs() : floor ? await buildFloor() : await buildApp({ logLevel: 'warn', maxConnectionsPerIp: 1_000_000 });
if (!bare) await (app as Awaited<ReturnType<typeof buildApp>>).listen({ port: 0, host: '127.0.0.1' });
const { port } = app.server.address() as { port: number };
// Warm the paths once so lazily created shared state is in the baseline, not counted per connection.
await settle();
// The baseline waits in a file: held in memory, its own keys would be counted in the second census.
const beforeFile = path.join(os.tmpdir(), `conn-heap-${process.pid}.json`);
fs.writeFileSync(beforeFile, JSON.stringify([...census()]));
await settle();
const rssBefore = process.memoryUsage.rss();
const child = spawn(process.execPath, ['-e', CLIENT, String(port), transport, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
await new Promise<void>((resolve) => child.stdout!.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
await settle();
const rssHeld = process.memoryUsage.rss();
const held = census();
const before: Totals = new Map(JSON.parse(fs.readFileSync(beforeFile, 'utf8')) as [string, { count: number; bytes: number }][]);
fs.unlinkSync(beforeFile);
const rows = [...held].map(([name, h]) => {
  const b = before.get(name) ?? { count: 0, bytes: 0 };
  return { name, count: (h.count - b.count) / n, bytes: (h.bytes - b.bytes) / n };
});
rows.sort((a, b) => b.bytes - a.bytes);
const total = rows.reduce((s, r) => s + r.bytes, 0);
console.log(`${transport}${lean ? ' (lean ws)' : bare ? ' (bare ws)' : floor ? ' (floor)' : ''}: ${n} connections, JS heap self size per connection ${total.toFixed(0)} B; RSS per connection ${((rssHeld - rssBefore) / n).toFixed(0)} B`);
for (const r of rows.slice(0, top)) console.log(`${r.bytes.toFixed(0).padStart(7)} B  ${r.count.toFixed(2).padStart(6)} x  ${r.name}`);
child.stdin!.end();
await app.close();
process.exit(0);
