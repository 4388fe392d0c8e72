// Environment parameters and the scenario shape shared by every script. Pure: no k6 imports, so
// Node tests the shapes and thresholds that k6 will run. Bad values throw with the variable's name,
// which k6 reports when it evaluates `options` in the init context.

/** The closed transport union, used verbatim as the `transport` tag. */
export const TRANSPORTS = ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp'];
/** STOMP relayed through an external broker (`stomp.js` with STOMP_ENDPOINT=/stomp-relay); not in compare.js. */
export const RELAY_TRANSPORT = 'stomp-relay';

/** Extra time a VU gets after its stage ends: a session's own budget plus closing handshakes. */
const GRACE_MS = 10000;
const MAX_SESSION_MS = 20000;

/**
 * Parse a k6-style duration ("20s", "1m30s", "500ms", "2h"). Bare numbers are rejected: k6 and
 * humans disagree on their unit.
 * @param {string} text @param {string} [name] variable named in the error
 * @returns {number} milliseconds
 */
export function parseDuration(text, name = 'duration') {
  const s = String(text).trim();
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  const unit = { ms: 1, s: 1000, m: 60000, h: 3600000 };
  let ms = 0;
  let consumed = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index !== consumed) break;
    ms += parseFloat(m[1]) * unit[/** @type {'ms'|'s'|'m'|'h'} */ (m[2])];
    consumed = m.index + m[0].length;
  }
  if (s === '' || consumed !== s.length) {
    throw new Error(`${name}: "${text}" is not a duration such as 20s, 1m30s or 500ms`);
  }
  return Math.round(ms);
}

/** @param {number} ms @returns {string} a duration k6 accepts */
export function formatDuration(ms) {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * `STAGES=3s:10,4s:30,2s:0` -> k6 stages.
 * @param {string} text @returns {{ duration: string, target: number }[]}
 */
export function parseStages(text) {
  const parts = String(text).split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new Error('STAGES: empty; expected e.g. 3s:10,4s:30,2s:0');
  return parts.map((part) => {
    const m = /^([^:]+):(\d+)$/.exec(part);
    if (!m) throw new Error(`STAGES: "${part}" is not duration:target, e.g. 4s:30`);
    return { duration: formatDuration(parseDuration(m[1], 'STAGES')), target: parseInt(m[2], 10) };
  });
}

/** The published experiment's ramp: entry, peak, recovery. @param {number} peak */
export function defaultStages(peak) {
  return [
    { duration: '20s', target: 300 },
    { duration: '30s', target: peak },
    { duration: '10s', target: 0 },
  ];
}

/**
 * @param {Record<string, string | undefined>} env @param {string} name @param {number} fallback
 * @param {number} [min] @param {number} [max]
 */
function intVar(env, name, fallback, min = 1, max = Number.MAX_SAFE_INTEGER) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`${name}: "${raw}" must be an integer in [${min}, ${max}]`);
  return n;
}

