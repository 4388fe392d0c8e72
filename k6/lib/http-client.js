// HTTP pieces shared by the short-polling, long-polling and SSE scripts: publishing (their only
// publish path is POST /groups/:group/events) and the snapshot that gives a first cursor.
import http from 'k6/http';
import { check } from 'k6';
import { stampedCommand, tryJson } from './domain.js';

/**
 * @typedef {import('./config.js').Config} Config
 * @typedef {import('./accounting.js').Recorder} Recorder
 * @typedef {import('./domain.js').Walker} Walker
 */

/** @param {string} transport @param {string} name a route template, so URLs with ids stay one series */
export function tagsFor(transport, name) {
  return { transport, name };
}

/** @param {Config} cfg @param {string} group @param {string} user @param {Walker} walker */
function publishRequest(cfg, group, user, walker) {
  return {
    url: `${cfg.baseUrl}/groups/${group}/events?user=${user}`,
    body: JSON.stringify(stampedCommand(walker, /** @type {'location'|'chat'} */ (cfg.eventType))),
  };
}

/** @param {string} transport */
function publishParams(transport) {
  return {
    headers: { 'Content-Type': 'application/json' },
    tags: tagsFor(transport, 'POST /groups/:group/events'),
  };
}

/** @param {import('k6/http').Response} res @param {Recorder} rec */
function onPublished(res, rec) {
  const ok = check(res, { 'publish 202': (r) => r.status === 202 }, { transport: rec.transport });
  if (ok) rec.sent();
  else rec.error('publish');
}

/** Blocking publish, for scripts that run a plain loop. @param {Config} cfg @param {string} group @param {string} user @param {Walker} walker @param {Recorder} rec */
export function publishSync(cfg, group, user, walker, rec) {
  const p = publishRequest(cfg, group, user, walker);
  onPublished(http.post(p.url, p.body, publishParams(rec.transport)), rec);
}

/**
 * Non-blocking publish, for scripts whose VU is waiting on a held request (long poll, SSE window):
 * the event loop keeps the iteration alive until the promise settles.
 * @param {Config} cfg @param {string} group @param {string} user @param {Walker} walker @param {Recorder} rec
 */
export function publishAsync(cfg, group, user, walker, rec) {
  const p = publishRequest(cfg, group, user, walker);
  return http.asyncRequest('POST', p.url, p.body, publishParams(rec.transport)).then(
    (res) => onPublished(res, rec),
    () => rec.error('publish'),
  );
}

/**
 * The group's current seq from the snapshot, the usual "load, then follow" start of a client that
 * has no cursor yet. Undefined when the server does not answer.
 * @param {Config} cfg @param {string} group @param {Recorder} rec
 */
export function snapshotSeq(cfg, group, rec) {
  const res = http.get(`${cfg.baseUrl}/groups/${group}/snapshot`, { tags: tagsFor(rec.transport, 'GET /groups/:group/snapshot') });
  const body = res.status === 200 ? tryJson(res.body) : undefined;
  if (!body || !Number.isInteger(body.seq)) {
    rec.error('connect');
    return undefined;
  }
  return body.seq;
}

/** Time from dialing to the first response byte; excludes time queued inside k6. @param {import('k6/http').Response} res */
export function firstByteMs(res) {
  const t = res.timings;
  return t.connecting + t.tls_handshaking + t.sending + t.waiting;
}
