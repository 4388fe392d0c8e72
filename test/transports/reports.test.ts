import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { buildTestApp } from '../support/server.js';
import { REPORT_LIMITS } from '../../transports/reports.js';

function reportsDir(t: TestContext): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'arena-reports-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function addRun(dir: string, name: string, ageSeconds: number, body = `{"scenarios":[],"name":"${name}"}`): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  const file = path.join(dir, name, 'report.json');
  writeFileSync(file, body);
  const at = Date.now() / 1000 - ageSeconds;
  utimesSync(file, at, at);
}

test('GET /reports lists runs newest first; GET /reports/:name serves that report.json', async (t) => {
  const dir = reportsDir(t);
  addRun(dir, 'room-20261130-120000', 3600);
  addRun(dir, 'room-20261201-120000', 60);
  mkdirSync(path.join(dir, 'no-report-here'));
  writeFileSync(path.join(dir, 'stray.json'), '{}');
  const app = await buildTestApp(t, {}, { reportsDir: dir });
  const list = (await app.inject({ url: '/reports' })).json() as { reports: { name: string; modified: number; bytes: number }[] };
  assert.deepEqual(list.reports.map((r) => r.name), ['room-20261201-120000', 'room-20261130-120000']);
  assert.ok(list.reports[0]!.bytes > 0 && list.reports[0]!.modified > list.reports[1]!.modified);
  const one = await app.inject({ url: '/reports/room-20261130-120000' });
  assert.equal(one.statusCode, 200);
  assert.match(one.headers['content-type'] as string, /application\/json/);
  assert.equal(one.json().name, 'room-20261130-120000');
});

test('the listing is bounded: at most REPORT_LIMITS.listed runs', async (t) => {
  const dir = reportsDir(t);
  for (let i = 0; i < REPORT_LIMITS.listed + 7; i++) addRun(dir, `run-${String(i).padStart(3, '0')}`, 1000 - i);
  const app = await buildTestApp(t, {}, { reportsDir: dir });
  const list = (await app.inject({ url: '/reports' })).json() as { reports: { name: string }[] };
  assert.equal(list.reports.length, REPORT_LIMITS.listed);
  assert.equal(list.reports[0]!.name, `run-${String(REPORT_LIMITS.listed + 6).padStart(3, '0')}`);
});

test('names are folder names only: traversal, separators and symlinks out of the folder are not found', async (t) => {
  const dir = reportsDir(t);
  const outside = reportsDir(t);
  addRun(outside, 'secret', 0, '{"secret":true}');
  symlinkSync(path.join(outside, 'secret'), path.join(dir, 'linked-out'));
  addRun(dir, 'fine', 0);
  const app = await buildTestApp(t, {}, { reportsDir: dir });
  for (const url of ['/reports/..', '/reports/.hidden', '/reports/..%2Fsecret', '/reports/%2e%2e', '/reports/fine%2F..%2F..%2Fetc', '/reports/linked-out', '/reports/nope', `/reports/${'a'.repeat(200)}`]) {
    const res = await app.inject({ url });
    // URL normalisation may turn a dotted name into another route (the demo page): never a report.
    assert.ok(res.statusCode === 404 || !/json/.test(String(res.headers['content-type'])), `${url}: ${res.statusCode}`);
    assert.doesNotMatch(res.body, /secret"?:/, url);
  }
  const list = (await app.inject({ url: '/reports' })).json() as { reports: { name: string }[] };
  assert.deepEqual(list.reports.map((r) => r.name), ['fine']);
});

test('no reports folder yet: an empty list; public even with auth on', async (t) => {
  const app = await buildTestApp(t, { authSecret: 'report-secret' }, { reportsDir: path.join(os.tmpdir(), 'arena-no-such-folder') });
  const res = await app.inject({ url: '/reports' });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.json(), { reports: [] });
});
