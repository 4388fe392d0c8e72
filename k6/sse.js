// Server-Sent Events in stock k6. k6 has no streaming HTTP reader: http.get / http.asyncRequest
// return a body only once the response is complete. So each request asks the server to end the
// stream itself (this server's extension): `limit=K` ends it after K events, `timeout=MS` after MS
// milliseconds. The loop is GET /sse/groups/:group?since=N&limit=K&timeout=W, parse the body as
// text/event-stream (lib/sse-parse.js), account the events, continue from the last id.
//
// Limit: an event's latency is taken when its response completes, so it is an upper bound, at
// most SSE_WINDOW_MS above the truth (a smaller SSE_WINDOW_MS or SSE_LIMIT tightens it at the cost
// of more reconnects). For true per-event timing use sse-xk6.js with the xk6-sse extension.
import http from 'k6/http';
import { check } from 'k6';
import { groupFor, optionsFor, readConfig, userFor } from './lib/config.js';
import { newWalker, tryJson } from './lib/domain.js';
import { firstByteMs, publishAsync, snapshotSeq, tagsFor } from './lib/http-client.js';
import { recorderFor } from './lib/metrics.js';
import { pause, startPublisher } from './lib/schedule.js';
import { parseSse } from './lib/sse-parse.js';

const TRANSPORT = 'sse';

export const options = optionsFor(readConfig(__ENV), [TRANSPORT]);

/** @type {import('./lib/domain.js').Walker | undefined} */
let walker;

export default async function () {
  await sseSession();
}

/**
 * Account one complete stream body. `event: truncated` is the server's loss signal.
 * @param {import('./lib/accounting.js').Recorder} rec @param {string} group @param {string} body
 */
export function applyStream(rec, group, body) {
  const now = Date.now();
  for (const ev of parseSse(body).events) {
    if (ev.event === 'truncated') rec.tracker.markTruncated(group);
    else rec.event(tryJson(ev.data), now);
  }
}

/** One session (iteration). @param {string} [groupPrefix] overrides GROUP_PREFIX (compare.js) */
export async function sseSession(groupPrefix) {
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

  for (let win = Math.min(cfg.sseWindowMs, deadline - Date.now()); win >= 50; win = Math.min(cfg.sseWindowMs, deadline - Date.now())) {
    const since = rec.tracker.cursor(group);
    const query = `${since === undefined ? '' : `since=${since}&`}limit=${cfg.sseLimit}&timeout=${win}`;
    const res = await http.asyncRequest('GET', `${cfg.baseUrl}/sse/groups/${group}?${query}`, null, {
      headers: { Accept: 'text/event-stream' },
      tags: tagsFor(TRANSPORT, 'GET /sse/groups/:group'),
      // Backstop only: the server must end the stream by `timeout`, or k6 cuts it here and the
      // body is lost (the next request resumes from the cursor, so nothing is counted twice).
      timeout: win + 10000,
    });
    const ok = check(res, {
      'sse 200': (r) => r.status === 200,
      'sse is text/event-stream': (r) => String(r.headers['Content-Type'] || '').indexOf('text/event-stream') === 0,
    }, { transport: TRANSPORT });
    if (ok && typeof res.body === 'string') {
      rec.connected(firstByteMs(res));
      applyStream(rec, group, res.body);
    } else {
      rec.error('receive');
      await pause(Math.min(1000, deadline - Date.now()));
    }
  }
  publisher.stop();
  rec.end();
}
