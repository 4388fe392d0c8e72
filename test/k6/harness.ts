// Runs the real k6 scripts under Node (no k6 binary exists here). A resolve hook maps `k6` and
// `k6/*` to stubs: metrics that record samples, timers and sockets counted as pending (a k6
// iteration ends only when nothing is pending), check(), sleep(), and http / WebSocket clients
// that talk to a Backend: an in-memory server (fake-server.ts) or the real one over the network.
import { register } from 'node:module';

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

  class Metric {
    constructor(public name: string, public isTime = false) {
      metricTypes.set(name, `${this.constructor.name}${isTime ? ':time' : ''}`);
      samples.set(name, []);
    }
    add(value: number, tags?: Any) { samples.get(this.name)!.push({ value: Number(value), tags: tags ?? {} }); }
  }

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

  /** The k6/websockets surface the scripts use, on top of a Backend connection. */
  class WebSocket {
    static CONNECTING = 0; static OPEN = 1; static CLOSING = 2; static CLOSED = 3;
    readyState = 0;
    binaryType = 'blob';
    onopen = () => {}; onmessage = (_e: Any) => {}; onerror = (_e: Any) => {}; onclose = () => {};
    private server = { send(_d: string) {}, close() {} };
    constructor(public url: string, _protocols?: unknown, _params?: unknown) {
      pending.sockets++;
      let done = false;
      const self = this;
      const side: K6Socket = {
        opened() { if (self.readyState === 0) { self.readyState = 1; self.onopen(); } },
        message(data) { if (self.readyState === 1) self.onmessage({ data, type: 'message', timestamp: Date.now() }); },
        failed(error) { self.onerror({ type: 'error', error, timestamp: Date.now() }); },
        closed() { if (done) return; done = true; self.readyState = 3; pending.sockets--; self.onclose(); },
        toServer: this.server,
      };
      backend.connect(url, side);
    }
    send(data: string) {
      if (this.readyState !== 1) throw new Error('send on a socket that is not open');
      this.server.send(data);
    }
    close() {
      if (this.readyState >= 2) return;
      this.readyState = 2;
      this.server.close();
    }
  }

  G.__ENV = { STAGES: '3s:10,4s:30,2s:0' };
  G.__VU = 7;
  G.__k6stubs = {
    k6: {
      default: {},
      check(v: Any, sets: Record<string, (v: Any) => boolean>) {
        let all = true;
        for (const [name, fn] of Object.entries(sets)) { const ok = !!fn(v); checks.push({ name, ok }); all &&= ok; }
        return all;
      },
      sleep(s: number) { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, s * 1000)); },
    },
    'k6/http': {
      default: {
        get: (url: string, params?: Any) => backend.httpSync('GET', url, undefined, params?.headers),
        post: (url: string, body: string, params?: Any) => backend.httpSync('POST', url, body, params?.headers),
        asyncRequest(method: string, url: string, body: string | null, params?: Any) {
          pending.requests++;
          return backend.httpAsync(method, url, body ?? undefined, params?.headers).finally(() => void pending.requests--);
        },
      },
    },
    'k6/metrics': { Counter: class Counter extends Metric {}, Trend: class Trend extends Metric {} },
    'k6/timers': { setTimeout: k6Timer(false), setInterval: k6Timer(true), clearTimeout: k6Clear, clearInterval: k6Clear },
    'k6/websockets': { WebSocket },
    'k6/execution': { default: { vu: { idInTest: 7 }, scenario: { iterationInTest: 0 } } },
    'k6/x/sse': { default: { open: () => ({ status: 200 }) } },
  };
  const names: Record<string, string[]> = Object.fromEntries(
    Object.entries(G.__k6stubs as Record<string, object>).map(([k, v]) => [k, Object.keys(v).filter((n) => n !== 'default')]),
  );
  register('data:text/javascript,' + encodeURIComponent(`
const NAMES = ${JSON.stringify(names)};
export async function resolve(specifier, context, next) {
  if (!Object.prototype.hasOwnProperty.call(NAMES, specifier)) return next(specifier, context);
  const m = 'globalThis.__k6stubs[' + JSON.stringify(specifier) + ']';
  const src = 'export default ' + m + '.default;\\n' + NAMES[specifier].map((n) => 'export const ' + n + ' = ' + m + '.' + n + ';').join('\\n');
  return { url: 'data:text/javascript,' + encodeURIComponent(src), shortCircuit: true };
}`));

  const of = (name: string, transport: string) => (samples.get(name) ?? []).filter((x) => x.tags.transport === transport);
  return {
    pending, samples, metricTypes, checks,
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
