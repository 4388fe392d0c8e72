import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { buildServer } from '../src/build.mjs';

const at = (file: string) => new URL(`../${file}`, import.meta.url);

test('src/build.mjs writes every source of src/ and transports/ to dist/ as JavaScript with a map, and a second run writes nothing', async () => {
  const first = await buildServer();
  const sources = ['src', 'transports'].flatMap((dir) =>
    (readdirSync(at(dir), { recursive: true }) as string[]).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => `${dir}/${f}`),
  );
  assert.equal(first.files, sources.length);
  for (const file of sources) {
    const out = `dist/${file.replace(/\.ts$/, '.js')}`;
    assert.ok(existsSync(at(out)), `${out} written`);
    const map = JSON.parse(readFileSync(at(`${out}.map`), 'utf8')) as { sources: string[] };
    if (map.sources.length === 0) {
      // A file of types only (transports/stomp-relay/relay-broker.ts) compiles to nothing to map.
      assert.match(readFileSync(at(out), 'utf8'), /^\/\/# sourceMappingURL=[^\n]+\n$/, `${out} is empty`);
      continue;
    }
    assert.equal(map.sources.length, 1);
    assert.ok(existsSync(new URL(map.sources[0]!, at(out))), `${out}.map points at ${file}`);
  }
  const main = readFileSync(at('dist/src/main.js'), 'utf8');
  assert.doesNotMatch(main, /: Promise<void>|interface /, 'types are gone');
  assert.match(main, /\/\/# sourceMappingURL=main\.js\.map\n$/);
  assert.deepEqual(await buildServer(), { files: sources.length, changed: 0 });
  assert.deepEqual(readdirSync(at('dist/src')).filter((f) => f.endsWith('.tmp')), [], 'no temporary file left behind');
});

test('the compiled server starts from dist/ and finds the pages and the reports folder from there', { timeout: 30000 }, async () => {
  await buildServer();
  const probe = createServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const port = (probe.address() as { port: number }).port;
  probe.close();
  const child = spawn(process.execPath, ['dist/src/main.js', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: at('.'),
    env: { ...process.env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => (output += d));
  try {
    let up = false;
    for (let i = 0; i < 150 && !up; i++) {
      up = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
      if (!up) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(up, `dist/src/main.js did not start: ${output}`);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<html/i);
    const reports = await fetch(`http://127.0.0.1:${port}/reports`);
    assert.equal(reports.status, 200);
  } finally {
    child.kill('SIGKILL');
  }
});
