import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { openStream } from './support/raw-http.js';
import { SERVER_NODE_FLAGS } from '../src/node-flags.js';


async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  server.close();
  return port;
}

function start(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', ...args], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
  return { child, exited, output: () => output };
}

/** Polls GET /healthz until it answers, for at most ~20 s. */
async function healthy(port: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('main', () => {
  test('npm start: its start line, no line per request, and SIGTERM to the npm process stops the server within the grace', { timeout: 60000 }, async () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
    // src/build.mjs first (dist/ is what runs), then `exec`: npm's shell becomes node, so the SIGTERM npm
    // forwards reaches the server (no sh or tsx CLI between).
    assert.equal(pkg.scripts.start, `node src/build.mjs && exec node ${SERVER_NODE_FLAGS.join(' ')} dist/src/main.js`);
    const port = await freePort();
    // The real thing: npm itself (the same npm that runs `npm test`, else the one on PATH).
    const npm = process.env.npm_execpath;
    const [file, pre] = npm && /\.c?js$/.test(npm) ? [process.execPath, [npm]] : ['npm', []];
    const child = spawn(file, [...pre, 'start', '--silent', '--', '--port', String(port), '--host', '127.0.0.1'], {
      env: { ...process.env, LOG_LEVEL: 'info', LOG_FORMAT: 'pretty', SHUTDOWN_GRACE_MS: '1000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = once(child, 'exit') as Promise<[number | null, string | null]>;
    try {
      assert.ok(await healthy(port), `server did not start: ${output}`);
      for (let i = 0; i < 5; i++) await fetch(`http://127.0.0.1:${port}/poll/groups/g?since=0`);
      const lines = output.trim().split('\n');
      assert.equal(lines.length, 1, `one line at start-up, none per request:\n${output}`);
      assert.match(lines[0]!, new RegExp(`INFO realtime-arena listening on http://127\\.0\\.0\\.1:${port} · broker memory · auth off · demo http://127\\.0\\.0\\.1:${port}/ · compare http://127\\.0\\.0\\.1:${port}/compare · metrics http://127\\.0\\.0\\.1:${port}/metrics`));
      const started = Date.now();
      child.kill('SIGTERM');
      await exited;
      assert.ok(Date.now() - started < 1000 + 2000, 'within SHUTDOWN_GRACE_MS plus the 2 s hard stop');
      // npm exits with the server; make sure the server really is gone, not orphaned behind it.
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await fetch(`http://127.0.0.1:${port}/healthz`).then(() => 'up', () => 'down'), 'down');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a busy port says so and exits 2, like a configuration error', { timeout: 30000 }, async () => {
    const blocker = createServer();
    blocker.listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = start(['--port', String(port), '--host', '127.0.0.1']);
      const [code] = await run.exited;
      assert.equal(code, 2);
      assert.equal(run.output().trim(), `realtime-arena: port ${port} is in use; set PORT`);
    } finally {
      blocker.close();
    }
  });

  test('a bad variable or flag stops start-up with a message naming it', async () => {
    for (const [args, env, name] of [[['--port', 'abc'], {}, 'PORT'], [[], { BROKER: 'kafka' }, 'BROKER'], [['--nope', '1'], {}, 'NOPE']] as const) {
      const run = start([...args], { ...env });
      const [code] = await run.exited;
      assert.equal(code, 2, name);
      assert.match(run.output(), new RegExp(`bad configuration: ${name}`));
    }
  });

  test('serves on --port and exits 0 on SIGTERM, ending open streams first', { timeout: 30000 }, async () => {
    const port = await freePort();
    const run = start(['--port', String(port), '--host', '127.0.0.1']);
    try {
      let stream;
      for (let i = 0; i < 200 && !stream; i++) {
        stream = await openStream(`http://127.0.0.1:${port}/sse/groups/g`).catch(() => undefined);
        if (!stream) await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(stream, `server did not start: ${run.output()}`);
      const started = Date.now();
      run.child.kill('SIGTERM');
      const [code] = await run.exited;
      assert.equal(code, 0);
      assert.ok(Date.now() - started < 5000);
      await stream.ended;
      assert.match(stream.text(), /shutting_down/);
    } finally {
      run.child.kill('SIGKILL');
    }
  });
});
