import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { ROOT } from './server-process.js';

/** Where the run happened: enough to tell two reports' machines apart. */
export interface Environment {
  cpuModel: string;
  cpus: number;
  nodeVersion: string;
  v8: string;
  platform: string;
  kernel: string;
  totalMemoryBytes: number;
  gitCommit: string | undefined;
  /** Whether `taskset` pinned the server and the load generator to disjoint CPUs. */
  pinning: { server: string | undefined; loadGenerator: string | undefined; taskset: boolean };
  /** Open-files limit of the load generator. */
  loadGeneratorNofile: number | undefined;
  server: { mode: 'child' | 'external'; url: string | undefined };
  workers: number;
}

function run(cmd: string, args: string[]): string | undefined {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], cwd: ROOT }).trim();
  } catch {
    return undefined;
  }
}

/** Whether the `taskset` tool exists. */
export function hasTaskset(): boolean {
  return run('taskset', ['-V']) !== undefined || run('which', ['taskset']) !== undefined;
}

/**
 * The default split on this machine: server on CPU 0, load generator on the others. With one CPU
 * there is nothing to split, and the report says the two shared it.
 */
export function defaultPinning(): { server: string | undefined; loadGenerator: string | undefined } {
  const cpus = os.cpus().length;
  if (cpus < 2 || !hasTaskset()) return { server: undefined, loadGenerator: undefined };
  return { server: '0', loadGenerator: cpus === 2 ? '1' : `1-${cpus - 1}` };
}

/** Pins every thread of this process (and threads it creates later) to `cpus`. */
export function pinSelf(cpus: string): boolean {
  return run('taskset', ['-a', '-p', '-c', cpus, String(process.pid)]) !== undefined;
}

/** The soft open-files limit of this process. */
export function ownNofile(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return undefined;
  }
}

/** Raises this process's open-files limit with prlimit (Node has no setrlimit); returns the new soft limit. */
export function raiseNofile(wanted: number): number | undefined {
  const current = ownNofile();
  if (current !== undefined && current >= wanted) return current;
  run('prlimit', ['--pid', String(process.pid), `--nofile=${wanted}:${wanted}`]);
  return ownNofile();
}

/** Describes the machine and how the run was set up. */
export function environment(options: { pinning: Environment['pinning']; server: Environment['server']; workers: number }): Environment {
  return {
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    cpus: os.cpus().length, // not availableParallelism(): that shrinks to 1 once we pin ourselves
    nodeVersion: process.version,
    v8: process.versions.v8,
    platform: `${os.platform()} ${os.arch()}`,
    kernel: os.release(),
    totalMemoryBytes: os.totalmem(),
    gitCommit: run('git', ['rev-parse', '--short', 'HEAD']),
    pinning: options.pinning,
    loadGeneratorNofile: ownNofile(),
    server: options.server,
    workers: options.workers,
  };
}

/** CPU seconds this whole process (all threads: main and workers) has used. */
export function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/**
 * Seconds this process's threads spent runnable but waiting for a CPU (/proc/self/task/N/schedstat,
 * second field), summed over threads; NaN where schedstat is not readable. On a shared machine this
 * is the host's contention made visible: a generator that waits here is starved, not saturated.
 */
export function ownRunqueueWaitSeconds(): number {
  try {
    let ns = 0;
    for (const tid of readdirSync('/proc/self/task')) {
      const fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
      ns += Number(fields[1]);
    }
    return ns / 1e9;
  } catch {
    return NaN;
  }
}

/** CPU seconds of this process spent in the kernel (socket reads and writes, epoll). */
export function ownSystemCpuSeconds(): number {
  return process.cpuUsage().system / 1e6;
}
