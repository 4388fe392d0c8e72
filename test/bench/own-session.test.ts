import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../bench/server-process.js';
import { ownSessionChildren, spawnInOwnSession } from '../../bench/own-session.js';

/** Session id and command name of a pid, from /proc/<pid>/stat. */
function stat(pid: number): { session: number; comm: string } {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const comm = text.slice(text.indexOf('(') + 1, text.lastIndexOf(')'));
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' '); // state ppid pgrp session ...
  return { session: Number(fields[3]), comm };
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  const until = Date.now() + withinMs;
  while (Date.now() < until) {
    // A zombie still has /proc/<pid>; its state is Z.
    if (!existsSync(`/proc/${pid}`) || readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.startsWith('Z')) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

test('the child leads a session of its own and keeps the command\'s pid', async () => {
  const child = spawnInOwnSession('sleep', ['30'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  await new Promise((r) => setTimeout(r, 100)); // setsid execs sleep
  const s = stat(child.pid!);
  assert.equal(s.comm, 'sleep');
  assert.equal(s.session, child.pid, 'sleep is its session leader');
  assert.notEqual(s.session, stat(process.pid).session);
  assert.equal(ownSessionChildren(), 1);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
  assert.equal(ownSessionChildren(), 0);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  test(`a bench stopped by ${signal} takes its own-session children with it`, async () => {
    const script = `import { spawnInOwnSession } from ${JSON.stringify(path.join(ROOT, 'bench/own-session.ts'))};
const c = spawnInOwnSession('sleep', ['30'], { stdio: 'ignore' });
c.once('spawn', () => setTimeout(() => process.stdout.write(c.pid + '\\n'), 100));
setInterval(() => {}, 1000);`;
    const bench = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      bench.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
      bench.once('exit', () => reject(new Error('bench exited early')));
    });
    assert.equal(stat(pid).comm, 'sleep');
    const code = new Promise<number | null>((r) => bench.once('exit', (c) => r(c)));
    bench.kill(signal);
    assert.equal(await code, signal === 'SIGINT' ? 130 : 143);
    assert.ok(await gone(pid, 3000), 'the sleep went with the bench');
  });
}
