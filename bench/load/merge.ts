import { addTally, emptyTally } from '../accounting.js';
import { Histogram } from '../histogram.js';
import type { RoleResult, WorkerResult } from './protocol.js';

/** A role's results with live histograms (the main thread's merged view). */
export interface MergedRole {
  tally: RoleResult['tally'];
  latency: Histogram;
  connect: Histogram;
  opened: number;
  failed: number;
}

/** All workers' results of one phase, added up. */
export interface MergedResult {
  roles: Map<string, MergedRole>;
  errors: Record<string, number>;
  publish: WorkerResult['publish'];
  polls: { requests: number; empty: number; rtt: Histogram };
  cycles: number;
  lateEvents: number;
  openAtFinish: number;
}

/** Adds up worker results: counts sum, histograms merge (percentiles over every sample). */
export function mergeResults(results: readonly WorkerResult[]): MergedResult {
  const merged: MergedResult = {
    roles: new Map(),
    errors: {},
    publish: { sent: 0, accepted: 0, failed: 0, skipped: 0 },
    polls: { requests: 0, empty: 0, rtt: new Histogram() },
    cycles: 0,
    lateEvents: 0,
    openAtFinish: 0,
  };
  for (const r of results) {
    for (const [name, role] of Object.entries(r.roles)) {
      let m = merged.roles.get(name);
      if (!m) merged.roles.set(name, (m = { tally: emptyTally(), latency: new Histogram(), connect: new Histogram(), opened: 0, failed: 0 }));
      addTally(m.tally, role.tally);
      m.latency.merge(role.latency);
      m.connect.merge(role.connect);
      m.opened += role.opened;
      m.failed += role.failed;
    }
    for (const [code, n] of Object.entries(r.errors)) merged.errors[code] = (merged.errors[code] ?? 0) + n;
    merged.publish.sent += r.publish.sent;
    merged.publish.accepted += r.publish.accepted;
    merged.publish.failed += r.publish.failed;
    merged.publish.skipped += r.publish.skipped;
    merged.polls.requests += r.polls.requests;
    merged.polls.empty += r.polls.empty;
    merged.polls.rtt.merge(r.polls.rtt);
    merged.cycles += r.cycles;
    merged.lateEvents += r.lateEvents;
    merged.openAtFinish += r.openAtFinish;
  }
  return merged;
}

/** One role made of several (e.g. everything but publishers), for the headline figures. */
export function combineRoles(merged: MergedResult, names: readonly string[]): MergedRole {
  const out: MergedRole = { tally: emptyTally(), latency: new Histogram(), connect: new Histogram(), opened: 0, failed: 0 };
  for (const name of names) {
    const role = merged.roles.get(name);
    if (!role) continue;
    addTally(out.tally, role.tally);
    out.latency.merge(role.latency);
    out.connect.merge(role.connect);
    out.opened += role.opened;
    out.failed += role.failed;
  }
  return out;
}
