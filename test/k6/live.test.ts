// The real k6 scripts (run under Node by harness.ts) against the real server (src/main.ts in a
// child process, over loopback): the wire contract the scripts rely on, end to end. Blocking k6
// calls (http.get/post, sleep) block this thread, so the server must live in another process, and
// a worker thread performs the blocking requests.
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { canonicalHeaders, installK6, timings, type Backend, type Res } from './harness.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any
const root = fileURLToPath(new URL('../../', import.meta.url));

const worker = new Worker(`
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ method, url, body, headers, sab }) => {
  let out;
  try {
    const r = await fetch(url, { method, body, headers });
    out = { status: r.status, body: await r.text(), headers: Object.fromEntries(r.headers) };
  } catch (e) {
    out = { status: 0, body: '', headers: {}, error: String(e) };
  }
  const bytes = Buffer.from(JSON.stringify(out));
  const i32 = new Int32Array(sab);
  new Uint8Array(sab, 8, Math.min(bytes.length, sab.byteLength - 8)).set(bytes.subarray(0, sab.byteLength - 8));
  i32[1] = bytes.length;
  Atomics.store(i32, 0, 1);
  Atomics.notify(i32, 0);
});`, { eval: true });
worker.unref();

function httpSync(method: string, url: string, body?: string, headers?: Record<string, string>): Res {
  const sab = new SharedArrayBuffer(8 + (4 << 20));
  worker.postMessage({ method, url, body, headers, sab });
  if (Atomics.wait(new Int32Array(sab), 0, 0, 30000) === 'timed-out') throw new Error(`no answer: ${method} ${url}`);
  const out = JSON.parse(Buffer.from(new Uint8Array(sab, 8, new Int32Array(sab)[1])).toString());
  return { status: out.status, body: out.body, headers: canonicalHeaders(out.headers), timings };
}

async function httpAsync(method: string, url: string, body?: string, headers?: Record<string, string>): Promise<Res> {
  try {
    const r = await fetch(url, { method, body, headers });
    return { status: r.status, body: await r.text(), headers: canonicalHeaders(Object.fromEntries(r.headers)), timings };
  } catch {
    return { status: 0, body: '', headers: {}, timings };
  }
}

const backend: Backend = {
  httpSync,
  httpAsync,
  connect(url, sock) {
    // k6/websockets offers no subprotocol (its `protocols` argument is ignored), so neither do we.
    const ws = new WebSocket(url);
    ws.on('open', () => sock.opened());
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      sock.message(isBinary ? new Uint8Array(data).buffer : data.toString('utf8'));
    });
    ws.on('error', (e) => sock.failed(String(e)));
    ws.on('close', () => sock.closed());
    sock.toServer.send = (d) => ws.send(d);
    sock.toServer.close = () => ws.close();
  },
};

const k6 = installK6(backend);
const mods: Record<string, Any> = {};
for (const s of ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp']) mods[s] = await k6.importScript(`${s}.js`);
const metricsLib = await k6.importScript('lib/metrics.js');
const G = globalThis as Any;

let server: ChildProcess | undefined;
let baseUrl = '';
let serverLog = '';

before(async () => {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  baseUrl = `http://127.0.0.1:${port}`;
  server = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  server.stdout!.on('data', (d) => { serverLog += d; });
  server.stderr!.on('data', (d) => { serverLog += d; });
  for (let i = 0; ; i++) {
    const r = await httpAsync('GET', `${baseUrl}/healthz`);
    if (r.status === 200) break;
    if (i > 150 || server.exitCode !== null) throw new Error(`server did not start:\n${serverLog}`);
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(() => {
  server?.kill('SIGTERM');
  void worker.terminate();
});

const SESSION_MS = 1500;
const SESSIONS: Record<string, () => unknown> = {
  'short-polling': () => mods['short-polling'].shortPollingSession(),
  'long-polling': () => mods['long-polling'].longPollingSession(),
  sse: () => mods.sse.sseSession(),
  websocket: () => mods.websocket.websocketSession(),
  stomp: () => mods.stomp.stompSession(),
};

/** Another user in the room, publishing over plain HTTP. */
function publish(group: string, text: string) {
  const body = JSON.stringify({ type: 'chat', text, sentAt: Date.now() });
  return httpAsync('POST', `${baseUrl}/groups/${group}/events?user=u999`, body, { 'Content-Type': 'application/json' });
}

async function session(tr: string, group: string) {
  const t0 = Date.now();
  const other = setInterval(() => void publish(group, 'hi'), 120);
  try {
    await SESSIONS[tr]();
    await k6.idle(SESSION_MS + 4000);
  } finally {
    clearInterval(other);
  }
  return Date.now() - t0;
}

for (const tr of Object.keys(SESSIONS)) {
  test(`live ${tr}: publishes, receives every event once across a reconnect, ends on time`, async () => {
    k6.checks.length = 0;
    G.__ENV = {
      BASE_URL: baseUrl, SESSION_MS: String(SESSION_MS), INTERVAL_MS: '150', POLL_MS: '100',
      LONGPOLL_TIMEOUT_MS: '500', SSE_WINDOW_MS: '400', SSE_LIMIT: '5', GROUP_PREFIX: `live-${tr}-`,
    };
    const group = `live-${tr}-g7`;
    const base = JSON.parse(httpSync('GET', `${baseUrl}/groups/${group}/snapshot`).body).seq;
    const took = await session(tr, group);
    assert.ok(took < SESSION_MS + 2000, `first session took ${took} ms`);
    assert.equal((await publish(group, 'while away')).status, 202);
    await session(tr, group);

    const cursor = metricsLib.recorderFor(tr).tracker.cursor(group);
    const head = JSON.parse(httpSync('GET', `${baseUrl}/groups/${group}/snapshot`).body).seq;
    const received = k6.sum('rt_events_received', tr);
    const detail = `${tr}: received ${received}, cursor ${cursor}, base ${base}, head ${head}\n${serverLog}`;
    assert.ok(k6.sum('rt_events_sent', tr) >= 6, `sent ${k6.sum('rt_events_sent', tr)}; ${detail}`);
    assert.equal(received, cursor - base, detail);
    assert.ok(head - cursor <= 6, detail);
    assert.equal(k6.sum('rt_gaps', tr), 0, detail);
    assert.equal(k6.sum('rt_duplicates', tr), 0, detail);
    assert.deepEqual((k6.samples.get('rt_errors') ?? []).filter((x) => x.tags.transport === tr && x.value > 0), []);
    assert.deepEqual(k6.checks.filter((c) => !c.ok), []);
    assert.ok(k6.count('rt_e2e_latency', tr) > 0 && k6.count('rt_connect_time', tr) >= 2);
  });
}
