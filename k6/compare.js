// All five transports at once, one scenario each with the same shape and the tag
// transport=<name>, so one k6 summary (and one Prometheus query) compares them side by side.
// Each transport gets groups of its own (`<transport>-g<n>`): otherwise one transport's
// publishers would feed another's subscribers and the latencies would mix publish paths.
// PEAK applies per transport (5 x PEAK VUs in all) and defaults to 300 here. SEQUENTIAL=1 runs
// the scenarios one after another instead, so that the server's own figures (CPU per delivered
// event in Prometheus) belong to one transport at a time.
import { TRANSPORTS, optionsFor, readConfig } from './lib/config.js';
import { longPollingSession } from './long-polling.js';
import { shortPollingSession } from './short-polling.js';
import { sseSession } from './sse.js';
import { stompSession } from './stomp.js';
import { websocketSession } from './websocket.js';

export const options = optionsFor(readConfig(__ENV, { peak: 300 }), TRANSPORTS, {
  execs: {
    'short-polling': 'shortPolling',
    'long-polling': 'longPolling',
    sse: 'sse',
    websocket: 'websocket',
    stomp: 'stomp',
  },
  separateGroups: true,
});

export function shortPolling() {
  shortPollingSession();
}

export async function longPolling() {
  await longPollingSession();
}

export async function sse() {
  await sseSession();
}

export function websocket() {
  websocketSession();
}

export function stomp() {
  stompSession();
}

// Every scenario above names its exec, so `default` runs only when CLI flags such as --vus and
// --duration replace the scenarios: then VUs take the transports in turn, each still in groups of
// its own transport, so `k6 run --vus 10 --duration 30s compare.js` also compares all five.
export default async function () {
  const transport = TRANSPORTS[__VU % TRANSPORTS.length];
  const prefix = `${__ENV.GROUP_PREFIX || ''}${transport}-`;
  if (transport === 'short-polling') shortPollingSession(prefix);
  else if (transport === 'long-polling') await longPollingSession(prefix);
  else if (transport === 'sse') await sseSession(prefix);
  else if (transport === 'websocket') websocketSession(prefix);
  else stompSession(prefix);
}
