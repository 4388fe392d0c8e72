import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { Authenticator } from '../../src/auth.js';

const run = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', 'src/tools/token.ts', ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });

test('npm run token mints a token the server accepts', () => {
  const token = execFileSync(process.execPath, ['--import', 'tsx', 'src/tools/token.ts', '--sub', 'u1', '--groups', 'g1,team-*', '--ttl', '120'], {
    env: { ...process.env, AUTH_SECRET: 'cli-secret' },
    encoding: 'utf8',
  }).trim();
  const principal = new Authenticator('cli-secret').verify(token);
  assert.deepEqual([principal.user, principal.groups], ['u1', ['g1', 'team-*']]);
  assert.ok(principal.expiresAt! <= Date.now() + 120_000);
});

test('the token CLI explains what is missing', () => {
  const noSecret = run(['--sub', 'u1', '--groups', 'g1'], { AUTH_SECRET: '' });
  assert.equal(noSecret.status, 2);
  assert.match(noSecret.stderr, /no secret/);
  const noSub = run(['--groups', 'g1', '--secret', 's']);
  assert.equal(noSub.status, 2);
  assert.match(noSub.stderr, /--sub and --groups/);
});
