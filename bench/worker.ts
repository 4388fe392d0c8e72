/**
 * Load worker entry (a worker_thread): runs many clients and answers the main thread's commands.
 * One LoadEngine per phase: `begin` creates it for a server, `finish` books and closes its clients.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { cycle, dropAndReconnect, leaveSome, pause, resume } from './load/actions.js';
import { LoadEngine } from './load/engine.js';
import type { Command, WorkerInit, WorkerMessage } from './load/protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (message: WorkerMessage) => port.postMessage(message);
let engine: LoadEngine | undefined;

const idle = { expected: 0, delivered: 0, received: 0, connected: 0 };

async function execute(command: Command): Promise<unknown> {
  if (command.op === 'begin') {
    engine?.finish({});
    engine?.dispose();
    engine = new LoadEngine(init, command.target, post);
    return {};
  }
  if (!engine) {
    // Between phases: a progress ping or a cleanup finish has nothing to report.
    if (command.op === 'progress') return idle;
    if (command.op === 'finish') return { roles: {}, errors: {}, publish: { sent: 0, accepted: 0, failed: 0, skipped: 0 }, polls: { requests: 0, empty: 0, rtt: { buckets: [], count: 0, sum: 0, min: 0, max: 0 } }, cycles: 0, lateEvents: 0, openAtFinish: 0 };
    throw new Error(`'${command.op}' before 'begin'`);
  }
  const e = engine;
  switch (command.op) {
    case 'open':
      return e.openAll(command.specs, command.concurrency);
    case 'window-start':
      e.windowStart();
      return {};
    case 'latency-reset':
      e.latencyReset();
      return {};
    case 'publish':
      e.startPublishing(command.plan);
      return {};
    case 'stop-publishing':
      await e.stopPublishing();
      return { ...e.publishing };
    case 'drop-reconnect':
      return dropAndReconnect(e, command.roles, command.attempts);
    case 'pause':
      return { paused: pause(e, command.roles) };
    case 'resume':
      return resume(e, command.roles, command.reopen);
    case 'leave':
      return { left: await leaveSome(e, command.role, command.count, command.waitMs) };
    case 'cycle':
      return { cycles: await cycle(e, command.specs, command.untilMs, command.holdMinMs, command.holdMaxMs, command.waitMs) };
    case 'progress':
      return e.progress(command.heads);
    case 'finish': {
      const result = e.finish(command.heads);
      e.dispose();
      engine = undefined;
      return result;
    }
  }
}

port.on('message', (message: { id: number; command: Command }) => {
  execute(message.command).then(
    (result) => post({ type: 'reply', id: message.id, result }),
    (err: unknown) => post({ type: 'reply', id: message.id, error: (err as Error).stack ?? String(err) }),
  );
});
