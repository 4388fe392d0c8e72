// A small synthetic report for the writer tests.
import type { BenchReport, TransportResult } from '../../../bench/report/model.js';
import { unfinishedResult } from '../../../bench/result.js';

export function transportResult(transport: TransportResult['transport'], delivered: number): TransportResult {
  const base = unfinishedResult(transport, 'failed', '', {});
  return {
    ...base,
    status: 'ok',
    reason: undefined,
    windowSeconds: 10,
    clients: { opened: 10, failed: 0, connectMs: { count: 10, p50: 3, p90: 4, p99: 5, max: 5, mean: 3 } },
    accounting: { subscriptions: 10, expected: 100, delivered, received: delivered, duplicates: 0, gaps: 100 - delivered, outOfOrder: 0, beyond: 0, stale: 0, truncatedSignals: 0, deliveryRatio: delivered / 100 },
    latencyMs: { count: delivered, p50: 1.5, p90: 3, p99: 9.5, max: 12, mean: 2 },
    throughput: { deliveredPerSecond: delivered / 10, acceptedPerSecond: 1 },
    polling: transport === 'short-polling' ? { requests: 50, emptyPolls: 10, requestsPerSecond: 5, requestsPerDelivery: 0.5, emptyPollRatio: 0.2, rttMs: { count: 50, p50: 1, p90: 2, p99: 3, max: 4, mean: 1 } } : null,
    server: {
      source: '/proc',
      cpuSeconds: 0.5,
      cpuPercent: 5,
      cpuSecondsPer1kDeliveries: 5,
      rssBeforeBytes: 100 << 20,
      rssAfterBytes: 110 << 20,
      rssPeakBytes: 111 << 20,
      rssPerConnectionBytes: transport === 'websocket' ? 4096 : null,
      fdsBefore: 20,
      fdsAfter: 30,
      bytesPerDelivery: 180,
      counters: { delivered, published: 10, publishedBySource: { http: 10 }, bytesSent: 18000, polls: {}, dropped: {}, closed: { client: 10 }, opened: 10, connectionsAtEnd: 0, serverLatencyMs: { p50: 0.5, p99: 2 }, processCpuSeconds: 0.5 },
    },
    loadGenerator: { cpuPercent: 20, maxLoopDelayMs: 3, saturated: false },
    agreement: { ok: delivered === 100, explained: false, expected: 100, clientDelivered: delivered, clientReceived: delivered, serverDelivered: delivered, clientAccepted: 10, serverPublished: 10, notes: delivered === 100 ? [] : ['clients got fewer <than> owed'] },
    checks: [{ name: '100 % delivery', ok: delivered === 100, detail: `${delivered} of 100` }],
    extra: { knee: 1 },
    timeline: [1, 2, 3].map((t) => ({ t, sent: 1, accepted: 1, received: delivered / 3, polls: 0, errors: 0, connected: 10, p50Ms: 1, p99Ms: 9, serverCpuPercent: 5, serverRssBytes: 100 << 20, loadGeneratorCpuPercent: 20, loopDelayMs: 1 })),
  };
}

export function report(): BenchReport {
  return {
    tool: 'realtime-arena bench',
    command: 'npm run bench -- room',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:01:00.000Z',
    environment: {
      cpuModel: 'Test CPU', cpus: 2, nodeVersion: 'v20.0.0', v8: '11', platform: 'linux x64', kernel: '6', totalMemoryBytes: 1 << 30,
      gitCommit: 'abc123', pinning: { server: '0', loadGenerator: '1', taskset: true }, loadGeneratorNofile: 200000, server: { mode: 'child', url: undefined }, workers: 2,
    },
    scenarios: [
      {
        scenario: 'room',
        title: 'Room <fan-out>',
        description: 'desc & more',
        parameters: { clients: 10 },
        startedAt: '2026-01-01T00:00:00.000Z',
        finishedAt: '2026-01-01T00:01:00.000Z',
        transports: [transportResult('websocket', 100), transportResult('short-polling', 97), unfinishedResult('stomp', 'failed', 'server exited\nlog line', {})],
        sweep: {
          bound: { deliveryRatio: 0.999, p99Ms: 250 },
          results: [{ transport: 'websocket', knee: { clients: 300, deliveriesPerSecond: 90_000 }, stoppedBecause: 'N=350: p99 400 ms', steps: [{ clients: 300, offeredDeliveriesPerSecond: 90_000, deliveredPerSecond: 90_000, deliveryRatio: 1, p99Ms: 100, cpuSecondsPer1kDeliveries: 0.01, serverCpuPercent: 90, loadGeneratorSaturated: false, ok: true }] }],
        },
        notes: ['a note'],
      },
    ],
  };
}
