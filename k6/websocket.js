// Raw WebSocket on /ws with JSON ops (docs/protocol.md), using k6/websockets, the non-blocking API
// (named once, in lib/websocket.js, for the k6 releases that call it k6/experimental/websockets).
// One iteration is one connection: subscribe (resuming from the VU's cursor),
// publish every INTERVAL_MS with an ack, and close when SESSION_MS is spent. A setTimeout closes
// the socket, so no VU hangs on an open socket; the iteration ends once the socket is closed.
import { OPEN, WebSocket } from './lib/websocket.js';
import { clearTimeout, setTimeout } from 'k6/timers';
import { groupFor, optionsFor, readConfig, userFor } from './lib/config.js';
import { newWalker, stampedCommand, tryJson } from './lib/domain.js';
import { tagsFor } from './lib/http-client.js';
import { recorderFor } from './lib/metrics.js';
import { startPublisher } from './lib/schedule.js';

const TRANSPORT = 'websocket';

export const options = optionsFor(readConfig(__ENV), [TRANSPORT]);

/** @type {import('./lib/domain.js').Walker | undefined} */
let walker;

export default function () {
  websocketSession();
}

/**
 * Handle one server op. Exported for reuse; `now` is the receive time.
 * @param {import('./lib/accounting.js').Recorder} rec @param {string} group @param {any} msg @param {number} now
 */
export function onOp(rec, group, msg, now) {
  switch (msg && msg.op) {
    case 'event':
      rec.event(msg.event, now);
      break;
    case 'subscribed':
      rec.tracker.baseline(group, msg.seq);
      if (msg.truncated === true) rec.tracker.markTruncated(group);
      break;
    case 'ack':
      rec.sent();
      break;
    case 'error':
      rec.error('protocol');
      break;
    case 'pong':
    case 'unsubscribed':
      break;
    default:
      rec.error('bad_event');
  }
}

/** One session (iteration). @param {string} [groupPrefix] overrides GROUP_PREFIX (compare.js) */
export function websocketSession(groupPrefix) {
  const cfg = readConfig(groupPrefix === undefined ? __ENV : { ...__ENV, GROUP_PREFIX: groupPrefix });
  const group = groupFor(cfg, __VU);
  const user = userFor(__VU);
  const rec = recorderFor(TRANSPORT);
  const w = (walker = walker || newWalker(__VU));
  rec.begin();

  const t0 = Date.now();
  const ws = new WebSocket(`${cfg.wsUrl}/ws?user=${user}`, null, { tags: tagsFor(TRANSPORT, '/ws') });
  /** @type {{ stop(): void } | undefined} */
  let publisher;
  let opened = false;
  let ending = false;
  let refs = 0;

  const endTimer = setTimeout(() => {
    ending = true;
    if (publisher) publisher.stop();
    ws.close();
  }, cfg.sessionMs);

  ws.onopen = () => {
    opened = true;
    rec.connected(Date.now() - t0);
    const since = rec.tracker.cursor(group);
    ws.send(JSON.stringify(since === undefined ? { op: 'subscribe', group } : { op: 'subscribe', group, since }));
    publisher = startPublisher(cfg.intervalMs, () => {
      if (ws.readyState !== OPEN) return;
      refs++;
      ws.send(JSON.stringify({ op: 'publish', group, event: stampedCommand(w, /** @type {'location'|'chat'} */ (cfg.eventType)), ref: `r${refs}` }));
    });
  };

  ws.onmessage = (e) => {
    const now = Date.now();
    // The server sends text frames; anything else is not an op.
    onOp(rec, group, e && typeof e.data === 'string' ? tryJson(e.data) : undefined, now);
  };

  ws.onerror = () => {
    rec.error(opened ? 'receive' : 'connect');
  };

  ws.onclose = () => {
    if (publisher) publisher.stop();
    clearTimeout(endTimer);
    rec.end();
    // Closed early (refused, dropped): keep the iteration a moment so a VU does not redial in a
    // tight loop; the next iteration resumes from the cursor.
    if (!ending) setTimeout(() => {}, 1000);
  };
}
