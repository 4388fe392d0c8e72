// STOMP 1.2 over WebSocket on /stomp, with frames built and parsed by lib/stomp-frame.js (k6 has
// no STOMP client) on k6/websockets, the non-blocking API. One iteration is one connection:
// CONNECT, SUBSCRIBE /topic/groups.<group> (resuming with `since` from the VU's cursor),
// SEND /app/groups/<group> every INTERVAL_MS with a receipt, then DISCONNECT when SESSION_MS is
// spent; a setTimeout closes the socket if the server does not answer, so no VU hangs.
// k6/websockets ignores its `protocols` argument, so no subprotocol is offered; the server accepts
// none and negotiates the version from `accept-version`.
// STOMP_ENDPOINT=/stomp-relay targets the relay endpoint (the server runs with STOMP_RELAY_URL); its
// metrics and tags are then labelled `stomp-relay`.
import { OPEN, WebSocket } from './lib/websocket.js';
import { clearTimeout, setTimeout } from 'k6/timers';
import { groupFor, optionsFor, readConfig, userFor } from './lib/config.js';
import { newWalker, stampedCommand, tryJson } from './lib/domain.js';
import { tagsFor } from './lib/http-client.js';
import { recorderFor } from './lib/metrics.js';
import { startPublisher } from './lib/schedule.js';
import { StompDecoder, buildFrame, utf8Decode } from './lib/stomp-frame.js';

const ENDPOINT = __ENV.STOMP_ENDPOINT || '/stomp';
if (ENDPOINT !== '/stomp' && ENDPOINT !== '/stomp-relay') throw new Error(`STOMP_ENDPOINT must be /stomp or /stomp-relay, got ${ENDPOINT}`);
const TRANSPORT = ENDPOINT === '/stomp-relay' ? 'stomp-relay' : 'stomp';
const SUB_ID = 'sub-0';
const BYE = 'bye';

export const options = optionsFor(readConfig(__ENV), [TRANSPORT]);

/** @type {import('./lib/domain.js').Walker | undefined} */
let walker;

export default function () {
  stompSession();
}

/**
 * Account one received frame other than CONNECTED and ERROR.
 * @param {import('./lib/accounting.js').Recorder} rec @param {string} group
 * @param {import('./lib/stomp-frame.js').StompFrame} f @param {number} now
 */
export function onFrame(rec, group, f, now) {
  if (f.command === 'MESSAGE') {
    // The first replayed MESSAGE after cut history carries truncated:true.
    if (f.headers.truncated === 'true') rec.tracker.markTruncated(group);
    rec.event(tryJson(f.body), now);
  } else if (f.command === 'RECEIPT') {
    const id = f.headers['receipt-id'] || '';
    if (id === SUB_ID) {
      // The SUBSCRIBE receipt carries the group's current seq: the baseline of a VU with no cursor.
      rec.tracker.baseline(group, Number(f.headers.seq));
      if (f.headers.truncated === 'true') rec.tracker.markTruncated(group);
    } else if (id.indexOf('p-') === 0) {
      rec.sent();
    }
  }
}

/** One session (iteration). @param {string} [groupPrefix] overrides GROUP_PREFIX (compare.js) */
export function stompSession(groupPrefix) {
  const cfg = readConfig(groupPrefix === undefined ? __ENV : { ...__ENV, GROUP_PREFIX: groupPrefix });
  const group = groupFor(cfg, __VU);
  const user = userFor(__VU);
  const rec = recorderFor(TRANSPORT);
  const w = (walker = walker || newWalker(__VU));
  rec.begin();

  const t0 = Date.now();
  const decoder = new StompDecoder();
  const ws = new WebSocket(`${cfg.wsUrl}${ENDPOINT}?user=${user}`, null, { tags: tagsFor(TRANSPORT, ENDPOINT) });
  // Should the server send binary frames, take bytes rather than Blobs (decoded below).
  ws.binaryType = 'arraybuffer';
  /** @type {{ stop(): void } | undefined} */
  let publisher;
  /** @type {number | undefined} */
  let byeTimer;
  let connected = false;
  let ending = false;
  let sends = 0;

  /** @param {string} frame */
  const send = (frame) => {
    if (ws.readyState === OPEN) ws.send(frame);
  };

  const endTimer = setTimeout(() => {
    ending = true;
    if (publisher) publisher.stop();
    if (connected && ws.readyState === OPEN) {
      // Graceful per the spec: DISCONNECT with a receipt, close on the RECEIPT or after 1 s.
      send(buildFrame('DISCONNECT', { receipt: BYE }));
      byeTimer = setTimeout(() => ws.close(), 1000);
    } else {
      ws.close();
    }
  }, cfg.sessionMs);

  ws.onopen = () => {
    send(buildFrame('CONNECT', { 'accept-version': '1.2', host: 'arena', 'heart-beat': '0,0' }));
  };

  ws.onmessage = (e) => {
    const now = Date.now();
    if (!e) return;
    const text = typeof e.data === 'string' ? e.data : e.data instanceof ArrayBuffer ? utf8Decode(e.data) : '';
    let frames;
    try {
      frames = decoder.push(text);
    } catch (_err) {
      rec.error('protocol');
      ws.close();
      return;
    }
    for (const f of frames) {
      if (f.command === 'CONNECTED') {
        connected = true;
        rec.connected(now - t0);
        send(buildFrame('SUBSCRIBE', {
          id: SUB_ID,
          destination: `/topic/groups.${group}`,
          ack: 'auto',
          receipt: SUB_ID,
          since: rec.tracker.cursor(group),
        }));
        publisher = startPublisher(cfg.intervalMs, () => {
          sends++;
          const body = JSON.stringify(stampedCommand(w, /** @type {'location'|'chat'} */ (cfg.eventType)));
          send(buildFrame('SEND', { destination: `/app/groups/${group}`, 'content-type': 'application/json', receipt: `p-${sends}` }, body, { contentLength: true }));
        });
      } else if (f.command === 'ERROR') {
        rec.error('protocol');
        ws.close();
      } else if (f.command === 'RECEIPT' && f.headers['receipt-id'] === BYE) {
        ws.close();
      } else {
        onFrame(rec, group, f, now);
      }
    }
  };

  ws.onerror = () => {
    rec.error(connected ? 'receive' : 'connect');
  };

  ws.onclose = () => {
    if (publisher) publisher.stop();
    clearTimeout(endTimer);
    if (byeTimer !== undefined) clearTimeout(byeTimer);
    rec.end();
    if (!ending) setTimeout(() => {}, 1000);
  };
}
