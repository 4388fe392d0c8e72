// The real k6 scripts, run under Node by harness.ts against an in-memory server that follows
// docs/protocol.md and the SSE limit/timeout extension. Checks the scripts' options, then sessions of
// every transport: each event counted once across a reconnect, sockets closed on time (an
// iteration ends only when nothing is pending), injected loss and duplicates reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameImpl, Parser } from '@stomp/stompjs';
import { installK6, timings, type Backend, type K6Socket, type Res } from './harness.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

// ---- in-memory server ------------------------------------------------------------------------
type Ev = { seq: number; group: string; type: string; user: string; at: number; sentAt?: number; data: Any };
const hub = {
  groups: new Map<string, { events: Ev[]; subs: Set<(e: Ev) => void> }>(),
  faults: { drop: 0, dup: 0 },
  g(name: string) {
    let g = this.groups.get(name);
    if (!g) this.groups.set(name, (g = { events: [], subs: new Set() }));
    return g;
  },
  head(name: string) { return this.g(name).events.length; },
  after(name: string, since: number) { return this.g(name).events.filter((e) => e.seq > since); },
  subscribe(name: string, fn: (e: Ev) => void) { this.g(name).subs.add(fn); return () => this.g(name).subs.delete(fn); },
  publish(name: string, user: string, cmd: Any): Ev {
    const g = this.g(name);
    const { type, sentAt, ...data } = cmd;
    const ev = { seq: g.events.length + 1, group: name, type, user, at: Date.now(), sentAt, data };
    g.events.push(ev);
    // Faults hit live delivery only; history stays whole, as a buggy fan-out would behave.
    if (this.faults.drop > 0) { this.faults.drop--; return ev; }
    const times = this.faults.dup > 0 ? (this.faults.dup--, 2) : 1;
    for (const fn of [...g.subs]) for (let i = 0; i < times; i++) fn(ev);
    return ev;
  },
};

// ---- http ------------------------------------------------------------------------------------
const res = (status: number, body: string, headers: Any = { 'Content-Type': 'application/json' }): Res => ({ status, body, headers, timings });
const json = (status: number, v: unknown) => res(status, JSON.stringify(v));
const routeOf = (url: string) => { const u = new URL(url); return { path: u.pathname.split('/').filter(Boolean), q: u.searchParams }; };
const num = (v: string | null) => (v === null ? undefined : Number(v));

function httpSync(method: string, url: string, body?: string): Res {
  const { path, q } = routeOf(url);
  if (method === 'POST' && path[0] === 'groups' && path[2] === 'events') {
    return json(202, { seq: hub.publish(path[1], q.get('user') || 'anonymous', JSON.parse(body!)).seq });
  }
  if (path[0] === 'groups' && path[2] === 'snapshot') return json(200, { group: path[1], seq: hub.head(path[1]), members: [], chat: [], online: [] });
  if (path[0] === 'poll') {
    const since = num(q.get('since'));
    return json(200, since === undefined ? { events: [], next: hub.head(path[2]) } : { events: hub.after(path[2], since), next: hub.head(path[2]) });
  }
  return json(404, { error: { code: 'not_found', message: url } });
}

