import type { TransportName } from '../src/domain/events.js';
import { checkAgreement, deliveryRatio, emptyTally, type Tally } from './accounting.js';
import { Histogram } from './histogram.js';
import { combineRoles, type MergedResult } from './load/merge.js';
import type { Accounting, Check, PollingReport, RoleReport, ServerReport, TransportResult } from './report/model.js';
import type { Phase } from './scenarios/phase.js';
import { transportCounters } from './server-metrics.js';
import { clusterReport } from './cluster.js';

/** What a scenario adds when it turns a phase into a result. */
export interface ResultOptions {
  parameters: Record<string, unknown>;
  /** Roles whose accounting is the headline (default: every role but `publisher`). */
  roles?: string[];
  /** Connections held when `rssHeldBytes` was read, for RSS per connection. */
  connectionsHeld?: number;
  /** RSS before any client connected (default: the window's start). */
  rssBaselineBytes?: number;
  /** RSS while the connections were held. */
  rssHeldBytes?: number;
  /** The `--sample-process` RSS before any client connected, and while they were held. */
  coProcessRss?: { baselineBytes: number; heldBytes: number };
  checks?: Check[];
  extra?: Record<string, unknown>;
  /** Publishes made outside the workers (e.g. the main thread's probes), for the agreement. */
  externalPublishes?: number;
  /** Seconds the load was offered (publishing), for throughput; default: the whole window. */
  activeSeconds?: number;
  /** Explains server-delivered > client-received in the agreement. */
  cutConsumers?: number;
  droppedConnections?: number;
  closedConnections?: number;
}

const POLLING: readonly TransportName[] = ['short-polling', 'long-polling'];

function accounting(tally: Tally): Accounting {
  return { ...tally, deliveryRatio: deliveryRatio(tally) };
}

