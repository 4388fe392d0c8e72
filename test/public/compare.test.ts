// The comparison page in headless Chromium: a bench report from reports/ rendered as tables and
// charts (with and without overhead over floor), and the live /metrics view for all five transports.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { TransportName } from '../../src/domain/events.js';
import { openClient, type TestClient } from '../clients/index.js';
import { sampleReport } from '../support/report-fixture.js';
import { axeViolations, browserMissing, buildPages, launch, openPage, screenshot, type Chromium } from '../support/browser.js';
import { skipNotice } from '../support/skip-notice.js';

const missing = skipNotice(browserMissing() ?? false);

const TRANSPORTS: TransportName[] = ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp'];
const WAIT = { timeout: 20_000 };

describe('compare page in Chromium', { skip: missing }, () => {
  let app: FastifyInstance;
  let base = '';
  let browser: Chromium;
  let dir = '';

  before(async () => {
    buildPages();
    dir = mkdtempSync(path.join(os.tmpdir(), 'arena-compare-'));
    const write = (name: string, body: unknown, age: number) => {
      mkdirSync(path.join(dir, name));
      writeFileSync(path.join(dir, name, 'report.json'), JSON.stringify(body));
      const at = Date.now() / 1000 - age;
      utimesSync(path.join(dir, name, 'report.json'), at, at);
    };
    write('room-older-without-floor', sampleReport(false), 600);
    write('room-latest-with-floor', sampleReport(true), 10);
    app = await buildApp({ logLevel: 'silent' }, { defaultMetrics: true, reportsDir: dir });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the latest report is shown with per-transport figures and charts; an older one without floor figures too', async () => {
    const { page, problems } = await openPage(browser, base);
    await page.goto(`${base}/compare`);
    await page.waitForFunction(() => window.arenaCompare.report === 'room-latest-with-floor', undefined, WAIT);
    const table = page.locator('#report table').first();
    const header = await table.locator('thead th').allTextContents();
    for (const h of ['delivery', 'p50 ms', 'p90 ms', 'p99 ms', 'CPU s / 1k deliveries', 'overhead over floor', 'bytes / delivery', 'KB / connection']) assert.ok(header.includes(h), h);
    const rows = await table.locator('tbody tr').allTextContents();
    assert.equal(rows.length, 5);
    for (const t of TRANSPORTS) assert.ok(rows.some((r) => r.startsWith(t)), t);
    assert.ok(rows.some((r) => r.startsWith('stomp') && r.includes('2.50×')), 'overhead over floor from the report');
    const charts = await page.locator('#report .charts svg').evaluateAll((svgs) => svgs.map((s) => s.getAttribute('aria-label')));
    for (const title of ['End-to-end latency (log scale)', 'Delivery ratio (delivered / expected)', 'Server CPU-seconds per 1,000 delivered events', 'Server memory per connection', 'Wire bytes per delivered event', 'CPU overhead over the floor server (1 = as cheap as the floor)']) assert.ok(charts.includes(title), title);
    await page.getByText('Every table of report.html for this scenario').click();
    assert.equal(await page.locator('#report details caption', { hasText: /^Overhead over floor/ }).count(), 1);
    await page.getByLabel('Report under reports/').selectOption('room-older-without-floor');
    await page.waitForFunction(() => window.arenaCompare.report === 'room-older-without-floor', undefined, WAIT);
    const older = await page.locator('#report table').first().locator('thead th').allTextContents();
    assert.ok(!older.includes('overhead over floor') && older.includes('bytes / delivery'));
    assert.equal(await page.locator('#report .charts svg[aria-label^="CPU overhead"]').count(), 0);
    assert.equal(await page.locator('#report details caption', { hasText: /^Overhead over floor/ }).count(), 0);
    assert.deepEqual(problems, []);
  });

  test('a report.json opened from disk is shown; a file that is not a report says so', async () => {
    const { page, problems } = await openPage(browser, base);
    await page.goto(`${base}/compare`);
    await page.waitForFunction(() => window.arenaCompare.report !== null, undefined, WAIT);
    await page.getByLabel('Open a report.json').setInputFiles({ name: 'mine.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(sampleReport(false))) });
    await page.waitForFunction(() => window.arenaCompare.report === 'mine.json', undefined, WAIT);
    await page.getByLabel('Open a report.json').setInputFiles({ name: 'junk.json', mimeType: 'application/json', buffer: Buffer.from('{"hello":1}') });
    await page.getByText('junk.json is not a bench report.json').waitFor(WAIT);
    assert.deepEqual(problems, []);
  });

  test('live /metrics for all five transports while clients of each receive events', async () => {
    const clients: TestClient[] = [];
    for (const t of TRANSPORTS) {
      const c = await openClient(t, base, { user: `live-${t}`, pollMs: 200 });
      await c.subscribe('live', 0);
      clients.push(c);
    }
    let running = true;
    const publisher = (async () => {
      for (let i = 0; running && i < 3000; i++) {
        await fetch(`${base}/groups/live/events?user=pub`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'chat', text: `m${i}` }) });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      const { page, problems } = await openPage(browser, base);
      await page.goto(`${base}/compare`);
      await page.waitForFunction(() => window.arenaCompare.ready, undefined, WAIT);
      assert.deepEqual(await page.evaluate(() => window.arenaCompare.transports), ['websocket', 'stomp', 'sse', 'long-polling', 'short-polling']);
      // Every transport delivering, as the page reads it from /metrics, and shown in its row.
      await page.waitForFunction(() => window.arenaCompare.live!.rows.every((r) => (r.deliveredPerSec ?? 0) > 0 && r.p50Ms !== null && (r.bytesPerSec ?? 0) > 0), undefined, WAIT);
      await page.waitForFunction(() => window.arenaCompare.live!.cpuPercent !== null, undefined, WAIT);
      for (const t of TRANSPORTS) {
        const cells = await page.locator(`#live-table tr[data-transport="${t}"] td`).allTextContents();
        assert.equal(cells.length, 5, t);
        assert.notEqual(cells[0], '–', `${t} delivered/s`);
      }
      // Streams stay open; a long-poll is counted while it waits (between two answers it may read 0).
      await page.waitForFunction(() => window.arenaCompare.live!.rows.filter((r) => ['sse', 'websocket', 'stomp'].includes(r.transport)).every((r) => r.connections >= 1), undefined, WAIT);
      await page.waitForFunction(() => window.arenaCompare.live!.rows.find((r) => r.transport === 'long-polling')!.connections >= 1, undefined, WAIT);
      await page.waitForFunction(() => window.arenaCompare.points >= 3, undefined, WAIT);
      assert.ok((await page.locator('#live-charts svg path').count()) >= 5, 'a line per transport');
      await page.waitForFunction(() => window.arenaCompare.report !== null, undefined, WAIT);
      await screenshot(page, 'compare');
      assert.deepEqual(await axeViolations(page), []);
      assert.deepEqual(problems, []);
    } finally {
      running = false;
      await publisher;
      await Promise.all(clients.map((c) => c.close()));
    }
  });
});
