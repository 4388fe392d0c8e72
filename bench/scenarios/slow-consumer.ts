import type { TransportName } from '../../src/domain/events.js';
import type { ScenarioReport, TransportResult } from '../report/model.js';
import { rssWithoutYoung } from '../gc-report.js';
import { buildResult, check, unfinishedResult } from '../result.js';
import type { Phase, RunContext } from './phase.js';
import { runTransport } from './run.js';

/** Parameters of the slow-consumer scenario. */
export interface SlowParams {
  subscribers: number;
  slow: number;
  publishers: number;
  intervalMs: number;
  textLength: number;
  durationS: number;
  /** Seconds into the run when the slow ones stop reading. */
  pauseAtS: number;
  maxBufferedBytes: number;
  historySize: number;
}

export const SLOW_CONSUMER = {
  name: 'slow-consumer',
  title: 'Slow consumers: some subscribers stop reading',
  description:
    'A published experiment asked for backpressure. In one group, some subscribers stop reading from their sockets while ' +
    'publishing goes on with large chat events. Measured: whether the others keep their latency and get everything, how far ' +
    'server memory grows, what the server reports (slow_consumer cuts and dropped events), and whether the slow ones, once they ' +
    'read again, see the cut signal and resume by cursor without loss.',
};

const STREAMING: readonly TransportName[] = ['sse', 'websocket', 'stomp'];

export function slowParams(ctx: RunContext): SlowParams {
  const a = ctx.args;
  const subscribers = a.clients ?? 20;
  return {
    subscribers,
    slow: a.slow ?? Math.max(1, Math.round(subscribers / 5)),
    publishers: 2,
    intervalMs: a.interval ?? 5,
    textLength: a.textLength ?? 1000,
    durationS: a.duration ?? 20,
    pauseAtS: Math.min(2, (a.duration ?? 20) / 4),
    maxBufferedBytes: 1024 * 1024,
    historySize: 20_000,
  };
}