/** @param {string} url */
export function toWsUrl(url) {
  return url.replace(/^http(s?):\/\//, 'ws$1://');
}

/**
 * @typedef {ReturnType<typeof readConfig>} Config
 */

/**
 * Read the run's parameters. `defaults.peak` lets compare.js run a smaller peak per transport.
 * @param {Record<string, string | undefined>} env usually k6's __ENV
 * @param {{ peak?: number }} [defaults]
 */
export function readConfig(env, defaults = {}) {
  const shape = env.SHAPE || 'ramp';
  if (shape !== 'ramp' && shape !== 'room') throw new Error(`SHAPE: "${shape}" must be ramp or room`);
  const room = shape === 'room';
  const baseUrl = (env.BASE_URL || 'http://localhost:8080').replace(/\/+$/, '');
  if (!/^https?:\/\/[^/]+/.test(baseUrl)) throw new Error(`BASE_URL: "${baseUrl}" must be an http(s) URL`);
  const peak = intVar(env, 'PEAK', room ? 100 : defaults.peak ?? 1000);
  const durationMs = parseDuration(env.DURATION || '60s', 'DURATION');
  const stages = room ? null : env.STAGES ? parseStages(env.STAGES) : defaultStages(peak);
  const runMs = stages ? stages.reduce((sum, s) => sum + parseDuration(s.duration), 0) : durationMs;
  const eventType = env.EVENT_TYPE || (room ? 'chat' : 'location');
  if (eventType !== 'location' && eventType !== 'chat') throw new Error(`EVENT_TYPE: "${eventType}" must be location or chat`);
  const groupPrefix = env.GROUP_PREFIX || '';
  if (!/^[A-Za-z0-9_.-]{0,40}$/.test(groupPrefix)) throw new Error(`GROUP_PREFIX: "${groupPrefix}" breaks the group id pattern`);
  return {
    shape,
    baseUrl,
    wsUrl: toWsUrl(baseUrl),
    peak,
    groups: intVar(env, 'GROUPS', room ? 1 : 10),
    intervalMs: intVar(env, 'INTERVAL_MS', room ? 1000 : 3000, 10),
    durationMs,
    stages,
    runMs,
    // Each iteration is one session (connect, subscribe, publish, close); the VU then resumes from
    // its cursor in the next one. Short runs get sessions that fit inside them.
    sessionMs: intVar(env, 'SESSION_MS', Math.max(1000, Math.min(MAX_SESSION_MS, runMs)), 100),
    pollMs: intVar(env, 'POLL_MS', 1000, 10),
    // The server's bounds: long-poll timeout <= 60 s, SSE limit <= 100000 events.
    longpollTimeoutMs: intVar(env, 'LONGPOLL_TIMEOUT_MS', 25000, 100, 60000),
    sseLimit: intVar(env, 'SSE_LIMIT', 50, 1, 100000),
    sseWindowMs: intVar(env, 'SSE_WINDOW_MS', 2000, 100, 3600000),
    p99Ms: intVar(env, 'P99_MS', 1000),
    eventType,
    groupPrefix,
    // compare.js: run the transports one after another instead of together, so that server-side
    // figures (CPU per delivery) belong to one transport at a time.
    sequential: /^(1|true|yes)$/i.test(env.SEQUENTIAL || ''),
  };
}

/** Group of a VU: `g<VU % GROUPS>`, prefixed per transport in compare.js. @param {Config} cfg @param {number} vu */
export function groupFor(cfg, vu) {
  return `${cfg.groupPrefix}g${vu % cfg.groups}`;
}

/** @param {number} vu */
export function userFor(vu) {
  return `u${vu}`;
}

/**
 * The p99 bound a transport is held to. Polling adds up to one poll period by design; stock-k6 SSE
 * measures latency when the response completes, so its bound adds the window.
 * @param {Config} cfg @param {string} transport
 */
export function latencyBoundMs(cfg, transport) {
  if (transport === 'short-polling') return cfg.p99Ms + cfg.pollMs;
  if (transport === 'sse') return cfg.p99Ms + cfg.sseWindowMs;
  return cfg.p99Ms;
}

/**
 * One scenario of the shared shape for a transport.
 * @param {Config} cfg @param {string} transport
 * @param {{ exec?: string, groupPrefix?: string, startMs?: number }} [opts] exported function to run;
 *   a group prefix handed to the scenario's VUs as GROUP_PREFIX (compare.js keeps transports in
 *   separate groups); a start offset
 */
export function scenarioFor(cfg, transport, opts = {}) {
  const grace = formatDuration(cfg.sessionMs + GRACE_MS);
  /** @type {Record<string, any>} */
  const base = { exec: opts.exec || 'default', tags: { transport }, gracefulStop: grace };
  if (opts.groupPrefix !== undefined) base.env = { GROUP_PREFIX: opts.groupPrefix };
  if (opts.startMs) base.startTime = formatDuration(opts.startMs);
  if (cfg.stages) {
    return { ...base, executor: 'ramping-vus', startVUs: 0, stages: cfg.stages, gracefulRampDown: grace };
  }
  return { ...base, executor: 'constant-vus', vus: cfg.peak, duration: formatDuration(cfg.durationMs) };
}

/**
 * Thresholds: any gap or duplicate fails the run, every transport must deliver something, and each
 * transport's p99 must stay in bound. k6 prints a sub-metric in the summary only when a threshold
 * names it, so the always-true `>=0` ones exist to break sent events and connect time down per
 * transport: one summary then compares the transports line by line.
 * @param {Config} cfg @param {string[]} transports
 */
export function thresholdsFor(cfg, transports) {
  /** @type {Record<string, string[]>} */
  const t = {
    rt_gaps: ['count==0'],
    rt_duplicates: ['count==0'],
    checks: ['rate>0.99'],
  };
  for (const tr of transports) {
    t[`rt_e2e_latency{transport:${tr}}`] = [`p(99)<${latencyBoundMs(cfg, tr)}`];
    t[`rt_events_received{transport:${tr}}`] = ['count>0'];
    t[`rt_gaps{transport:${tr}}`] = ['count==0'];
    t[`rt_duplicates{transport:${tr}}`] = ['count==0'];
    t[`rt_events_sent{transport:${tr}}`] = ['count>=0'];
    t[`rt_connect_time{transport:${tr}}`] = ['p(95)>=0'];
  }
  return t;
}

/**
 * Complete k6 options. A single-transport script runs `default`; compare.js passes `execs` (transport
 * -> exported function) and `separateGroups`, so each transport gets groups of its own and one
 * transport's publishers do not feed another's subscribers. Scenario names use `_`.
 * @param {Config} cfg @param {string[]} transports
 * @param {{ execs?: Record<string, string>, separateGroups?: boolean }} [opts]
 */
export function optionsFor(cfg, transports, opts = {}) {
  /** @type {Record<string, any>} */
  const scenarios = {};
  // In sequence, a scenario starts once the previous one's VUs are surely gone: its run, then the
  // longest a last session plus its closing can take.
  const slotMs = cfg.runMs + cfg.sessionMs + GRACE_MS;
  transports.forEach((tr, i) => {
    if (TRANSPORTS.indexOf(tr) < 0 && tr !== RELAY_TRANSPORT) throw new Error(`unknown transport ${tr}`);
    scenarios[tr.replace('-', '_')] = scenarioFor(cfg, tr, {
      exec: opts.execs ? opts.execs[tr] : undefined,
      groupPrefix: opts.separateGroups ? `${cfg.groupPrefix}${tr}-` : undefined,
      startMs: cfg.sequential ? i * slotMs : 0,
    });
  });
  return {
    scenarios,
    thresholds: thresholdsFor(cfg, transports),
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
    // `url` would carry every group and user id into Prometheus labels; the `name` tag groups requests.
    systemTags: ['proto', 'subproto', 'status', 'method', 'name', 'group', 'check', 'error', 'error_code', 'scenario', 'expected_response'],
  };
}