/** Builds the transport's result from the phase's marks and the merged worker results. */
export function buildResult(phase: Phase, merged: MergedResult, options: ResultOptions): TransportResult {
  const before = phase.before;
  const after = phase.after;
  if (!before || !after) throw new Error('phase has no measured window');
  const windowSeconds = (after.at - before.at) / 1000;
  const roleNames = options.roles ?? [...merged.roles.keys()].filter((r) => r !== 'publisher');
  const headline = combineRoles(merged, roleNames);
  const everyone = combineRoles(merged, [...merged.roles.keys()]);

  const counters = transportCounters(before.metrics, after.metrics, phase.transport);
  const cpuSeconds = after.sample.cpuSeconds - before.sample.cpuSeconds;
  const rssBefore = options.rssBaselineBytes ?? before.sample.rssBytes;
  const server: ServerReport = {
    source: phase.server.pid !== undefined ? '/proc' : '/metrics',
    cpuSeconds,
    cpuPercent: (cpuSeconds / windowSeconds) * 100,
    cpuSecondsPer1kDeliveries: counters.delivered > 0 ? (cpuSeconds / counters.delivered) * 1000 : null,
    runqueueWaitPercent:
      before.sample.runqueueWaitSeconds !== undefined && after.sample.runqueueWaitSeconds !== undefined
        ? ((after.sample.runqueueWaitSeconds - before.sample.runqueueWaitSeconds) / windowSeconds) * 100
        : null,
    rssBeforeBytes: rssBefore,
    rssAfterBytes: after.sample.rssBytes,
    rssPeakBytes: Math.max(phase.progress.peakRssBytes, after.sample.rssBytes, before.sample.rssBytes),
    rssPerConnectionBytes:
      options.connectionsHeld && options.rssHeldBytes !== undefined ? (options.rssHeldBytes - rssBefore) / options.connectionsHeld : null,
    fdsBefore: before.sample.fds ?? null,
    fdsAfter: after.sample.fds ?? null,
    bytesPerDelivery: counters.delivered > 0 ? counters.bytesSent / counters.delivered : null,
    counters,
  };
  if (before.coProcess && after.coProcess) {
    const co = after.coProcess.cpuSeconds - before.coProcess.cpuSeconds;
    const rss = options.coProcessRss;
    server.coProcess = {
      name: phase.ctx.args.sampleProcess ?? '',
      pid: undefined,
      cpuSeconds: co,
      cpuSecondsPer1kDeliveries: counters.delivered > 0 ? (co / counters.delivered) * 1000 : null,
      rssBeforeBytes: rss?.baselineBytes ?? before.coProcess.rssBytes,
      rssAfterBytes: after.coProcess.rssBytes,
      rssPerConnectionBytes: rss && options.connectionsHeld ? (rss.heldBytes - rss.baselineBytes) / options.connectionsHeld : null,
    };
  }

  let polling: PollingReport | null = null;
  if (POLLING.includes(phase.transport)) {
    const { requests, empty, rtt } = merged.polls;
    polling = {
      requests,
      emptyPolls: empty,
      requestsPerSecond: requests / windowSeconds,
      requestsPerDelivery: headline.tally.received > 0 ? requests / headline.tally.received : null,
      emptyPollRatio: requests > 0 ? empty / requests : null,
      rttMs: rtt.summary(),
    };
  }

  const roles: Record<string, RoleReport> = {};
  for (const [name, role] of merged.roles) {
    roles[name] = { accounting: accounting(role.tally), latencyMs: role.latency.summary(), connectMs: role.connect.summary(), opened: role.opened, failed: role.failed };
  }

  // Every event a client parsed, including those that arrived after its books closed.
  const clientView = { ...everyone.tally, received: everyone.tally.received + merged.lateEvents };
  const agreement = checkAgreement(clientView, { delivered: counters.delivered, published: counters.published }, merged.publish.accepted + (options.externalPublishes ?? 0), {
    cutConsumers: options.cutConsumers,
    droppedConnections: options.droppedConnections,
    closedConnections: options.closedConnections,
  });
  const loadCpu = phase.progress.loadGeneratorCpuPercent;
  const cost = phase.progress.loadGeneratorCost;
  const saturated = (loadCpu ?? 0) > 90 || phase.progress.maxLoopDelayMs > 200;

  return {
    transport: phase.transport,
    status: 'ok',
    parameters: options.parameters,
    windowSeconds,
    clients: { opened: headline.opened, failed: headline.failed, connectMs: headline.connect.summary() },
    accounting: accounting(headline.tally),
    latencyMs: headline.latency.summary(),
    roles,
    errors: merged.errors,
    publish: merged.publish,
    throughput: {
      deliveredPerSecond: headline.tally.delivered / (options.activeSeconds ?? windowSeconds),
      acceptedPerSecond: merged.publish.accepted / (options.activeSeconds ?? windowSeconds),
    },
    polling,
    server,
    loadGenerator: {
      cpuPercent: loadCpu,
      maxLoopDelayMs: phase.progress.maxLoopDelayMs,
      saturated,
      cpuMicrosPerEvent: cost?.cpuMicrosPerEvent ?? null,
      systemShare: cost?.systemShare ?? null,
      eventsPerRead: cost?.eventsPerRead ?? null,
      runqueueWaitPercent: cost?.runqueueWaitPercent ?? null,
    },
    agreement,
    checks: [
      {
        name: 'client, server and expected counts agree',
        ok: agreement.ok || agreement.explained,
        detail: agreement.ok ? 'exact' : `${agreement.explained ? 'explained: ' : ''}${agreement.notes.join('; ')}`,
      },
      ...(options.checks ?? []),
    ],
    extra: options.extra ?? {},
    timeline: phase.timeline,
    ...(before.parts && after.parts ? { cluster: clusterReport(before.parts, after.parts, windowSeconds, phase.transport) } : {}),
  };
}

/** The result of a run that could not complete (or does not apply to the transport). */
export function unfinishedResult(transport: TransportName, status: 'failed' | 'skipped', reason: string, parameters: Record<string, unknown>): TransportResult {
  const none = new Histogram().summary();
  return {
    transport,
    status,
    reason,
    parameters,
    windowSeconds: 0,
    clients: { opened: 0, failed: 0, connectMs: none },
    accounting: accounting(emptyTally()),
    latencyMs: none,
    roles: {},
    errors: {},
    publish: { sent: 0, accepted: 0, failed: 0, skipped: 0 },
    throughput: { deliveredPerSecond: 0, acceptedPerSecond: 0 },
    polling: null,
    server: null,
    loadGenerator: { cpuPercent: null, maxLoopDelayMs: 0, saturated: false },
    agreement: null,
    checks: [],
    extra: {},
    timeline: [],
  };
}

/** A check line: `name` passes when `ok`. */
export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}
