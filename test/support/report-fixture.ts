import type { BenchReport, TransportResult } from '../../bench/report/model.js';
import type { TransportName } from '../../src/domain/events.js';

/**
 * A small bench report in the shape `npm run bench` writes (typed against the report model, so it
 * follows the model when that changes). The figures are made up for page tests, not measurements.
 */
export function sampleReport(withFloor = false): BenchReport {
  const transports: TransportName[] = ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp'];
  const pcts = (base: number) => ({ count: 1000, p50: base, p90: base * 2, p99: base * 4, max: base * 8, mean: base * 1.2 });
  const result = (transport: TransportName, i: number): TransportResult => ({
    transport,
    status: 'ok',
    parameters: {},
    windowSeconds: 10,
    clients: { opened: 50, failed: 0, connectMs: pcts(2) },
    accounting: { subscriptions: 50, expected: 10_000, delivered: 10_000 - i, received: 10_000 - i, duplicates: 0, gaps: i, outOfOrder: 0, beyond: 0, stale: 0, truncatedSignals: 0, deliveryRatio: (10_000 - i) / 10_000 },
    latencyMs: pcts(5 - i * 0.8),
    roles: {},
    errors: {},
    publish: { sent: 200, accepted: 200, failed: 0, skipped: 0 },
    throughput: { deliveredPerSecond: 1000 - i, acceptedPerSecond: 20 },
    polling: null,
    server: {
      source: '/proc',
      cpuSeconds: 2 - i * 0.3,
      cpuPercent: 20 - i * 3,
      cpuSecondsPer1kDeliveries: 0.2 - i * 0.03,
      rssBeforeBytes: 80e6,
      rssAfterBytes: 90e6,
      rssPeakBytes: 95e6,
      rssPerConnectionBytes: 20_000 + i * 4000,
      fdsBefore: 20,
      fdsAfter: 20,
      bytesPerDelivery: 400 - i * 60,
      counters: { delivered: 10_000, published: 200, publishedBySource: {}, bytesSent: 4e6, polls: {}, dropped: {}, closed: {}, opened: 50, connectionsAtEnd: 0, serverLatencyMs: { p50: 0.4, p99: 2 }, processCpuSeconds: 2 },
    },
    loadGenerator: { cpuPercent: 30, maxLoopDelayMs: 5, saturated: false },
    agreement: null,
    checks: [{ name: 'delivery', ok: i === 0, detail: 'sample' }],
    extra: {},
    timeline: [0, 1, 2, 3].map((t) => ({ t, sent: 20, accepted: 20, received: 1000 - i * 50 + t * 10, polls: 0, errors: 0, connected: 50, p50Ms: 5, p99Ms: 20, serverCpuPercent: 20, serverRssBytes: 9e7, loadGeneratorCpuPercent: 30, loopDelayMs: 1 })),
  });
  const side = (cpu: number, runs: number[]) => ({ cpuSecondsPer1kDeliveries: cpu, p50Ms: 2, p99Ms: 8, deliveryRatio: 1, deliveredPerSecond: 1000, runs });
  const floorOf = (transport: TransportName, i: number, product: TransportResult) => {
    const overhead = 1.5 + i * 0.25;
    const productCpu = product.server!.cpuSecondsPer1kDeliveries!;
    return { transport, product: side(productCpu, [productCpu]), floor: side(productCpu / overhead, [productCpu / overhead]), overheadOverFloor: overhead, pairRatios: [overhead], floorResult: product };
  };
  const scenario = {
    scenario: 'room',
    title: 'Room fan-out (sample)',
    description: 'A sample report for the page tests.',
    parameters: { users: 50 },
    startedAt: '2026-12-01T00:00:00.000Z',
    finishedAt: '2026-12-01T00:01:00.000Z',
    transports: transports.map(result),
    notes: [],
    // The shape `room --floor` writes (product and floor medians, their ratio, per-pair ratios, the floor's run).
    ...(withFloor ? { floor: transports.map((transport, i) => floorOf(transport, i, result(transport, i))) } : {}),
  };
  return {
    tool: 'realtime-arena bench',
    command: 'npm run bench -- room',
    startedAt: scenario.startedAt,
    finishedAt: scenario.finishedAt,
    environment: { cpuModel: 'sample CPU', cpus: 2, nodeVersion: 'v20', v8: '11', platform: 'linux', kernel: '6', totalMemoryBytes: 8e9, gitCommit: undefined, pinning: { server: undefined, loadGenerator: undefined, taskset: false }, loadGeneratorNofile: 20000, server: { mode: 'child', url: undefined }, workers: 1 },
    scenarios: [scenario],
  };
}
