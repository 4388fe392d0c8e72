/**
 * The bench's server side — server instances, floors and the redis-server it starts — runs in
 * sessions of their own (`setsid`), as services do in a deployment, rather than in the bench's.
 *
 * Why: with scheduler autogroups on (Linux's default, `/proc/sys/kernel/sched_autogroup_enabled`),
 * the processes of one session share one group's slice of a CPU. Two instances and Redis pinned to
 * the same CPU inside the bench's session queue behind each other as one group; each in a session of
 * its own is scheduled as an equal of the others, which is what a deployment of separate services
 * gets. Measured on the two-instance Redis room (docs/benchmarks.md, "Many instances on Redis"): the
 * accept → arrival p99 was lower in 7 of 8 interleaved pairs, median 9.0 against 10.3 ms.
 *
 * A child in another session no longer gets the terminal's Ctrl-C with the bench's process group,
 * so the bench kills every child started here when it is interrupted (SIGINT, SIGTERM, SIGHUP) or
 * exits. A `kill -9` of the bench leaves them running, as it leaves any child.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants } from 'node:os';

const running = new Set<ChildProcess>();
let hooked = false;

/**
 * `spawn(command, args, options)` in a new session. The pid is the command's own: `setsid` execs it
 * without forking, because a child spawned without `detached` does not lead a process group.
 */
export function spawnInOwnSession(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  hookExit();
  const child = spawn('setsid', [command, ...args], options);
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.once('error', () => running.delete(child));
  return child;
}

/** Children started here and still running (for tests). */
export function ownSessionChildren(): number {
  return running.size;
}

function killAll(): void {
  for (const child of running) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(128 + constants.signals[signal]);
    });
  }
}
