// The GC hook preloaded into the bench's server child: SIGUSR2 → full GC → one settled memory line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { GcLineReader } from '../../bench/gc-report.js';
import { ROOT } from '../../bench/server-process.js';

test('SIGUSR2 makes the hook collect and report RSS and heap spaces once RSS settled', async (t) => {
  const hook = path.join(ROOT, 'bench', 'server-gc-hook.mjs');
  // A child that allocates 50 MB of garbage, then idles until killed.
  const child = spawn(process.execPath, ['--expose-gc', '--import', hook, '-e', 'let a=[];for(let i=0;i<5e5;i++)a.push({i,s:"x"+i});a=null;process.stdout.write("ready\\n");setInterval(()=>{},1000)'], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => child.kill());
  const reader = new GcLineReader();
  child.stderr.on('data', (d: Buffer) => reader.push(d.toString()));
  await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
  const next = reader.next(10_000);
  child.kill('SIGUSR2');
  const m = await next;
  assert.ok(m, 'a report within 10 s');
  assert.ok(m.rss > 0 && m.heapUsed > 0 && m.heapUsed < 30e6, `heap used after GC: ${m.heapUsed}`);
  assert.ok(m.spaces.new_space && m.spaces.old_space, 'per-space figures');
  assert.ok(m.settledMs >= 200 && m.settledMs <= 3500, `settled after ${m.settledMs} ms (at least the 5-read window, at most the bound)`);
});
