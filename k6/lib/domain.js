// Publish commands (docs/protocol.md), the same body on every transport. Pure: no k6 imports.
// A user walks around central Seoul (the published experiment's app shared locations there).

/**
 * @typedef {{ lat: number, lng: number, heading: number, n: number, vu: number }} Walker
 */

/** @param {number} vu @returns {Walker} */
export function newWalker(vu) {
  return {
    lat: 37.5665 + (Math.random() - 0.5) * 0.02,
    lng: 126.978 + (Math.random() - 0.5) * 0.02,
    heading: Math.floor(Math.random() * 360),
    n: 0,
    vu,
  };
}

/** @param {number} v @param {number} lo @param {number} hi */
function clamp(v, lo, hi) {
  return Math.min(hi, Math.max(lo, v));
}

/** Round to 6 decimals (~10 cm), the precision a phone reports. @param {number} v */
function r6(v) {
  return Math.round(v * 1e6) / 1e6;
}

/**
 * Next command of a walker; `sentAt` is stamped by the caller right before sending so that
 * latency covers only the wire and the server.
 * @param {Walker} w @param {'location' | 'chat'} type
 * @returns {Record<string, string | number>}
 */
export function nextCommand(w, type) {
  w.n++;
  if (type === 'chat') {
    return { type: 'chat', text: `message ${w.n} from u${w.vu}`, clientId: `c-${w.vu}-${w.n}` };
  }
  w.heading = (w.heading + Math.floor(Math.random() * 61) - 30 + 360) % 360;
  const step = 0.00005 + Math.random() * 0.0001;
  w.lat = clamp(w.lat + step * Math.cos((w.heading * Math.PI) / 180), -90, 90);
  w.lng = clamp(w.lng + step * Math.sin((w.heading * Math.PI) / 180), -180, 180);
  return {
    type: 'location',
    lat: r6(w.lat),
    lng: r6(w.lng),
    accuracy: 5,
    heading: w.heading,
    speed: Math.round((1 + Math.random()) * 10) / 10,
  };
}

/** Command with `sentAt` set now. @param {Walker} w @param {'location' | 'chat'} type */
export function stampedCommand(w, type) {
  const cmd = nextCommand(w, type);
  cmd.sentAt = Date.now();
  return cmd;
}

/** Parse JSON without throwing: a load test counts bad payloads, it does not abort on them. @param {unknown} text */
export function tryJson(text) {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text);
  } catch (_e) {
    return undefined;
  }
}