async function slowRun(phase: Phase, p: SlowParams): Promise<TransportResult> {
  const group = phase.group(0);
  await phase.open(phase.specs(p.publishers, { role: 'publisher', groups: 1, publishOnly: true }));
  await phase.open(phase.specs(p.subscribers - p.slow, { role: 'subscriber', groups: 1 }));
  await phase.open(phase.specs(p.slow, { role: 'slow', groups: 1 }));
  // Retained memory, read after a full GC without the young generation, before publishing and at its
  // end (with the slow ones still stalled): what buffering kept. The peak RSS also holds the young
  // generation, which the server's --max-semi-space-size=32 lets grow by up to ~64 MB more under
  // load whatever the buffering (src/node-flags.ts). A server the bench did not start has no such
  // read: its check falls back to the peak.
  const settledBefore = (await phase.server.settledMemory?.()) ?? null;
  await phase.startWindow();
  const durationMs = p.durationS * 1000;
  await phase.publish({ roles: ['publisher'], intervalMs: p.intervalMs, kind: 'chat', textLength: p.textLength }, durationMs);
  await phase.wait(Math.round(p.pauseAtS * 1000));
  await phase.ctx.pool.all({ op: 'pause', roles: ['slow'] });
  await phase.wait(durationMs - Math.round(p.pauseAtS * 1000));
  await phase.stopPublishing();
  const during = await phase.mark();
  const settledAtEnd = settledBefore ? ((await phase.server.settledMemory?.()) ?? null) : null;
  // Read again: each slow client first drains what the kernel held and meets the cut signal,
  // then (second call) reconnects with its cursor if the server cut it.
  await phase.ctx.pool.all({ op: 'resume', roles: ['slow'], reopen: false });
  await phase.wait(Math.min(2000, p.durationS * 250));
  const reopened = await phase.ctx.pool.all<{ reopened: number; failed: number }>({ op: 'resume', roles: ['slow'], reopen: true });
  const drain = await phase.drain([group], 10_000, 300, 1500);
  await phase.endWindow();
  const merged = await phase.finish(drain.heads);

  const before = phase.before!;
  const after = phase.after!;
  const counter = (m: typeof during, name: string) => m.metrics.sum(name, { transport: phase.transport, reason: 'slow_consumer' }) - before.metrics.sum(name, { transport: phase.transport, reason: 'slow_consumer' });
  // A cut WebSocket/STOMP connection only counts as closed once its close handshake ends (the
  // paused peer never answers, so ws waits its 30 s close timeout): count cuts by the dropped
  // counter, which the server bumps at the cut itself, and report both.
  const cut = counter(during, 'rt_dropped_events_total');
  // Seen by a slow client: the server's own signal (close 4008, STOMP ERROR, SSE error event) when
  // it got through, or the connection ending without a close frame once the client read again.
  const explicitSignals = merged.errors.slow_consumer ?? 0;
  const droppedSignals = merged.errors.cut_after_stall ?? 0;
  const signals = explicitSignals + droppedSignals;
  const rssGrowth = phase.progress.peakRssBytes - before.sample.rssBytes;
  const retainedGrowth = settledBefore && settledAtEnd ? rssWithoutYoung(settledAtEnd) - rssWithoutYoung(settledBefore) : null;
  const result = buildResult(phase, merged, {
    parameters: { ...p },
    roles: ['subscriber'],
    activeSeconds: p.durationS,
    cutConsumers: cut,
    extra: {
      droppedCounterAtEndOfPublishing: cut,
      closedAsSlowAtEndOfPublishing: counter(during, 'rt_connections_closed_total'),
      closedAsSlowAtEnd: counter(after, 'rt_connections_closed_total'),
      droppedCounterAtEnd: counter(after, 'rt_dropped_events_total'),
      cutSignalsSeenByClients: signals,
      cutSignalsExplicit: explicitSignals,
      cutSignalsAsDroppedConnection: droppedSignals,
      reopened: reopened.reduce((a, r) => a + r.reopened, 0),
      serverRssGrowthBytes: rssGrowth,
      serverRetainedGrowthBytes: retainedGrowth,
    },
  });
  const healthy = result.roles.subscriber?.accounting;
  const slow = result.roles.slow?.accounting;
  const bound = p.slow * p.maxBufferedBytes * 2 + 64 * 1024 * 1024;
  result.checks.push(
    check('healthy subscribers got everything', !!healthy && healthy.delivered === healthy.expected && healthy.duplicates === 0, healthy ? `${healthy.delivered} of ${healthy.expected}, ${healthy.duplicates} duplicates` : 'no data'),
    check('server cut the slow consumers', cut >= p.slow && signals >= p.slow, `rt_dropped_events_total{reason="slow_consumer"} +${cut}; ${signals} cut signals seen by the ${p.slow} slow clients (${explicitSignals} slow_consumer, ${droppedSignals} connection ended after the stall)`),
    retainedGrowth !== null
      ? check(
          'server memory bounded',
          retainedGrowth <= bound,
          `RSS without the young generation, after a full GC, grew ${mb(retainedGrowth)} MB from before publishing to its end (bound ${mb(bound, 0)} MB = 2 x slow x MAX_BUFFERED_BYTES + 64 MB); the peak RSS, young generation included, grew ${mb(rssGrowth)} MB`,
        )
      : check('server memory bounded', rssGrowth <= bound, `RSS grew ${mb(rssGrowth)} MB (bound ${mb(bound, 0)} MB = 2 x slow x MAX_BUFFERED_BYTES + 64 MB)`),
    check(
      'slow consumers resumed by cursor without loss',
      !!slow && slow.gaps === 0,
      (slow ? `${slow.delivered} of ${slow.expected}, ${slow.gaps} lost, ${slow.duplicates} duplicates` : 'no data') +
        (signals > p.slow ? `; cut again while the server replayed the backlog on resume (${signals - p.slow} extra cut signals): a backlog larger than MAX_BUFFERED_BYTES trips the limit during its own replay` : ''),
    ),
  );
  return result;
}

/** Streaming transports only: a poller that stops asking costs the server nothing to buffer. */
export async function runSlowConsumer(ctx: RunContext): Promise<ScenarioReport> {
  const startedAt = new Date().toISOString();
  const p = slowParams(ctx);
  const env = { MAX_BUFFERED_BYTES: String(p.maxBufferedBytes), HISTORY_SIZE: String(p.historySize) };
  const transports: TransportResult[] = [];
  for (const transport of ctx.args.transports) {
    if (!STREAMING.includes(transport)) {
      transports.push(unfinishedResult(transport, 'skipped', 'not a stream: a poller that stops asking leaves nothing buffered on the server; it resumes by cursor within HISTORY_SIZE', { ...p }));
      continue;
    }
    transports.push(await runTransport(ctx, 'slow-consumer', transport, { ...p }, env, (phase) => slowRun(phase, p)));
  }
  return {
    ...SLOW_CONSUMER,
    scenario: SLOW_CONSUMER.name,
    parameters: { ...p },
    startedAt,
    finishedAt: new Date().toISOString(),
    transports,
    notes: [
      `${p.publishers} publishers, one ${p.textLength}-character chat event every ${p.intervalMs} ms each; ${p.slow} of ${p.subscribers} subscribers stop reading at ${p.pauseAtS} s`,
      'the headline accounting and latency are the healthy subscribers\'; the slow ones are in "By role"',
      'the kernel socket buffers fill before the server\'s own buffer grows, so the cut comes some seconds after the pause',
    ],
  };
}

function mb(bytes: number, digits = 1): string {
  return (bytes / 1048576).toFixed(digits);
}