function httpAsync(method: string, url: string, body?: string): Promise<Res> {
  const { path, q } = routeOf(url);
  const group = path[2];
  if (method !== 'GET' || (path[0] !== 'longpoll' && path[0] !== 'sse')) return Promise.resolve(httpSync(method, url, body));
  const since = num(q.get('since')) ?? hub.head(group);
  const timeout = num(q.get('timeout'))!;
  const limit = num(q.get('limit')) ?? Infinity;
  return new Promise((resolve) => {
    let out = 'retry: 1000\n\n';
    let n = 0;
    let done = false;
    let unsub = () => {};
    const finish = () => {
      if (done) return;
      done = true;
      unsub();
      clearTimeout(timer);
      if (path[0] === 'sse') resolve(res(200, out, { 'Content-Type': 'text/event-stream' }));
      else resolve(json(200, { events: hub.after(group, since), next: hub.head(group) }));
    };
    const write = (e: Ev) => {
      if (path[0] === 'longpoll') return void setImmediate(finish);
      out += `id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;
      if (++n >= limit) finish();
    };
    const timer = setTimeout(finish, timeout);
    if (path[0] === 'longpoll' && hub.after(group, since).length > 0) return finish();
    if (path[0] === 'sse') for (const e of hub.after(group, since)) { write(e); if (done) return; }
    unsub = hub.subscribe(group, write) as Any;
  });
}

// ---- sockets -----------------------------------------------------------------------------------
const net = { binary: false, refuse: false };
/** The server's end of one socket; every step is a separate tick, as on a network. */
class Conn {
  cleanup: (() => void)[] = [];
  handle: (data: string) => void;
  open = true;
  constructor(url: string, private sock: K6Socket) {
    const { path, q } = routeOf(url.replace(/^ws/, 'http'));
    this.handle = path[0] === 'stomp' ? stompServer(this) : wsServer(this, q.get('user') || 'anonymous');
    sock.toServer.send = (data) => setImmediate(() => this.open && this.handle(data));
    sock.toServer.close = () => setImmediate(() => this.shut());
    setImmediate(() => {
      if (!net.refuse) return sock.opened();
      sock.failed('connection refused');
      this.shut();
    });
  }
  deliver(text: string) {
    const data = net.binary ? new Uint8Array(Buffer.from(text)).buffer : text;
    setImmediate(() => this.open && this.sock.message(data));
  }
  shut() {
    if (!this.open) return;
    this.open = false;
    this.cleanup.forEach((f) => f());
    this.sock.closed();
  }
}

function wsServer(ws: Conn, user: string) {
  const reply = (m: Any) => ws.deliver(JSON.stringify(m));
  return (data: string) => {
    const m = JSON.parse(data);
    if (m.op === 'subscribe') {
      reply({ op: 'subscribed', group: m.group, seq: hub.head(m.group) });
      for (const e of hub.after(m.group, m.since ?? hub.head(m.group))) reply({ op: 'event', event: e });
      ws.cleanup.push(hub.subscribe(m.group, (e) => reply({ op: 'event', event: e })) as Any);
    } else if (m.op === 'publish') {
      reply({ op: 'ack', ref: m.ref, seq: hub.publish(m.group, user, m.event).seq });
    } else reply({ op: 'error', code: 'unknown_op', message: 'x' });
  };
}

function stompServer(ws: Conn) {
  let batch = '';
  // Frames produced in one tick go out as one WebSocket message, as a corked server sends them.
  const send = (command: string, headers: Any, body?: string) => {
    if (batch === '') setImmediate(() => { const b = batch; batch = ''; ws.deliver(b); });
    batch += FrameImpl.marshall({ command, headers, body, escapeHeaderValues: command !== 'CONNECTED' }) as string;
  };
  const message = (sub: string, e: Ev) => send('MESSAGE', {
    destination: `/topic/groups.${e.group}`, subscription: sub, 'message-id': `${e.group}-${e.seq}`, seq: String(e.seq), 'content-type': 'application/json',
  }, JSON.stringify(e));
  const parser = new Parser((raw) => {
    const f = FrameImpl.fromRawFrame(raw, true);
    const h = f.headers;
    if (f.command === 'CONNECT') send('CONNECTED', { version: '1.2', 'heart-beat': '0,0' });
    else if (f.command === 'SUBSCRIBE') {
      const group = h.destination.replace('/topic/groups.', '');
      send('RECEIPT', { 'receipt-id': h.receipt, seq: String(hub.head(group)) });
      for (const e of hub.after(group, h.since === undefined ? hub.head(group) : Number(h.since))) message(h.id, e);
      ws.cleanup.push(hub.subscribe(group, (e) => message(h.id, e)) as Any);
    } else if (f.command === 'SEND') {
      const e = hub.publish(h.destination.replace('/app/groups/', ''), 'stomp-user', JSON.parse(f.body));
      if (h.receipt) send('RECEIPT', { 'receipt-id': h.receipt, seq: String(e.seq) });
    } else if (f.command === 'DISCONNECT') send('RECEIPT', { 'receipt-id': h.receipt });
  }, () => {});
  return (data: string) => parser.parseChunk(data);
}

const backend: Backend = { httpSync, httpAsync, connect: (url, sock) => void new Conn(url, sock) };
const k6 = installK6(backend);
const { samples, metricTypes, checks, sum, count } = k6;

const SCRIPTS = ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp', 'compare', 'sse-xk6'];
const mods: Record<string, Any> = {};
for (const s of SCRIPTS) mods[s] = await k6.importScript(`${s}.js`);
// The same module instance the scripts use: its per-VU tracker holds the cursors.
const metricsLib = await k6.importScript('lib/metrics.js');
const G = globalThis as Any;

// ---- helpers -----------------------------------------------------------------------------------
const idle = k6.idle;
const SESSION_MS = 1200;
function envFor(tr: string) {
  G.__ENV = { SESSION_MS: String(SESSION_MS), INTERVAL_MS: '150', POLL_MS: '100', LONGPOLL_TIMEOUT_MS: '400', SSE_WINDOW_MS: '300', SSE_LIMIT: '3', GROUP_PREFIX: `${tr}-` };
  return `${tr}-g7`;
}
const SESSIONS: Record<string, () => unknown> = {
  'short-polling': () => mods['short-polling'].shortPollingSession(),
  'long-polling': () => mods['long-polling'].longPollingSession(),
  sse: () => mods.sse.sseSession(),
  websocket: () => mods.websocket.websocketSession(),
  stomp: () => mods.stomp.stompSession(),
};
async function session(tr: string) {
  const t0 = Date.now();
  const other = setInterval(() => hub.publish(`${tr}-g7`, 'u999', { type: 'chat', text: 'hi', sentAt: Date.now() }), 100);
  try {
    await SESSIONS[tr]();
    await idle(SESSION_MS + 3000);
  } finally { clearInterval(other); }
  return Date.now() - t0;
}

// ---- tests -------------------------------------------------------------------------------------
test('every script exports options and the functions its scenarios run', () => {
  for (const s of SCRIPTS) {
    const m = mods[s];
    assert.equal(typeof m.default, 'function', `${s}: export default function`);
    assert.ok(m.options && Object.keys(m.options.scenarios).length > 0, `${s}: export const options`);
    for (const [name, sc] of Object.entries(m.options.scenarios as Record<string, Any>)) {
      assert.equal(typeof m[sc.exec], 'function', `${s}: scenario ${name} runs exported ${sc.exec}`);
      assert.match(name, /^[0-9a-zA-Z_-]+$/);
    }
  }
  const cmp = mods.compare.options.scenarios;
  assert.deepEqual(Object.values(cmp).map((sc: Any) => sc.tags.transport), ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp']);
  assert.equal(mods['sse-xk6'].options.scenarios.sse_publishers.executor, 'ramping-arrival-rate');
});

test('the custom metrics exist with the same names for every transport; thresholds name real metrics', () => {
  assert.equal(metricTypes.get('rt_e2e_latency'), 'Trend:time');
  assert.equal(metricTypes.get('rt_connect_time'), 'Trend:time');
  for (const c of ['rt_events_received', 'rt_events_sent', 'rt_gaps', 'rt_duplicates']) assert.equal(metricTypes.get(c), 'Counter');
  for (const s of SCRIPTS) {
    for (const key of Object.keys(mods[s].options.thresholds)) {
      const metric = key.replace(/\{.*\}$/, '');
      assert.ok(metric === 'checks' || metricTypes.has(metric), `${s}: threshold on unknown metric ${key}`);
    }
  }
});

for (const tr of Object.keys(SESSIONS)) {
  test(`${tr}: two sessions account every event once, across the reconnect, and end on time`, async () => {
    checks.length = 0;
    const group = envFor(tr);
    const base = hub.head(group);
    const took = await session(tr);
    assert.ok(took < SESSION_MS + 1500, `session took ${took} ms`);
    await new Promise((r) => setTimeout(r, 50));
    hub.publish(group, 'u999', { type: 'chat', text: 'while away', sentAt: Date.now() });
    await session(tr);
    const head = hub.head(group);
    const cursor = metricsLib.recorderFor(tr).tracker.cursor(group);
    const received = sum('rt_events_received', tr);
    assert.ok(sum('rt_events_sent', tr) >= 6, `published ${sum('rt_events_sent', tr)}`);
    // Every seq from the first baseline up to the last one seen arrived exactly once, including
    // the ones published between the two sessions; only the last moment's events may be unseen.
    assert.equal(received, cursor - base);
    assert.ok(head - cursor <= 3, `cursor ${cursor} of head ${head}`);
    assert.equal(sum('rt_gaps', tr), 0);
    assert.equal(sum('rt_duplicates', tr), 0);
    assert.equal(sum('rt_errors', tr), 0);
    assert.ok(count('rt_e2e_latency', tr) >= received && count('rt_e2e_latency', tr) > 0);
    assert.ok((samples.get('rt_e2e_latency') ?? []).every((x) => x.value >= 0 && x.value < 5000));
    assert.ok(count('rt_connect_time', tr) >= 2);
    assert.deepEqual(checks.filter((c) => !c.ok), []);
  });
}

for (const tr of ['websocket', 'stomp', 'sse']) {
  test(`${tr}: a dropped live delivery is a gap, a doubled one a duplicate`, async () => {
    envFor(tr);
    const [gaps, dups] = [sum('rt_gaps', tr), sum('rt_duplicates', tr)];
    setTimeout(() => { hub.faults.drop = 1; }, 300);
    setTimeout(() => { hub.faults.dup = 1; }, 700);
    await session(tr);
    assert.deepEqual(hub.faults, { drop: 0, dup: 0 });
    assert.equal(sum('rt_gaps', tr) - gaps, 1);
    assert.equal(sum('rt_duplicates', tr) - dups, 1);
  });
}

test('stomp: binary frames (ArrayBuffer) are decoded too', async () => {
  net.binary = true;
  try {
    envFor('stomp');
    const before = sum('rt_events_received', 'stomp');
    await session('stomp');
    assert.ok(sum('rt_events_received', 'stomp') - before >= 5);
  } finally { net.binary = false; }
});

test('websocket: a refused connection ends the iteration early, counted as a connect error', async () => {
  envFor('websocket');
  G.__ENV.SESSION_MS = '6000';
  const before = (samples.get('rt_errors') ?? []).filter((x) => x.tags.kind === 'connect').length;
  net.refuse = true;
  try {
    const t0 = Date.now();
    mods.websocket.websocketSession();
    await idle(8000);
    const took = Date.now() - t0;
    assert.ok(took < 2500, `ended after ${took} ms, paced by about 1 s, not the 6 s budget`);
  } finally { net.refuse = false; }
  assert.equal((samples.get('rt_errors') ?? []).filter((x) => x.tags.kind === 'connect').length - before, 1);
});

test('sse-xk6: the listener accounts the streamed events (stubbed k6/x/sse)', () => {
  const group = envFor('xk6');
  G.__ENV.SESSION_MS = '200';
  hub.publish(group, 'u1', { type: 'chat', text: 'before', sentAt: Date.now() });
  let opens = 0;
  k6.stubs['k6/x/sse'].open = (url: string, _params: Any, setup: (c: Any) => void) => {
    const since = Number(new URL(url).searchParams.get('since'));
    const handlers: Record<string, (x?: Any) => void> = {};
    setup({ on: (name: string, fn: (x?: Any) => void) => { handlers[name] = fn; }, close: () => {} });
    handlers.open?.();
    // The blank line after `retry:` arrives as an empty event, as xk6-sse reports it.
    handlers.event?.({ id: '', name: '', data: '', comment: '' });
    if (opens++ === 0) for (let i = 0; i < 3; i++) hub.publish(group, 'u1', { type: 'chat', text: `n${i}`, sentAt: Date.now() });
    for (const e of hub.after(group, since)) handlers.event?.({ id: String(e.seq), name: e.type, data: JSON.stringify(e), comment: '' });
    return { status: 200, url, headers: {}, error: '' };
  };
  const before = sum('rt_events_received', 'sse');
  mods['sse-xk6'].listen();
  assert.ok(opens >= 2);
  assert.equal(sum('rt_events_received', 'sse') - before, 3, 'the three published after the baseline');
});
