// The custom metrics, with the same names on every transport; samples carry `transport`, so
// `rt_e2e_latency{transport:sse}` works in thresholds, the summary and Prometheus alike.
import { Counter, Trend } from 'k6/metrics';
import { Recorder, SeqTracker } from './accounting.js';

// Metrics must be created in the init context; this module is evaluated there for every VU.
const sinks = {
  latency: new Trend('rt_e2e_latency', true),
  received: new Counter('rt_events_received'),
  sent: new Counter('rt_events_sent'),
  gaps: new Counter('rt_gaps'),
  duplicates: new Counter('rt_duplicates'),
  reordered: new Counter('rt_reordered'),
  truncated: new Counter('rt_truncated'),
  connect: new Trend('rt_connect_time', true),
  errors: new Counter('rt_errors'),
};

// Module scope is per VU in k6, so one tracker per VU: its cursors carry a VU's position from one
// session (iteration) to the next, and a resumed session must not lose or repeat an event.
const tracker = new SeqTracker({ reorderWindow: 100 });

/** @param {string} transport */
export function recorderFor(transport) {
  return new Recorder(transport, tracker, sinks);
}
