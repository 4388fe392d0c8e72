// Runs the real k6 scripts under Node (no k6 binary exists here). A resolve hook maps `k6` and
// `k6/*` to stubs: metrics that record samples, timers and sockets counted as pending (a k6
// iteration ends only when nothing is pending), check(), sleep(), and http / WebSocket clients
// that talk to a Backend: an in-memory server (fake-server.ts) or the real one over the network.
import { register } from 'node:module';
import {
  EXEC_SCENARIO, EXEC_VU, HTTP_RESPONSE, HTTP_TIMINGS, K6_MODULES, METRIC_INSTANCE, WS_EVENT, WS_INSTANCE, notModeled, strict,
} from './k6-surface.js';

type Any = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** What a k6 http call returns, as far as the scripts read it. */
export type Res = { status: number; body: string; headers: Record<string, string>; timings: Record<string, number> };

export interface Backend {
  /** A blocking request (k6's http.get / http.post). */
  httpSync(method: string, url: string, body?: string, headers?: Record<string, string>): Res;
  /** k6's http.asyncRequest. */
  httpAsync(method: string, url: string, body?: string, headers?: Record<string, string>): Promise<Res>;
  /** Opens the server side of a socket for a k6 WebSocket stub; see K6Socket. */
  connect(url: string, sock: K6Socket): void;
}

/** The client half handed to a Backend: it calls these as the server acts. */
export interface K6Socket {
  opened(): void;
  message(data: string | ArrayBuffer): void;
  failed(error: string): void;
  closed(): void;
  /** Set by the Backend: how the client's send() and close() reach the server. */
  toServer: { send(data: string): void; close(): void };
}

export const timings = { blocked: 0, connecting: 1, tls_handshaking: 0, sending: 1, waiting: 2, receiving: 0, duration: 3 };

