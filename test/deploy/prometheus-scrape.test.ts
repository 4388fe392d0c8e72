// End to end through a real Prometheus: the server's /metrics is scrapable, the delivered-events
// counter counts what SSE subscribers really received, and the recording rules evaluate on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildApp } from '../../src/app.js';
import { root } from './promql.js';
import { skipNotice } from '../support/skip-notice.js';

const PROMETHEUS = '/usr/bin/prometheus';
const EVENTS = 5;
const SUBSCRIBERS = 2;

/** Polls `probe` until it returns a value other than undefined; throws after `ms`. */
async function until<T>(what: string | (() => string), ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await sleep(250);
  }
  const described = typeof what === 'function' ? what() : what;
  throw new Error(`timed out after ${ms} ms waiting for ${described}${last ? `: ${last}` : ''}`);
}

/** A port that was free a moment ago (Prometheus needs a number, not port 0). */
async function freePort(): Promise<number> {
  const srv = net.createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => srv.once('listening', resolve));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((resolve) => srv.close(resolve));
  return port;
}

/** An SSE subscriber that counts the events (`id:` lines) it has read. */
function subscribe(url: string): Promise<{ received: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    let received = 0;
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`GET ${url}: ${res.statusCode}`));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffered += chunk;
        const lines = buffered.split('\n');
        buffered = lines.pop()!;
        received += lines.filter((l) => l.startsWith('id:')).length;
      });
      res.on('error', () => {}); // destroyed on close
      resolve({ received: () => received, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

test('a real Prometheus scrape counts 5 events x 2 SSE subscribers as 10 sse deliveries', async (t) => {
  if (!existsSync(PROMETHEUS)) {
    t.skip(skipNotice(`${PROMETHEUS} not installed (Debian package prometheus)`));
    return;
  }
  const cleanups: (() => unknown)[] = [];
  t.after(async () => {
    for (const fn of cleanups.reverse()) await fn();
  });

  const app = await buildApp({ logLevel: 'silent', broker: 'memory', shutdownGraceMs: 0 });
  cleanups.push(() => app.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  const appUrl = `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`;

  // Prometheus scrapes the test server every second and evaluates the repo's own recording rules.
  const dir = mkdtempSync(join(tmpdir(), 'arena-prom-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    rule_files: [join(root, 'prometheus/rules.yml')],
    scrape_configs: [{ job_name: 'realtime-arena', static_configs: [{ targets: [new URL(appUrl).host] }] }],
  };
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config)); // JSON is YAML
  const promPort = await freePort();
  const prom = spawn(PROMETHEUS, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${promPort}`,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prom.stderr.setEncoding('utf8').on('data', (s: string) => { log = (log + s).slice(-4000); });
  cleanups.push(async () => {
    if (prom.exitCode !== null) return;
    const exited = new Promise((resolve) => prom.once('exit', resolve));
    prom.kill('SIGTERM');
    if (await Promise.race([exited.then(() => true), sleep(5000).then(() => false)])) return;
    prom.kill('SIGKILL');
    await exited;
  });
  const promUrl = `http://127.0.0.1:${promPort}`;
  /** Instant query; resolves to the result vector. Throws (with Prometheus's log) if it died. */
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    if (prom.exitCode !== null) throw new Error(`prometheus exited with ${prom.exitCode}:\n${log}`);
    const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body: any = await res.json();
    assert.equal(body.status, 'success', JSON.stringify(body));
    return body.data.result;
  };
  await until('prometheus /-/ready', 20_000, async () => ((await fetch(`${promUrl}/-/ready`)).ok ? true : undefined));

  // since=0 replays from the start, so an event published while a subscription is still being set
  // up is delivered anyway: the count does not depend on timing.
  const subs = await Promise.all(Array.from({ length: SUBSCRIBERS }, () => subscribe(`${appUrl}/sse/groups/g1?since=0`)));
  for (const s of subs) cleanups.push(s.close);
  for (let i = 0; i < EVENTS; i++) {
    const res = await fetch(`${appUrl}/groups/g1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'chat', text: 'hi' }),
    });
    assert.equal(res.status, 202, await res.text());
  }
  await until(`each subscriber reading ${EVENTS} events`, 10_000, async () =>
    subs.every((s) => s.received() >= EVENTS) ? true : undefined);
  assert.deepEqual(subs.map((s) => s.received()), Array(SUBSCRIBERS).fill(EVENTS));

  // The counter has one series per event type: sum them.
  let seen = 'nothing';
  const expected = `rt_events_delivered_total{transport="sse"} = ${EVENTS * SUBSCRIBERS}`;
  const delivered = await until(() => `${expected} (last seen: ${seen})`, 20_000, async () => {
    const result = await query('rt_events_delivered_total{transport="sse"}');
    const sum = result.reduce((acc, r) => acc + Number(r.value[1]), 0);
    seen = JSON.stringify(result.map((r) => ({ ...r.metric, value: r.value[1] })));
    return sum === EVENTS * SUBSCRIBERS ? sum : undefined;
  });
  assert.equal(delivered, EVENTS * SUBSCRIBERS);

  // The recording rules run against the real metric names: open SSE streams are seen per transport,
  // and the delivered rate is recorded for sse (its value depends on scrape timing, its presence not).
  const open = await until('transport:rt_connections:sum{transport="sse"} = 2', 20_000, async () => {
    const [r] = await query('transport:rt_connections:sum{transport="sse"}');
    return r && Number(r.value[1]) === SUBSCRIBERS ? Number(r.value[1]) : undefined;
  });
  assert.equal(open, SUBSCRIBERS);
  const rate = await until('transport:rt_events_delivered:rate30s{transport="sse"}', 20_000, async () => {
    const [r] = await query('transport:rt_events_delivered:rate30s{transport="sse"}');
    return r ? Number(r.value[1]) : undefined;
  });
  assert.ok(rate >= 0);
});
