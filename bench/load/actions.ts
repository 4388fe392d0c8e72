import type { BenchClient, ClientSpec } from '../clients/types.js';
import { Histogram } from '../histogram.js';
import type { LoadEngine } from './engine.js';
import type { ReconnectReply } from './protocol.js';

/**
 * Scenario actions a worker performs on its clients: the reconnect storm, slow readers, users
 * leaving (ramp-down) and connect/leave cycles (soak). Every loop is bounded in count and time.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function ofRoles(engine: LoadEngine, roles: readonly string[]): BenchClient[] {
  return [...engine.clients.values()].filter((c) => roles.includes(c.spec.role));
}

/**
 * Drops every connected client of the roles at once and reconnects each right away with its
 * cursor, retrying a failed reconnect after a short back-off, `attempts` times at most.
 */
export async function dropAndReconnect(engine: LoadEngine, roles: readonly string[], attempts: number): Promise<ReconnectReply> {
  const targets = ofRoles(engine, roles).filter((c) => c.connected);
  const backMs = new Histogram();
  const started = engine.now();
  for (const client of targets) client.drop();
  const outcomes = await Promise.all(
    targets.map(async (client) => {
      for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
          await engine.reopen(client);
          backMs.record(engine.now() - started);
          return true;
        } catch (err) {
          engine.onError(client, `reconnect_${(err as Error).message}`);
          await sleep(Math.min(2000, 100 * 2 ** attempt));
        }
      }
      return false;
    }),
  );
  const back = outcomes.filter(Boolean).length;
  return { dropped: targets.length, back, failed: targets.length - back, backMs: backMs.toJSON() };
}

/** Stops reading on every client of the roles. */
export function pause(engine: LoadEngine, roles: readonly string[]): number {
  const targets = ofRoles(engine, roles);
  for (const client of targets) client.pause();
  return targets.length;
}

/**
 * Reads again; with `reopen`, a client the server cut meanwhile reconnects with its cursor (the
 * documented way back for a slow consumer).
 */
export async function resume(engine: LoadEngine, roles: readonly string[], reopen: boolean): Promise<{ resumed: number; reopened: number; failed: number }> {
  const targets = ofRoles(engine, roles);
  let reopened = 0;
  let failed = 0;
  for (const client of targets) client.resume();
  if (reopen) {
    await Promise.all(
      targets
        .filter((c) => !c.connected)
        .map(async (client) => {
          try {
            await engine.reopen(client);
            reopened++;
          } catch (err) {
            failed++;
            engine.onError(client, `reopen_${(err as Error).message}`);
          }
        }),
    );
  }
  return { resumed: targets.length, reopened, failed };
}

/**
 * A user leaves: read the group's head, wait (bounded) until everything up to it has arrived,
 * close, and book the subscription as owing exactly up to that head. That makes the expected count
 * exact for users who come and go while others keep publishing.
 */
export async function leave(engine: LoadEngine, client: BenchClient, waitMs: number): Promise<void> {
  let head: number | undefined;
  try {
    head = await engine.readHead(client.spec.group);
  } catch (err) {
    engine.onError(client, `leave_${(err as Error).message}`);
  }
  const deadline = engine.now() + waitMs;
  while (head !== undefined && client.connected && (client.tracker?.maxSeen ?? head) < head && engine.now() < deadline) await sleep(10);
  engine.retire(client, head);
}

/** The `count` most recently opened clients of a role leave (a ramp going down). */
export async function leaveSome(engine: LoadEngine, role: string, count: number, waitMs: number): Promise<number> {
  // Only users whose connect finished: one still opening is not "there" yet for the ramp.
  // Marked synchronously: two leave commands in flight must not pick the same users.
  const targets = ofRoles(engine, [role])
    .filter((c) => !Number.isNaN(c.connectMs) && !engine.leaving.has(c))
    .slice(-count);
  for (const client of targets) engine.leaving.add(client);
  await Promise.all(targets.map((client) => leave(engine, client, waitMs)));
  return targets.length;
}

/**
 * Soak: each spec is a user who connects, subscribes, stays `holdMin..holdMax` ms, leaves, and
 * starts over (a fresh subscription each time) until `untilMs`.
 */
export async function cycle(engine: LoadEngine, specs: readonly ClientSpec[], untilMs: number, holdMinMs: number, holdMaxMs: number, waitMs: number): Promise<number> {
  let cycles = 0;
  await Promise.all(
    specs.map(async (spec) => {
      while (engine.now() < untilMs) {
        const client = await engine.openOne(spec);
        if (!client) {
          await sleep(100);
          continue;
        }
        await sleep(holdMinMs + Math.random() * Math.max(0, holdMaxMs - holdMinMs));
        await leave(engine, client, waitMs);
        cycles++;
        engine.cycles++;
      }
    }),
  );
  return cycles;
}
