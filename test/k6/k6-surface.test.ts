// The stubs are a strict model of k6's runtime: exactly k6's exports, and any other member throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installK6, type Backend } from './harness.js';
import { K6_MODULES, NotInK6, WS_INSTANCE, strict } from './k6-surface.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const sockets: { url: string; opened(): void; closed(): void }[] = [];
const backend: Backend = {
  httpSync: () => ({ status: 200, body: '{"ok":true}', headers: {}, timings: { blocked: 0, connecting: 0, tls_handshaking: 0, sending: 0, waiting: 0, receiving: 0, duration: 0 } }),
  httpAsync: async () => ({ status: 200, body: '', headers: {}, timings: {} }),
  connect(url, sock) { sockets.push({ url, opened: () => sock.opened(), closed: () => sock.closed() }); },
};
installK6(backend);
const load = (spec: string): Promise<Any> => import(spec);

test('strict() lets declared members through and throws for any other read or write', () => {
  const o = strict('thing', { a: 1 } as Any, ['a']);
  assert.equal(o.a, 1);
  o.a = 2;
  assert.equal(o.a, 2);
  assert.throws(() => o.b, NotInK6);
  assert.throws(() => { o.b = 1; }, NotInK6);
  assert.equal('b' in o, false);
});

test('each module stub exports exactly what k6 exports (plus the default object k6 builds)', async () => {
  for (const [name, members] of Object.entries(K6_MODULES)) {
    const ns = await load(name);
    assert.deepEqual(Object.keys(ns).sort(), [...members, 'default'].sort(), name);
    for (const m of members) assert.equal(ns[m], ns.default[m], `${name}: named ${m} is the default object's`);
    assert.throws(() => ns.default.notAK6Member, NotInK6, name);
  }
});

test('k6/websockets: WebSocket.OPEN and the other static ready-state constants throw, as they are undefined in k6', async () => {
  const { WebSocket } = await load('k6/websockets');
  for (const c of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) {
    assert.throws(() => WebSocket[c], NotInK6, c);
  }
  assert.equal(typeof WebSocket, 'function');
  assert.equal(WebSocket.name, 'WebSocket');
});

test('a script module that reads WebSocket.OPEN fails when run', async () => {
  const src = "import { WebSocket } from 'k6/websockets';\nexport default () => WebSocket.OPEN;";
  const mod = await load('data:text/javascript,' + encodeURIComponent(src));
  assert.throws(() => mod.default(), /WebSocket \(the constructor\) has no member "OPEN"/);
});

test('a WebSocket instance has exactly k6\'s members: others throw on read and on write', async () => {
  const { WebSocket } = await load('k6/websockets');
  const ws = new WebSocket('ws://127.0.0.1:1/ws');
  const s = sockets.at(-1)!;
  for (const m of WS_INSTANCE) assert.doesNotThrow(() => ws[m], m);
  assert.throws(() => ws.OPEN, NotInK6);
  assert.throws(() => { ws.onMessage = () => {}; }, NotInK6, 'a misspelled handler is never called in k6');
  assert.throws(() => { ws.binaryType = 'text'; }, /unknown binaryType/);
  assert.throws(() => ws.send('x'), /InvalidStateError/, 'send before open');
  assert.throws(() => { ws.readyState = 1; }, TypeError, 'readyState is read-only');
  let opened: Any;
  ws.onopen = (e: Any) => { opened = e; };
  s.opened();
  assert.equal(ws.readyState, 1);
  assert.equal(opened.type, 'open');
  assert.throws(() => opened.data, NotInK6, 'an open event has no data');
  assert.throws(() => ws.close(1001), /InvalidAccessError/, 'k6 accepts 1000 or 3000-4999 from a client');
  let closed: Any;
  ws.addEventListener('close', (e: Any) => { closed = e; });
  ws.close();
  assert.equal(ws.readyState, 2);
  s.closed();
  assert.equal(ws.readyState, 3);
  assert.deepEqual([closed.type, closed.code], ['close', 1000]);
});

test('k6/http responses and k6/metrics objects are strict too', async () => {
  const http = (await load('k6/http')).default;
  const res = http.get('http://127.0.0.1:1/x');
  assert.equal(res.status, 200);
  assert.deepEqual(res.json(), { ok: true });
  assert.throws(() => res.statusCode, NotInK6);
  assert.throws(() => res.timings.total, NotInK6);
  assert.throws(() => http.batch([]), /not modeled/, 'present in k6, not in the harness: fails loudly');
  const { Counter } = await load('k6/metrics');
  const c = new Counter('probe');
  assert.equal(c.name, 'probe');
  assert.throws(() => c.value, NotInK6);
});
