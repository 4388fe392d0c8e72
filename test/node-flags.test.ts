import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVER_NODE_FLAGS } from '../src/node-flags.js';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');

test('npm start, the Dockerfile and the bench run the server with SERVER_NODE_FLAGS', () => {
  const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
  assert.equal(start, `node src/build.mjs && exec node ${SERVER_NODE_FLAGS.join(' ')} dist/src/main.js`);
  const cmd = /^CMD (\[.*\])$/m.exec(read('Dockerfile'));
  assert.ok(cmd, 'the Dockerfile has a CMD');
  assert.deepEqual(JSON.parse(cmd[1]!), ['node', ...SERVER_NODE_FLAGS, 'dist/src/main.js']);
  assert.match(read('bench/server-process.ts'), /nodeArgs = \[\.\.\.SERVER_NODE_FLAGS,/);
  const wrk = read('bench/tools/wrk-short-poll-ab.sh');
  for (const entry of ['dist/bench/floors/main.js', 'dist/src/main.js']) assert.ok(wrk.includes(`node ${SERVER_NODE_FLAGS.join(' ')} ${entry}`), `the wrk A/B starts ${entry} with them`);
});

test('the flags are ones this Node accepts', async () => {
  const { spawnSync } = await import('node:child_process');
  const run = spawnSync(process.execPath, [...SERVER_NODE_FLAGS, '-e', 'process.exit(0)'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stderr, '');
});
