/**
 * Memory per idle connection of bare Node servers, measured the way the capacity scenario measures
 * the product and the floor (reads at equal steps of connections, each after a full GC once RSS has
 * settled, least-squares slope). It says what Node itself (`net`, `http`) and `ws` cost per
 * connection before any server code of ours or Fastify's:
 *
 *   node --import tsx bench/tools/bare-conn-rss.ts [net|http|ws|ws-lean|all] [N=19700] [--steps 6]
 *
 * - net:  `net.createServer`, each socket held with a no-op `data` listener.
 * - http: `http.createServer`, each request answered with an SSE head and `retry:` and held open
 *         (what an SSE stream costs in Node's HTTP stack).
 * - ws:   `ws` on a plain `http.Server` (`perMessageDeflate: false`), one small text message
 *         received per connection (a subscribe), nothing kept by us beyond the WebSocket.
 * - ws-lean: the same with the leanest ws configuration found without replacing ws:
 *         `clientTracking: false` (no `clients` Set entry and no close closure per socket),
 *         `autoPong: false` with one shared `ping` listener that answers with `pong` (no
 *         per-socket pong-completion closure), and a WebSocket subclass whose sockets share one
 *         frozen empty extensions object.
 * - ws-framing: no ws at all: the upgrade answered by hand on Node's `upgrade` event and RFC 6455
 *         frames read by a minimal reader of our own (one small state object per socket, shared
 *         `data`/`close` listeners; masked client frames, ping → pong, close echoed, text answered).
 *         What a WebSocket framing of our own written onto the net.Socket would hold at least.
 *
 * The server child runs pinned to CPU 0 (like the bench's), the client child on CPU 1. Bounded: N is
 * capped by the open-files limit, each step waits at most 60 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { GcLineReader, jsMemory, rssWithoutYoung, type GcMemory } from '../gc-report.js';
import { fitPerConnection, stepCounts } from '../memory-fit.js';
import { ROOT } from '../server-process.js';

const MODES = ['net', 'http', 'ws', 'ws-lean', 'ws-framing'] as const;
type Mode = (typeof MODES)[number];

const SERVER = `
const net = require('node:net'); const http = require('node:http');
const mode = process.argv[1]; const held = [];
let server;
if (mode === 'net') {
  server = net.createServer((s) => { s.on('data', () => {}); s.on('error', () => {}); });
} else if (mode === 'http') {
  server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    res.write('retry: 3000\\n\\n');
  });
  server.requestTimeout = 0; server.headersTimeout = 0;
} else if (mode === 'ws') {
  const { WebSocketServer } = require(process.argv[2]);
  server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false });
  wss.on('connection', (ws) => { ws.on('message', (d) => { if (d.length && ws.readyState === 1) ws.send('{"op":"subscribed"}'); }); ws.on('error', () => {}); });
} else if (mode === 'ws-framing') {
  const { createHash } = require('node:crypto');
  const kReader = Symbol('frameReader');
  const SUBSCRIBED = Buffer.from('{"op":"subscribed"}');
  const frame = (opcode, payload) => Buffer.concat([Buffer.from([0x80 | opcode, payload.length]), payload]); // < 126 bytes
  // The least a frame reader keeps per socket: bytes of an unfinished frame (null when none).
  class FrameReader { constructor() { this.pending = null; } }
  function onFrameData(chunk) {
    const reader = this[kReader];
    let buf = reader.pending === null ? chunk : Buffer.concat([reader.pending, chunk]);
    reader.pending = null;
    while (buf.length >= 2) {
      const opcode = buf[0] & 0x0f; let len = buf[1] & 0x7f; let at = 2;
      if (len === 126) { if (buf.length < 4) break; len = buf.readUInt16BE(2); at = 4; }
      else if (len === 127) { this.destroy(); return; } // no 64-bit lengths here
      if (buf.length < at + 4 + len) break;
      const mask = buf.subarray(at, at + 4); const payload = Buffer.from(buf.subarray(at + 4, at + 4 + len));
      for (let i = 0; i < len; i++) payload[i] ^= mask[i & 3];
      buf = buf.subarray(at + 4 + len);
      if (opcode === 0x9) this.write(frame(0xa, payload));
      else if (opcode === 0x8) { this.end(frame(0x8, payload.subarray(0, 2))); return; }
      else if ((opcode === 0x1 || opcode === 0x2) && len > 0) this.write(frame(0x1, SUBSCRIBED));
    }
    if (buf.length > 0) reader.pending = Buffer.from(buf);
  }
  function onError() {}
  server = http.createServer();
  server.on('upgrade', (req, socket, head) => {
    const accept = createHash('sha1').update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11').digest('base64');
    socket.write('HTTP/1.1 101 Switching Protocols\\r\\nupgrade: websocket\\r\\nconnection: Upgrade\\r\\nsec-websocket-accept: ' + accept + '\\r\\n\\r\\n');
    socket.setNoDelay(true);
    socket[kReader] = new FrameReader();
    socket.on('data', onFrameData);
    socket.on('error', onError);
    if (head.length > 0) onFrameData.call(socket, head);
  });
} else {
  const { WebSocketServer, WebSocket } = require(process.argv[2]);
  const NO_EXTENSIONS = Object.freeze({});
  class LeanWebSocket extends WebSocket { constructor(...args) { super(...args); this._extensions = NO_EXTENSIONS; } }
  function onMessage(d) { if (d.length && this.readyState === 1) this.send('{"op":"subscribed"}'); }
  function onPing(d) { if (this.readyState === 1) this.pong(d); }
  function onError() {}
  server = http.createServer();
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false, autoPong: false, WebSocket: LeanWebSocket });
  wss.on('connection', (ws) => { ws.on('message', onMessage); ws.on('ping', onPing); ws.on('error', onError); });
}
server.listen(0, '127.0.0.1', () => process.stdout.write('port ' + server.address().port + '\\n'));
`;

// Opens connections in batches on "open K" (stdin) and answers "opened T" once all T are up.
const CLIENT = `
const net = require('node:net');
const [port, mode] = process.argv.slice(1); const socks = []; let open = 0; let want = 0;
function up() { if (++open === want) process.stdout.write('opened ' + open + '\\n'); }
function one() {
  const s = net.connect(Number(port), '127.0.0.1'); socks.push(s); s.setNoDelay(true); s.on('error', () => {});
  if (mode === 'net') { s.on('connect', () => { s.write('x'); up(); }); return; }
  let got = '';
  s.on('data', (d) => {
    if (s.done) return;
    got += d.toString('latin1');
    if (mode === 'http') { if (got.includes('retry:')) { s.done = true; up(); } return; }
    if (!s.upgraded && got.includes('\\r\\n\\r\\n')) {
      s.upgraded = true; got = '';
      const p = Buffer.from('{"op":"subscribe","group":"g"}');
      s.write(Buffer.concat([Buffer.from([0x81, 0x80 | p.length, 0, 0, 0, 0]), p]));
      return;
    }
    if (s.upgraded && got.includes('subscribed')) { s.done = true; up(); }
  });
  if (mode === 'http') s.write('GET /sse HTTP/1.1\\r\\nhost: x\\r\\naccept: text/event-stream\\r\\n\\r\\n');
  else s.write('GET / HTTP/1.1\\r\\nhost: x\\r\\nupgrade: websocket\\r\\nconnection: Upgrade\\r\\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\\r\\nsec-websocket-version: 13\\r\\n\\r\\n');
}
let line = '';
process.stdin.on('data', (d) => {
  line += d; let nl;
  while ((nl = line.indexOf('\\n')) !== -1) {
    const [cmd, k] = line.slice(0, nl).split(' '); line = line.slice(nl + 1);
    if (cmd === 'open') { want += Number(k); let n = Number(k); const batch = () => { for (let i = 0; i < 200 && n > 0; i++, n--) one(); if (n > 0) setTimeout(batch, 5); }; batch(); }
  }
});
process.stdin.on('end', () => process.exit(0));
`;

function lines(child: ChildProcess): (prefix: string, timeoutMs: number) => Promise<string> {
  let buffered = '';
  const waiting: { prefix: string; resolve: (l: string) => void }[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const l = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const i = waiting.findIndex((w) => l.startsWith(w.prefix));
      if (i !== -1) waiting.splice(i, 1)[0]!.resolve(l);
    }
  });
  return (prefix, timeoutMs) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "${prefix}" within ${timeoutMs} ms`)), timeoutMs);
      waiting.push({ prefix, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
}

async function measure(mode: Mode, n: number, steps: number): Promise<void> {
  const hook = path.join(ROOT, 'bench', 'server-gc-hook.mjs');
  const wsPath = path.join(ROOT, 'node_modules', 'ws');
  const server = spawn('taskset', ['-c', '0', process.execPath, '--expose-gc', '--import', hook, '-e', SERVER, mode, wsPath], { stdio: ['ignore', 'pipe', 'pipe'] });
  const gc = new GcLineReader();
  server.stderr!.on('data', (d: Buffer) => gc.push(d.toString()));
  const fromServer = lines(server);
  const port = (await fromServer('port ', 10_000)).split(' ')[1]!;
  const client = spawn('taskset', ['-c', '1', process.execPath, '-e', CLIENT, port, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
  const fromClient = lines(client);
  const settled = async (): Promise<GcMemory> => {
    const next = gc.next(10_000);
    server.kill('SIGUSR2');
    const m = await next;
    if (!m) throw new Error('the server did not report its memory after GC');
    return m;
  };
  try {
    const reads: { connections: number; m: GcMemory }[] = [];
    let open = 0;
    const start = await settled();
    for (const count of stepCounts(n, steps)) {
      client.stdin!.write(`open ${count - open}\n`);
      await fromClient(`opened ${count}`, 60_000);
      open = count;
      reads.push({ connections: count, m: await settled() });
    }
    const fit = (pick: (m: GcMemory) => number) => fitPerConnection(reads.map((r) => ({ connections: r.connections, bytes: pick(r.m) })))!;
    const rss = fit((m) => m.rss);
    const young = fit(rssWithoutYoung);
    const js = fit(jsMemory);
    const kb = (b: number) => `${(b / 1024).toFixed(2)} KB`;
    console.log(
      `${mode.padEnd(7)} ${n} connections, ${reads.length} reads: RSS/conn ${kb(rss.slope)} ± ${kb(rss.slopeStdError ?? 0)} (R² ${rss.r2?.toFixed(4)}), ` +
        `RSS w/o young gen ${kb(young.slope)}, JS heap+external ${kb(js.slope)}; RSS at start ${(start.rss / 1048576).toFixed(1)} MB, at ${n} ${(reads.at(-1)!.m.rss / 1048576).toFixed(1)} MB`,
    );
  } finally {
    client.stdin!.end();
    client.kill();
    server.kill();
  }
}

const arg = process.argv[2] ?? 'all';
const n = Math.min(Number(process.argv[3] ?? 19_700), 19_700);
const stepsAt = process.argv.indexOf('--steps');
const steps = stepsAt === -1 ? 6 : Number(process.argv[stepsAt + 1]);
const modes: Mode[] = arg === 'all' ? [...MODES] : MODES.includes(arg as Mode) ? [arg as Mode] : [];
if (modes.length === 0) {
  console.error(`usage: node --import tsx bench/tools/bare-conn-rss.ts [${MODES.join('|')}|all] [N] [--steps K]`);
  process.exit(2);
}
for (const mode of modes) await measure(mode, n, steps);
