// Short polling: GET /poll/groups/:group?since=N every POLL_MS, and a location share by
// POST /groups/:group/events every INTERVAL_MS. One iteration is one SESSION_MS session; the
// VU's cursor carries over, so the next session asks for exactly what it has not seen.
import http from 'k6/http';
import { check, sleep } from 'k6';
import { groupFor, optionsFor, readConfig, userFor } from './lib/config.js';
import { applyBatch } from './lib/accounting.js';
import { newWalker, tryJson } from './lib/domain.js';
import { publishSync, tagsFor } from './lib/http-client.js';
import { recorderFor } from './lib/metrics.js';

const TRANSPORT = 'short-polling';

export const options = optionsFor(readConfig(__ENV), [TRANSPORT]);

/** @type {import('./lib/domain.js').Walker | undefined} */
let walker;

export default function () {
  shortPollingSession();
}

/** One session (iteration). @param {string} [groupPrefix] overrides GROUP_PREFIX (compare.js) */
export function shortPollingSession(groupPrefix) {
  const cfg = readConfig(groupPrefix === undefined ? __ENV : { ...__ENV, GROUP_PREFIX: groupPrefix });
  const group = groupFor(cfg, __VU);
  const user = userFor(__VU);
  const rec = recorderFor(TRANSPORT);
  const w = (walker = walker || newWalker(__VU));
  rec.begin();

  const start = Date.now();
  const deadline = start + cfg.sessionMs;
  let nextPublish = start + Math.floor(Math.random() * cfg.intervalMs);
  let nextPoll = start;
  let first = true;
  // A plain loop: http.get and http.post block the VU, and sleep() waits for the nearer deadline.
  for (let now = Date.now(); now < deadline; now = Date.now()) {
    if (now >= nextPoll) {
      const since = rec.tracker.cursor(group);
      const res = http.get(`${cfg.baseUrl}/poll/groups/${group}${since === undefined ? '' : `?since=${since}`}`, {
        tags: tagsFor(TRANSPORT, 'GET /poll/groups/:group'),
      });
      if (first) {
        // The first poll of a session is its "connect": dial plus one round trip.
        rec.connected(res.timings.connecting + res.timings.tls_handshaking + res.timings.duration);
        first = false;
      }
      if (check(res, { 'poll 200': (r) => r.status === 200 }, { transport: TRANSPORT })) {
        applyBatch(rec, group, tryJson(res.body));
      } else {
        rec.error('receive');
      }
      nextPoll = Math.max(nextPoll + cfg.pollMs, Date.now());
    }
    if (Date.now() >= nextPublish && Date.now() < deadline) {
      publishSync(cfg, group, user, w, rec);
      nextPublish = Math.max(nextPublish + cfg.intervalMs, Date.now());
    }
    const wait = Math.min(nextPoll, nextPublish, deadline) - Date.now();
    if (wait > 0) sleep(wait / 1000);
  }
  rec.end();
}
