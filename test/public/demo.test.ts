// The demo page in headless Chromium: two pages on different transports see each other, switching
// through all five transports keeps the seqs contiguous, Disconnect and Join resume on every transport,
// and the page passes axe-core's serious/critical checks with keyboard use and visible focus.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { mintToken } from '../../src/auth.js';
import type { TransportName } from '../../src/domain/events.js';
import type { FastifyInstance } from 'fastify';
import { axeViolations, browserMissing, buildPages, launch, openPage, screenshot, type Chromium } from '../support/browser.js';
import { skipNotice } from '../support/skip-notice.js';

const missing = skipNotice(browserMissing() ?? false);

const TRANSPORTS: Exclude<TransportName, 'stomp-relay'>[] = ['websocket', 'stomp', 'sse', 'long-polling', 'short-polling'];
const WAIT = { timeout: 20_000 };

describe('demo page in Chromium', { skip: missing }, () => {
  let app: FastifyInstance;
  let base = '';
  let browser: Chromium;
  const problems: string[][] = [];

  before(async () => {
    buildPages();
    app = await buildApp({ logLevel: 'silent' }, { defaultMetrics: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await app.close();
  });

  async function demo(query: string): Promise<Page> {
    const { page, problems: p } = await openPage(browser, base);
    problems.push(p);
    await page.goto(`${base}/${query}`);
    return page;
  }

  async function publish(group: string, text: string, user = 'robot'): Promise<number> {
    const res = await fetch(`${base}/groups/${group}/events?user=${user}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'chat', text, sentAt: Date.now() }) });
    assert.equal(res.status, 202);
    return ((await res.json()) as { seq: number }).seq;
  }

  const cursorOf = (page: Page) => page.evaluate(() => window.arenaDemo.cursor);
  const receivedOf = (page: Page) => page.evaluate(() => window.arenaDemo.received);

  test('two pages on different transports in one group see each other\'s chat and location', async () => {
    const alice = await demo('?transport=websocket&group=pair');
    const bob = await demo('?transport=sse&group=pair');
    await alice.getByLabel('Name', { exact: true }).fill('alice');
    await bob.getByLabel('Name', { exact: true }).fill('bob');
    await alice.getByRole('button', { name: 'Join' }).click();
    await bob.getByRole('button', { name: 'Join' }).click();
    await alice.waitForFunction(() => window.arenaDemo.transport === 'websocket' && window.arenaDemo.joined);
    await bob.waitForFunction(() => window.arenaDemo.transport === 'sse');
    await alice.getByLabel('Message', { exact: true }).fill('hello from alice');
    await alice.getByRole('button', { name: 'Send' }).click();
    await bob.getByLabel('Message', { exact: true }).fill('hi alice, bob here');
    await bob.getByLabel('Message', { exact: true }).press('Enter');
    await bob.locator('#chat').getByText('hello from alice').waitFor(WAIT);
    await alice.locator('#chat').getByText('hi alice, bob here').waitFor(WAIT);
    // Each walks: the other's name is drawn on the map at their position, and both are online.
    await alice.locator('#map text', { hasText: /^bob$/ }).waitFor(WAIT);
    await bob.locator('#map text', { hasText: /^alice$/ }).waitFor(WAIT);
    await alice.locator('#online').getByText('bob').waitFor(WAIT);
    await alice.waitForFunction(() => document.querySelectorAll('#map polyline').length >= 1, undefined, WAIT);
    await screenshot(alice, 'demo');
    for (const page of [alice, bob]) {
      const r = await receivedOf(page);
      assert.ok(r.length >= 2);
      assert.deepEqual(r, r.map((_, i) => r[0]! + i), 'contiguous');
    }
    await alice.getByRole('button', { name: 'Disconnect' }).click();
    await bob.getByRole('button', { name: 'Disconnect' }).click();
  });

  test('switching through every transport in turn keeps received contiguous while another client publishes', async () => {
    const page = await demo('?transport=websocket&group=switch');
    await page.getByLabel('Name', { exact: true }).fill('switcher');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.waitForFunction(() => window.arenaDemo.transport === 'websocket');
    const start = 0; // a fresh group: the snapshot's seq
    let running = true;
    let last = 0;
    const publisher = (async () => {
      for (let i = 0; running && i < 2000; i++) {
        last = await publish('switch', `tick ${i}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    for (const next of [...TRANSPORTS.slice(1), 'websocket' as const]) {
      const before = (await receivedOf(page)).length;
      await page.waitForFunction((n) => window.arenaDemo.received.length >= n + 5, before, WAIT);
      await page.evaluate((n) => window.arenaDemo.switchTo(n), next);
      assert.equal(await page.evaluate(() => window.arenaDemo.transport), next);
    }
    await page.waitForFunction((n) => window.arenaDemo.received.length >= n + 5, (await receivedOf(page)).length, WAIT);
    running = false;
    await publisher;
    // At least the publisher's last seq: the page's own walk (a location every 2 s) may have published after it.
    await page.waitForFunction((seq) => (window.arenaDemo.cursor ?? 0) >= seq, last, WAIT);
    const received = await receivedOf(page);
    assert.ok(received.length >= last - start, `through the publisher's last seq ${last}: ${received.length} received`);
    assert.deepEqual(received, Array.from({ length: received.length }, (_, i) => start + 1 + i), `every seq after the snapshot, once, in order: ${JSON.stringify({ start, last, received })}`);
    assert.deepEqual(await page.evaluate(() => [window.arenaDemo.gaps, window.arenaDemo.duplicates]), [0, 0]);
    const log = await page.locator('#switches li').allTextContents();
    assert.equal(log.length, TRANSPORTS.length);
    for (const line of log) assert.match(line, /after seq (\d+): next seq \d+ ✓/);
    assert.match(await page.locator('#contiguity').textContent() ?? '', /no gap, no duplicate across 5 switches/);
    await page.getByRole('button', { name: 'Disconnect' }).click();
  });

  test('Disconnect then Join resumes on every transport, and the hint says so (never "closed 1005")', async () => {
    const page = await demo('?group=resume');
    await page.getByLabel('Name', { exact: true }).fill('resumer');
    await page.getByLabel('Share', { exact: true }).selectOption('off');
    for (const transport of TRANSPORTS) {
      await page.getByLabel('Transport', { exact: true }).selectOption(transport);
      await page.getByRole('button', { name: 'Join' }).click();
      await page.waitForFunction((n) => window.arenaDemo.transport === n, transport);
      const seen = await publish('resume', `before leaving ${transport}`);
      await page.waitForFunction((s) => window.arenaDemo.cursor === s, seen, WAIT);
      await page.getByRole('button', { name: 'Disconnect' }).click();
      await page.waitForFunction(() => window.arenaDemo.transport === null);
      // Events published while away; the socket's close (1005 on a client close) must not replace the hint.
      const away = [await publish('resume', `while away 1 ${transport}`), await publish('resume', `while away 2 ${transport}`)];
      await page.waitForTimeout(300);
      const hint = page.getByRole('status').first();
      assert.match(await hint.textContent() ?? '', new RegExp(`^Disconnected after seq ${seen}\\. Join resumes`), transport);
      assert.doesNotMatch(await hint.getAttribute('class') ?? '', /bad/, transport);
      await page.getByRole('button', { name: 'Join' }).click();
      await page.waitForFunction((s) => window.arenaDemo.cursor === s, away[1]!, WAIT);
      assert.doesNotMatch(await page.evaluate(() => window.arenaDemo.hint), /invalid_cursor|closed 1005/, transport);
      await page.getByRole('button', { name: 'Disconnect' }).click();
    }
    const received = await receivedOf(page);
    assert.deepEqual(received, received.map((_, i) => received[0]! + i), 'contiguous over five disconnect/resume cycles');
    assert.equal(received.length, TRANSPORTS.length * 3);
  });

  test('a WebSocket or STOMP connection cut by the server reconnects by itself and resumes from the cursor', async () => {
    const page = await demo('?group=cut');
    await page.getByLabel('Name', { exact: true }).fill('cutter');
    await page.getByLabel('Share', { exact: true }).selectOption('off');
    for (const transport of ['websocket', 'stomp'] as const) {
      await page.getByLabel('Transport', { exact: true }).selectOption(transport);
      await page.getByRole('button', { name: 'Join' }).click();
      await page.waitForFunction((n) => window.arenaDemo.transport === n && /^subscribed/.test(window.arenaDemo.hint), transport, WAIT);
      for (const socket of app.websockets) socket.terminate();
      await page.waitForFunction(() => /^connection lost \(close \d+\)/.test(window.arenaDemo.hint), undefined, WAIT);
      assert.equal(await page.getByRole('status').first().getAttribute('class'), 'hint bad', 'a real loss is shown as one');
      const missed = await publish('cut', `while cut ${transport}`);
      await page.waitForFunction((s) => window.arenaDemo.cursor === s && /^subscribed/.test(window.arenaDemo.hint), missed, WAIT);
      await page.getByRole('button', { name: 'Disconnect' }).click();
    }
    const received = await receivedOf(page);
    assert.deepEqual(received, received.map((_, i) => received[0]! + i));
    assert.equal(received.length, 2);
  });

  test('Join pressed twice quickly leaves one subscription: nothing arrives twice', async () => {
    const page = await demo('?transport=sse&group=twice');
    await page.getByLabel('Share', { exact: true }).selectOption('off');
    await page.getByRole('button', { name: 'Join' }).dblclick();
    await page.waitForFunction(() => window.arenaDemo.transport === 'sse' && /^stream open/.test(window.arenaDemo.hint), undefined, WAIT);
    let last = 0;
    for (let i = 0; i < 3; i++) last = await publish('twice', `once ${i}`);
    await page.waitForFunction((s) => window.arenaDemo.cursor === s, last, WAIT);
    await page.waitForTimeout(300);
    assert.deepEqual(await receivedOf(page), [1, 2, 3]);
    assert.equal(await page.evaluate(() => window.arenaDemo.duplicates), 0);
    await page.getByRole('button', { name: 'Disconnect' }).click();
  });

  test('"my real location" shares the browser\'s position once permission is given', async () => {
    await browser.context.grantPermissions(['geolocation'], { origin: base });
    await browser.context.setGeolocation({ latitude: 48.8584, longitude: 2.2945, accuracy: 12 });
    const page = await demo('?transport=websocket&group=real');
    await page.getByLabel('Name', { exact: true }).fill('eiffel');
    await page.getByLabel('Share', { exact: true }).selectOption('real');
    await page.getByRole('button', { name: 'Join' }).click();
    await page.locator('#map text', { hasText: 'eiffel (you)' }).waitFor(WAIT);
    const snap = (await (await fetch(`${base}/groups/real/snapshot`)).json()) as { members: { user: string; data: { lat: number; lng: number; accuracy: number } }[] };
    assert.deepEqual(snap.members.map((m) => [m.user, m.data.lat, m.data.lng, m.data.accuracy]), [['eiffel', 48.8584, 2.2945, 12]]);
    assert.match(await page.locator('#map').textContent() ?? '', /48\.85\d*°N/);
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await browser.context.clearPermissions();
  });

  test('with AUTH_SECRET, the token field works on every transport (Bearer, access_token, STOMP passcode)', async () => {
    const secure = await buildApp({ logLevel: 'silent', authSecret: 'demo-secret' }, { defaultMetrics: false });
    await secure.listen({ port: 0, host: '127.0.0.1' });
    const origin = `http://127.0.0.1:${(secure.server.address() as { port: number }).port}`;
    try {
      const { page, problems: p } = await openPage(browser, origin);
      problems.push(p);
      await page.goto(`${origin}/?group=team-1`);
      await page.getByLabel('Token', { exact: false }).fill(mintToken('demo-secret', { sub: 'carol', groups: ['team-*'] }));
      for (const transport of TRANSPORTS) {
        await page.getByLabel('Transport', { exact: true }).selectOption(transport);
        const before = (await receivedOf(page)).length;
        await page.getByRole('button', { name: 'Join' }).click();
        // The page's own walk is published on this transport with the token and comes back to it.
        await page.waitForFunction((n) => window.arenaDemo.received.length > n, before, WAIT);
        await page.locator('#map text', { hasText: 'carol (you)' }).waitFor(WAIT);
        assert.doesNotMatch(await page.evaluate(() => window.arenaDemo.hint), /unauthorized|forbidden/, transport);
        await page.getByRole('button', { name: 'Disconnect' }).click();
      }
      const received = await receivedOf(page);
      assert.deepEqual(received, received.map((_, i) => received[0]! + i));
      // A group outside the token is refused, and the page says why.
      await page.getByLabel('Group', { exact: true }).fill('elsewhere');
      await page.getByRole('button', { name: 'Join' }).click();
      await page.getByText(/cannot join: forbidden/).waitFor(WAIT);
    } finally {
      await secure.close();
    }
  });

  test('accessibility: named controls, keyboard use, visible focus, no serious or critical axe violation', async () => {
    const page = await demo('?group=a11y');
    for (const name of ['Transport', 'Group', 'Name', 'Message']) assert.equal(await page.getByLabel(name, { exact: true }).count(), 1, name);
    for (const name of ['Join', 'Send']) assert.equal(await page.getByRole('button', { name, exact: true }).count(), 1, name);
    // Keyboard only: Tab reaches the Join button, Enter joins, and the focused control shows an outline.
    await page.locator('body').focus();
    let reached = false;
    for (let i = 0; i < 20 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate(() => document.activeElement?.id === 'join');
    }
    assert.ok(reached, 'Join reachable with Tab');
    const outline = await page.evaluate(() => {
      const s = getComputedStyle(document.activeElement!);
      return { style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
    });
    assert.ok(outline.style !== 'none' && outline.width >= 2, `visible focus: ${JSON.stringify(outline)}`);
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => window.arenaDemo.joined && window.arenaDemo.received.length > 0, undefined, WAIT);
    await page.locator('#map circle').first().waitFor(WAIT);
    assert.deepEqual(await axeViolations(page), []);
    await page.getByRole('button', { name: 'Disconnect' }).click();
    assert.deepEqual(await axeViolations(page), []);
  });

  test('no page made a request outside its origin or threw', () => {
    assert.deepEqual(problems.flat(), []);
  });
});