export function installK6(backend: Backend) {
  const G = globalThis as Any;
  const pending = { timers: new Set<number>(), sockets: 0, requests: 0 };
  const samples = new Map<string, { value: number; tags: Any }[]>();
  const metricTypes = new Map<string, string>();
  const checks: { name: string; ok: boolean }[] = [];

  /** k6/metrics: a constructor whose instance has `name` and `add` only. */
  const metricClass = (kind: string) => function (this: unknown, name: string, isTime = false) {
    if (!new.target) throw new TypeError(`${kind} must be called with new`);
    metricTypes.set(name, `${kind}${isTime ? ':time' : ''}`);
    samples.set(name, []);
    const add = (value: number, tags?: Any) => { samples.get(name)!.push({ value: Number(value), tags: tags ?? {} }); return true; };
    return strict(`${kind} metric`, { name, add }, METRIC_INSTANCE);
  };

  let timerIds = 0;
  const nodeTimers = new Map<number, NodeJS.Timeout>();
  const k6Timer = (repeat: boolean) => (fn: () => void, ms: number) => {
    const id = ++timerIds;
    pending.timers.add(id);
    const run = () => { if (!repeat) { pending.timers.delete(id); nodeTimers.delete(id); } fn(); };
    nodeTimers.set(id, repeat ? setInterval(run, ms) : setTimeout(run, ms));
    return id;
  };
  const k6Clear = (id: number) => { pending.timers.delete(id); clearTimeout(nodeTimers.get(id)); nodeTimers.delete(id); };

  /** A k6 http Response: every member k6 defines, nothing else. */
  const response = (url: string, r: Res) => strict('http Response', {
    remote_ip: '127.0.0.1', remote_port: 0, url, status: r.status, status_text: String(r.status), proto: 'HTTP/1.1',
    headers: r.headers, cookies: {}, body: r.body, timings: strict('http Response.timings', { ...r.timings }, HTTP_TIMINGS),
    tls_version: '', tls_cipher_suite: '', ocsp: {},
    error: r.status === 0 ? 'request failed' : '', error_code: r.status === 0 ? 1000 : 0, request: {},
    json: () => JSON.parse(r.body), html: notModeled('Response.html'), submitForm: notModeled('Response.submitForm'), clickLink: notModeled('Response.clickLink'),
  }, HTTP_RESPONSE);
  const sync = (method: string) => (url: string, body?: Any, params?: Any) =>
    response(url, backend.httpSync(method, url, body ?? undefined, params?.headers));
  const request = (method: string, url: string, body?: Any, params?: Any) => sync(method.toUpperCase())(url, body, params);

  /**
   * The k6/websockets WebSocket, built as k6 builds it (defineWebsocket): a plain object with the
   * WS_INSTANCE members only, no static constants on the constructor, messages dropped unless
   * OPEN, send() throwing InvalidStateError unless OPEN.
   */
  function WebSocket(this: unknown, url: string, _protocols?: unknown, _params?: unknown) {
    if (!new.target) throw new TypeError('WebSocket must be called with new');
    if (!/^wss?:\/\//.test(String(url))) throw new Error(`WebSocket requires url with scheme ws or wss, but got "${url}"`);
    let state = 0;
    let binaryType = 'blob';
    let closeCode: number | undefined;
    const on: Record<string, ((e: Any) => void) | null> = { open: null, message: null, error: null, close: null, ping: null, pong: null };
    const listeners: Record<string, ((e: Any) => void)[]> = { open: [], message: [], error: [], close: [], ping: [], pong: [] };
    const server = { send(_d: string) {}, close() {} };
    let done = false;
    const obj: Any = {};
    const ws = strict('WebSocket instance', obj, WS_INSTANCE);
    const event = (type: string, extra: Record<string, unknown> = {}) =>
      strict(`WebSocket ${type} event`, { type, target: ws, timestamp: Date.now(), ...extra }, WS_EVENT[type]);
    const fire = (type: string, e: Any) => { for (const fn of [on[type], ...listeners[type]]) if (fn) fn(e); };
    const accessor = (name: string, get: () => unknown, set?: (v: Any) => void) =>
      Object.defineProperty(obj, name, { get, set, enumerable: false, configurable: true });
    Object.assign(obj, {
      url: String(url),
      addEventListener(type: string, fn: (e: Any) => void) {
        if (typeof fn !== 'function') throw new Error(`handler for event type "${type}" isn't a callable function`);
        if (listeners[type]) listeners[type].push(fn);
      },
      send(data: string) {
        if (state !== 1) throw new Error('InvalidStateError');
        server.send(data);
      },
      ping: notModeled('WebSocket.ping'),
      close(code?: number, _reason?: string) {
        if (state >= 2) return;
        if (code !== undefined && code !== 1000 && !(code >= 3000 && code <= 4999)) {
          throw new Error(`InvalidAccessError: The close code must be either 1000, or between 3000 and 4999. ${code} is neither`);
        }
        state = 2;
        closeCode = code ?? 1000;
        server.close();
      },
    });
    accessor('readyState', () => state);
    accessor('bufferedAmount', () => 0);
    accessor('extensions', () => []);
    accessor('protocol', () => '');
    accessor('binaryType', () => binaryType, (v) => {
      if (v !== 'blob' && v !== 'arraybuffer') throw new Error(`unknown binaryType ${v}, the supported ones are "blob" and "arraybuffer"`);
      binaryType = v;
    });
    for (const type of Object.keys(on)) {
      accessor(`on${type}`, () => on[type], (fn) => {
        if (fn !== null && fn !== undefined && typeof fn !== 'function') throw new Error(`a value for 'on${type}' should be callable`);
        on[type] = fn ?? null;
      });
    }
    pending.sockets++;
    const side: K6Socket = {
      opened() { if (state === 0) { state = 1; fire('open', event('open')); } },
      message(data) { if (state === 1) fire('message', event('message', { data, origin: String(url) })); },
      failed(error) { fire('error', event('error', { error })); },
      closed() {
        if (done) return;
        done = true; state = 3; pending.sockets--;
        fire('close', event('close', closeCode === undefined ? { reason: '' } : { code: closeCode, reason: '' }));
      },
      toServer: server,
    };
    backend.connect(String(url), side);
    return ws;
  }
  const WebSocketCtor = strict('WebSocket (the constructor)', WebSocket, []);
  const Blob = notModeled('Blob');

  const execution = {
    // k6 has them; the harness models none of their members, so any read of one throws.
    instance: strict('exec.instance (not modeled by the harness)', {}, []),
    test: strict('exec.test (not modeled by the harness)', {}, []),
    vu: strict('exec.vu', { idInInstance: 7, idInTest: 7, iterationInInstance: 0, iterationInScenario: 0, tags: {}, metrics: {} }, EXEC_VU),
    scenario: strict('exec.scenario', { name: 'default', executor: 'ramping-vus', startTime: Date.now(), progress: 0, iterationInInstance: 0, iterationInTest: 0 }, EXEC_SCENARIO),
  };
  const tls = { TLS_1_0: 'tls1.0', TLS_1_1: 'tls1.1', TLS_1_2: 'tls1.2', TLS_1_3: 'tls1.3' };
  const ocsp = Object.fromEntries(K6_MODULES['k6/http'].filter((n) => n.startsWith('OCSP_'))
    .map((n) => [n, n.replace(/^OCSP_(STATUS|REASON)_/, '').toLowerCase()]));

  /** Each module's members, exactly K6_MODULES' names (checked below). */
  const modules: Record<string, Record<string, unknown>> = {
    k6: {
      check(v: Any, sets: Record<string, (v: Any) => boolean>, _tags?: Any) {
        let all = true;
        for (const [name, fn] of Object.entries(sets)) { const ok = !!fn(v); checks.push({ name, ok }); all &&= ok; }
        return all;
      },
      fail(msg?: string) { throw new Error(msg); },
      group(_name: string, fn: () => unknown) { return fn(); },
      randomSeed: notModeled('randomSeed'),
      sleep(s: number) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, s * 1000)); },
    },
    'k6/http': {
      get: (url: string, params?: Any) => sync('GET')(url, undefined, params),
      head: (url: string, params?: Any) => sync('HEAD')(url, undefined, params),
      post: sync('POST'), put: sync('PUT'), patch: sync('PATCH'), del: sync('DELETE'), options: sync('OPTIONS'),
      request,
      asyncRequest(method: string, url: string, body: string | null, params?: Any) {
        pending.requests++;
        return backend.httpAsync(method, url, body ?? undefined, params?.headers)
          .then((r) => response(url, r)).finally(() => void pending.requests--);
      },
      url: notModeled('http.url'), CookieJar: notModeled('http.CookieJar'), cookieJar: notModeled('http.cookieJar'),
      file: notModeled('http.file'), batch: notModeled('http.batch'), setResponseCallback: notModeled('http.setResponseCallback'),
      expectedStatuses: notModeled('http.expectedStatuses'),
      ...tls, ...ocsp,
    },
    'k6/metrics': { Counter: metricClass('Counter'), Gauge: metricClass('Gauge'), Trend: metricClass('Trend'), Rate: metricClass('Rate') },
    'k6/timers': { setTimeout: k6Timer(false), setInterval: k6Timer(true), clearTimeout: k6Clear, clearInterval: k6Clear },
    'k6/websockets': { WebSocket: WebSocketCtor, Blob },
    'k6/experimental/websockets': { WebSocket: WebSocketCtor, Blob },
    'k6/execution': execution,
    'k6/x/sse': { open: () => ({ status: 200 }) },
  };
  for (const [name, members] of Object.entries(modules)) {
    const declared = K6_MODULES[name];
    if (!declared) throw new Error(`stub for ${name}, which k6-surface.ts does not declare`);
    const got = Object.getOwnPropertyNames(members).sort();
    if (JSON.stringify(got) !== JSON.stringify([...declared].sort())) {
      throw new Error(`stub ${name} exports [${got}] but k6 exports [${[...declared].sort()}]`);
    }
  }

  G.__ENV = { STAGES: '3s:10,4s:30,2s:0' };
  G.__VU = 7;
  // k6 gives a module with only named exports a default object of the same members, and binds
  // named imports of a default-only module to its default object's members: either way one object.
  G.__k6stubs = Object.fromEntries(Object.entries(modules).map(([name, members]) => [name, strict(`module "${name}"`, members, K6_MODULES[name])]));
  register('data:text/javascript,' + encodeURIComponent(`
const NAMES = ${JSON.stringify(K6_MODULES)};
export async function resolve(specifier, context, next) {
  if (!Object.prototype.hasOwnProperty.call(NAMES, specifier)) return next(specifier, context);
  const m = 'globalThis.__k6stubs[' + JSON.stringify(specifier) + ']';
  const src = 'export default ' + m + ';\\n' + NAMES[specifier].map((n) => 'export const ' + n + ' = ' + m + '.' + n + ';').join('\\n');
  return { url: 'data:text/javascript,' + encodeURIComponent(src), shortCircuit: true };
}`));

  const of = (name: string, transport: string) => (samples.get(name) ?? []).filter((x) => x.tags.transport === transport);
  return {
    pending, samples, metricTypes, checks,
    /** The module objects (strict proxies); a test may replace a declared member, e.g. k6/x/sse's open. */
    stubs: G.__k6stubs as Record<string, Any>,
    sum: (name: string, transport: string) => of(name, transport).reduce((a, b) => a + b.value, 0),
    count: (name: string, transport: string) => of(name, transport).length,
    /** Waits until the iteration would end in k6: no timer, socket or request left. */
    async idle(limitMs: number) {
      const t0 = Date.now();
      while (pending.timers.size > 0 || pending.sockets > 0 || pending.requests > 0) {
        if (Date.now() - t0 > limitMs) {
          throw new Error(`iteration still busy after ${limitMs} ms: ${JSON.stringify({ ...pending, timers: pending.timers.size })}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async importScript(name: string): Promise<Any> {
      return import(new URL(`../../k6/${name}`, import.meta.url).href);
    },
  };
}

/** k6 canonicalizes response header names the way Go does: content-type -> Content-Type. */
export function canonicalHeaders(h: Record<string, string>) {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-')] = v;
  return out;
}
