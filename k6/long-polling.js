// Long polling: a cursor loop on GET /longpoll/groups/:group?since=N&timeout=MS, each answered as
// soon as an event after N exists (or empty at the timeout), while a timer publishes by
// POST /groups/:group/events every INTERVAL_MS. The held request and the publisher share the VU
// through k6's event loop (http.asyncRequest + k6/timers), so neither waits for the other.
import http from 'k6/http';
import { check } from 'k6';
import { groupFor, optionsFor, readConfig, userFor } from './lib/config.js';
import { applyBatch } from './lib/accounting.js';
import { newWalker, tryJson } from './lib/domain.js';
import { publishAsync, snapshotSeq, tagsFor } from './lib/http-client.js';
import { recorderFor } from './lib/metrics.js';
import { pause, startPublisher } from './lib/schedule.js';

const TRANSPORT = 'long-polling';

export const options = optionsFor(readConfig(__ENV), [TRANSPORT]);

/** @type {import('./lib/domain.js').Walker | undefined} */
let walker;

export default async function () {
  await longPollingSession();
}

/** One session (iteration). @param {string} [groupPrefix] overrides GROUP_PREFIX (compare.js) */
export async function longPollingSession(groupPrefix) {
  const cfg = readConfig(groupPrefix === undefined ? __ENV : { ...__ENV, GROUP_PREFIX: groupPrefix });
  const group = groupFor(cfg, __VU);
  const user = userFor(__VU);
  const rec = recorderFor(TRANSPORT);
  const w = (walker = walker || newWalker(__VU));
  rec.begin();

  const deadline = Date.now() + cfg.sessionMs;
  if (rec.tracker.cursor(group) === undefined) {
    const seq = snapshotSeq(cfg, group, rec);
    if (seq !== undefined) rec.tracker.baseline(group, seq);
  }
  const publisher = startPublisher(cfg.intervalMs, () => {
    if (Date.now() < deadline) publishAsync(cfg, group, user, w, rec);
  });

  let first = true;
  // The server's timeout is the session's remaining budget at most, so the last poll returns on
  // time; k6's own timeout is a backstop for a server that does not answer.
  for (let wait = Math.min(cfg.longpollTimeoutMs, deadline - Date.now()); wait >= 50; wait = Math.min(cfg.longpollTimeoutMs, deadline - Date.now())) {
    const since = rec.tracker.cursor(group);
    const query = since === undefined ? `timeout=${wait}` : `since=${since}&timeout=${wait}`;
    const res = await http.asyncRequest('GET', `${cfg.baseUrl}/longpoll/groups/${group}?${query}`, null, {
      tags: tagsFor(TRANSPORT, 'GET /longpoll/groups/:group'),
      timeout: wait + 10000,
    });
    if (first) {
      // Waiting is the server holding the poll, so "connect" is only dialing and sending.
      rec.connected(res.timings.connecting + res.timings.tls_handshaking + res.timings.sending);
      first = false;
    }
    if (check(res, { 'longpoll 200': (r) => r.status === 200 }, { transport: TRANSPORT })) {
      applyBatch(rec, group, tryJson(res.body));
    } else {
      rec.error('receive');
      // Do not spin against a failing server; the loop still ends at the deadline.
      await pause(Math.min(1000, deadline - Date.now()));
    }
  }
  publisher.stop();
  rec.end();
}
