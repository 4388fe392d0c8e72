import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { openStream } from './support/raw-http.js';


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

describe('main', () => {
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
