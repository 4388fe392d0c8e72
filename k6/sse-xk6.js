// SSE with a streaming reader: the xk6-sse extension (k6/x/sse), for true per-event latency.
// Needs a custom k6 binary: `xk6 build --with github.com/phymbert/xk6-sse` (see README).
// Stock k6 cannot run this file; sse.js is the stock path.
//
// xk6-sse's sse.open blocks its VU until the stream ends, so a listening VU cannot publish. The
// publishers are therefore a scenario of their own whose arrival rate follows the listeners' shape:
// with timeUnit = INTERVAL_MS, "N iterations per unit" is N users each publishing every INTERVAL_MS.
// The server's `timeout` ends each stream when the session's budget is spent.
import sse from 'k6/x/sse';
import exec from 'k6/execution';
import { check, sleep } from 'k6';
import { formatDuration, optionsFor, readConfig, groupFor } from './lib/config.js';
import { newWalker, tryJson } from './lib/domain.js';
import { publishSync, snapshotSeq, tagsFor } from './lib/http-client.js';
import { recorderFor } from './lib/metrics.js';

const TRANSPORT = 'sse';
const cfg0 = readConfig(__ENV);

/** @returns {Record<string, any>} */
function buildOptions() {
  const o = optionsFor(cfg0, [TRANSPORT], { execs: { sse: 'listen' } });
  const unit = formatDuration(cfg0.intervalMs);
  const pool = { preAllocatedVUs: Math.max(5, Math.ceil(cfg0.peak / 20)), maxVUs: Math.max(10, cfg0.peak) };
  const tags = { transport: TRANSPORT, role: 'publisher' };
  o.scenarios.sse_publishers = cfg0.stages
    ? { executor: 'ramping-arrival-rate', exec: 'publish', tags, timeUnit: unit, startRate: 0, stages: cfg0.stages, ...pool }
    : { executor: 'constant-arrival-rate', exec: 'publish', tags, timeUnit: unit, rate: cfg0.peak, duration: formatDuration(cfg0.durationMs), ...pool };
  return o;
}

export const options = buildOptions();

/** @type {import('./lib/domain.js').Walker | undefined} */
let walker;

/** Publisher iteration: one location share into the groups in turn. */
export function publish() {
  const cfg = readConfig(__ENV);
  const i = exec.scenario.iterationInTest;
  const w = (walker = walker || newWalker(exec.vu.idInTest));
  publishSync(cfg, groupFor(cfg, i), `p${i % cfg.peak}`, w, recorderFor(TRANSPORT));
}

// Scenarios name their exec; `default` runs only when CLI flags (--vus, --duration) replace them,
// and then there are no publishers: only events published by others arrive.
export default function () {
  listen();
}

/** Listener iteration: one session of streams, each resumed from the cursor. */
export function listen() {
  const cfg = readConfig(__ENV);
  const group = groupFor(cfg, __VU);
  const rec = recorderFor(TRANSPORT);
  rec.begin();
  const deadline = Date.now() + cfg.sessionMs;
  if (rec.tracker.cursor(group) === undefined) {
    const seq = snapshotSeq(cfg, group, rec);
    if (seq !== undefined) rec.tracker.baseline(group, seq);
  }
  for (let left = deadline - Date.now(); left >= 50; left = deadline - Date.now()) {
    const since = rec.tracker.cursor(group);
    const t0 = Date.now();
    const url = `${cfg.baseUrl}/sse/groups/${group}?${since === undefined ? '' : `since=${since}&`}timeout=${left}`;
    const res = sse.open(url, { method: 'GET', tags: tagsFor(TRANSPORT, 'GET /sse/groups/:group') }, (client) => {
      client.on('open', () => rec.connected(Date.now() - t0));
      client.on('event', (ev) => {
        // xk6-sse also reports the blank line after `retry:` and comments as events.
        if (ev.name === 'truncated') rec.tracker.markTruncated(group);
        else if (ev.data) rec.event(tryJson(ev.data), Date.now());
        if (Date.now() >= deadline) client.close();
      });
      client.on('error', () => rec.error('receive'));
    });
    if (!check(res, { 'sse 200': (r) => r && r.status === 200 }, { transport: TRANSPORT })) {
      sleep(Math.min(1, Math.max(0, deadline - Date.now()) / 1000));
    }
  }
  rec.end();
}
