// The three report files and the printed summary, from one synthetic report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { renderHtml } from '../../../bench/report/html.js';
import { renderJson } from '../../../bench/report/json.js';
import { renderMarkdown } from '../../../bench/report/md.js';
import { summaryTable } from '../../../bench/report/summary.js';
import { writeReports } from '../../../bench/report/write.js';
import { report } from './fixture.js';

test('markdown has the environment, every table, checks, the sweep and failures', () => {
  const md = renderMarkdown(report());
  for (const needle of ['Test CPU', 'Node v20.0.0', 'server on CPU 0, load generator on CPU 1', '### Delivery accounting', '### End-to-end latency', '### Server (measured', '### Polling', '### Do the three sources agree?', 'knee: N=300, 90,000 deliveries/s', '❌ **short-polling**: 100 % delivery — 97 of 100', '**stomp**: failed — server exited', '97.00 %', 'a note']) {
    assert.ok(md.includes(needle), `missing: ${needle}`);
  }
  assert.ok(!md.includes('log line'), 'only the first line of a failure reason');
});

test('html is self-contained, escaped, and has the five charts as inline SVG', () => {
  const html = renderHtml(report());
  assert.ok(html.startsWith('<!doctype html>'));
  assert.ok(!/<script|<link|src="http/.test(html), 'no external assets or scripts');
  assert.ok(html.includes('Room &lt;fan-out&gt;') && html.includes('desc &amp; more'));
  assert.ok(!html.includes('<than>'));
  for (const title of ['End-to-end latency (log scale)', 'Delivery ratio', 'Events received per second', 'Server CPU-seconds per 1,000', 'Server memory per connection', 'p99 latency by users']) {
    assert.ok(html.includes(title), `missing chart: ${title}`);
  }
  assert.equal((html.match(/<svg /g) ?? []).length, 6);
});

test('json round-trips, with non-finite numbers as null', () => {
  const r = report();
  r.scenarios[0]!.transports[0]!.extra.inf = Infinity;
  const back = JSON.parse(renderJson(r));
  assert.equal(back.scenarios[0].transports[0].extra.inf, null);
  assert.equal(back.environment.cpuModel, 'Test CPU');
  assert.equal(back.scenarios[0].transports.length, 3);
});

test('summary table lists every transport, knees and missed checks', () => {
  const s = summaryTable(report());
  assert.match(s, /\| room +\| websocket +\| ok/);
  assert.match(s, /\| room +\| short-polling \| MISS/);
  assert.match(s, /knee websocket: N=300/);
  assert.match(s, /missed checks:\n {2}room\/short-polling: 100 % delivery/);
});

test('writeReports writes the three files', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'bench-report-'));
  await writeReports(report(), dir);
  for (const f of ['report.json', 'report.md', 'report.html']) assert.ok((await readFile(path.join(dir, f), 'utf8')).length > 500, f);
});

test('capacity memory table: fitted figures, repeats and the floor beside the product, in md and html', () => {
  const r = report();
  const s = r.scenarios[0]!;
  const ws = s.transports[0]!;
  ws.extra = {
    rssPerConnectionBytes: 3072,
    jsHeapAndExternalPerConnectionBytes: 4096,
    rssPerConnectionBasis: 'RSS without the young generation',
    rssRawPerConnectionBytes: 7168,
    rssWithoutYoungPerConnectionBytes: 2048,
    rssWithoutYoungDriftDuringHoldPerConnectionBytes: 512,
    rssPerConnectionHalfToHeldBytes: 6144,
    memoryFit: { rss: { slope: 7168, intercept: 1, slopeStdError: 999, r2: 0.5, points: 6 }, js: null, rssWithoutYoung: { slope: 3072, intercept: 1, slopeStdError: 102.4, r2: 0.9991, points: 6 } },
    repeats: [{ rssPerConnectionBytes: 3072 }, { rssPerConnectionBytes: 5120 }],
    medians: { rssPerConnectionBytes: 4096, jsHeapAndExternalPerConnectionBytes: 4096, rssWithoutYoungPerConnectionBytes: 2048 },
  };
  s.memoryFloor = [{ transport: 'websocket', product: { rssPerConnectionBytes: 4096, jsPerConnectionBytes: 4096, rssWithoutYoungPerConnectionBytes: 2048, runs: [3072, 5120] }, floor: { rssPerConnectionBytes: 1024, jsPerConnectionBytes: 3072, rssWithoutYoungPerConnectionBytes: 1024, runs: [1024] }, rssOverFloorBytes: 3072, jsOverFloorBytes: 1024 }];
  const md = renderMarkdown(r);
  assert.ok(md.includes('### Memory per held connection'));
  const row = md.split('\n').find((l) => l.startsWith('| websocket') && l.includes('0.9991'))!;
  assert.ok(row, 'a memory row for websocket');
  for (const cell of ['4.00 KB', 'RSS without the young generation', '0.10 KB', '7.00 KB', '0.50 KB', '6.00 KB', '3.00 KB / 5.00 KB', '1.00 KB']) assert.ok(row.includes(cell), `missing ${cell} in ${row}`);
  assert.ok(renderHtml(r).includes('Memory per held connection'));
  // Without fitted reads there is no memory table.
  assert.ok(!renderMarkdown(report()).includes('### Memory per held connection'));
});
