// The k6 runtime surface the Node stubs model, member for member, as k6's own source defines it
// (grafana/k6 at v2.x; the modules the scripts import are unchanged since v1.6). The stubs in
// harness.ts export exactly these names, and every object below is wrapped by strict(): reading
// or writing any other member throws, so a script that touches something k6 lacks (the classic:
// `WebSocket.OPEN`, which @types/k6 declares but k6 does not define) fails the tests instead of
// silently reading `undefined` in a real run.

/**
 * Named exports per module (what `import { x } from '…'` can bind). k6 builds the default export
 * of a module with only named exports from those names (js/modules/gomodule.go), so `default`
 * carries the same members. Modules whose Go side exports only a default object (`k6/http`,
 * `k6/execution`) resolve named imports against that object; they are listed with its members.
 */
export const K6_MODULES: Record<string, readonly string[]> = {
  // internal/js/modules/k6/k6.go
  k6: ['check', 'fail', 'group', 'randomSeed', 'sleep'],
  // js/modules/k6/http/http.go: the default object (constants defined by defineConstants)
  'k6/http': [
    'url', 'CookieJar', 'cookieJar', 'file', 'get', 'head', 'post', 'put', 'patch', 'del', 'options',
    'request', 'asyncRequest', 'batch', 'setResponseCallback', 'expectedStatuses',
    'TLS_1_0', 'TLS_1_1', 'TLS_1_2', 'TLS_1_3',
    'OCSP_STATUS_GOOD', 'OCSP_STATUS_REVOKED', 'OCSP_STATUS_SERVER_FAILED', 'OCSP_STATUS_UNKNOWN',
    'OCSP_REASON_UNSPECIFIED', 'OCSP_REASON_KEY_COMPROMISE', 'OCSP_REASON_CA_COMPROMISE',
    'OCSP_REASON_AFFILIATION_CHANGED', 'OCSP_REASON_SUPERSEDED', 'OCSP_REASON_CESSATION_OF_OPERATION',
    'OCSP_REASON_CERTIFICATE_HOLD', 'OCSP_REASON_REMOVE_FROM_CRL', 'OCSP_REASON_PRIVILEGE_WITHDRAWN',
    'OCSP_REASON_AA_COMPROMISE',
  ],
  // internal/js/modules/k6/metrics/metrics.go
  'k6/metrics': ['Counter', 'Gauge', 'Trend', 'Rate'],
  // internal/js/modules/k6/timers/timers.go
  'k6/timers': ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'],
  // internal/js/modules/k6/websockets/websockets.go (stable since v1.6) and
  // internal/js/modules/k6/experimental/websockets/websockets.go (the same module, older name)
  'k6/websockets': ['WebSocket', 'Blob'],
  'k6/experimental/websockets': ['WebSocket', 'Blob'],
  // internal/js/modules/k6/execution/execution.go: the default object's accessors
  'k6/execution': ['instance', 'scenario', 'test', 'vu'],
  // The xk6-sse extension (only sse-xk6.js imports it): its default object.
  'k6/x/sse': ['open'],
};

/** Members of a WebSocket instance (defineWebsocket in websockets.go). No others exist. */
export const WS_INSTANCE = [
  'addEventListener', 'send', 'ping', 'close', 'url', 'readyState', 'bufferedAmount', 'extensions',
  'protocol', 'binaryType', 'onmessage', 'onerror', 'onopen', 'onclose', 'onping', 'onpong',
] as const;

/** What a WebSocket event carries (newEvent, queueMessage, callErrorListeners, callEventListeners). */
export const WS_EVENT: Record<string, readonly string[]> = {
  open: ['type', 'target', 'timestamp'],
  message: ['type', 'target', 'timestamp', 'data', 'origin'],
  error: ['type', 'target', 'timestamp', 'error'],
  close: ['type', 'target', 'timestamp', 'code', 'reason'],
};

/** A custom metric object (newMetric in metrics.go). */
export const METRIC_INSTANCE = ['name', 'add'] as const;

/** An http Response (js/modules/k6/http/response.go over httpext.Response). */
export const HTTP_RESPONSE = [
  'remote_ip', 'remote_port', 'url', 'status', 'status_text', 'proto', 'headers', 'cookies', 'body',
  'timings', 'tls_version', 'tls_cipher_suite', 'ocsp', 'error', 'error_code', 'request',
  'json', 'html', 'submitForm', 'clickLink',
] as const;

/** `res.timings` (httpext.ResponseTimings). */
export const HTTP_TIMINGS = ['blocked', 'connecting', 'tls_handshaking', 'sending', 'waiting', 'receiving', 'duration'] as const;

/** k6/execution's `vu` and `scenario` objects (newVUInfo, newScenarioInfo). */
export const EXEC_VU = ['idInInstance', 'idInTest', 'iterationInInstance', 'iterationInScenario', 'tags', 'metrics'] as const;
export const EXEC_SCENARIO = ['name', 'executor', 'startTime', 'progress', 'iterationInInstance', 'iterationInTest'] as const;

/** What a function value has in any JS engine (a constructor's `name`, `prototype`, `call` …). */
const FUNCTION_MEMBERS = new Set(Object.getOwnPropertyNames(Function.prototype).concat(['prototype', 'name', 'length']));

/** Thrown when a script reads or writes a member that k6 does not have. */
export class NotInK6 extends Error {}

/**
 * Wraps `target` so that only `members` (and, for functions, what every function has) can be read
 * or written; anything else throws NotInK6 naming `what`. Symbols and a `then` read pass (engines
 * probe them).
 */
export function strict<T extends object>(what: string, target: T, members: readonly string[]): T {
  const allowed = new Set(members);
  const ok = (p: string | symbol) => typeof p === 'symbol' || allowed.has(p) || (typeof target === 'function' && FUNCTION_MEMBERS.has(p));
  const fail = (p: string | symbol, verb: string) => {
    throw new NotInK6(`${what} has no member "${String(p)}" in k6 (${verb}); see test/k6/k6-surface.ts`);
  };
  return new Proxy(target, {
    // `then` is read by every engine that resolves a promise with the object (an http Response
    // from asyncRequest): undefined there, as in k6.
    get(t, p, r) { return ok(p) ? Reflect.get(t, p, r) : p === 'then' ? undefined : fail(p, 'read'); },
    set(t, p, v, r) { return ok(p) ? Reflect.set(t, p, v, r) : fail(p, 'write'); },
    has(t, p) { return ok(p) && Reflect.has(t, p); },
  });
}

/** Throws for a member k6 has but the harness does not model: a script that needs it must add it here. */
export function notModeled(name: string) {
  return () => { throw new Error(`${name} exists in k6 but is not modeled by test/k6/harness.ts`); };
}
