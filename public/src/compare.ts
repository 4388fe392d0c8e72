/**
 * The comparison page (`/compare`): a bench report (from reports/ or a file) as per-transport tables and
 * charts, the same figures as report.html, and a live view of this server's /metrics every second.
 * State is exposed on `window.arenaCompare` for browser tests.
 */
import type { BenchReport, ScenarioReport, TransportResult } from '../../bench/report/model.js';
import { charts } from '../../bench/report/html.js';
import { CLUSTER_NOTE, clusterTables } from '../../bench/report/cluster.js';
import { COLORS, barChart, lineChart } from '../../bench/report/svg.js';
import { accountingTable, floorTable, latencyTable, pollingTable, serverTable, type Table } from '../../bench/report/tables.js';
import { bytes as fmtBytes, fixed, int, ms as fmtMs, pct } from '../../bench/report/format.js';
import { TRANSPORTS } from './clients.js';
import { $, bytes, clock, el, ms, scriptsLoaded } from './dom.js';
import { liveFigures, parsePrometheus, type LiveFigures, type Scrape } from './prom.js';

const REFRESH_MS = 1000;
const HISTORY_POINTS = 60;

/** A floor comparison as report.json carries it when the run had `--floor` (read loosely: older reports lack it). */
/** Overhead over floor as report.json carries it when the run had `--floor` (absent in other reports). */
type WithFloor = ScenarioReport;

const state = {
  ready: false,
  transports: [] as string[],
  live: null as LiveFigures | null,
  report: null as string | null,
  scenarios: [] as string[],
  /** Refreshes drawn in the live charts so far (at most 60). */
  points: 0,
};

// ---- live view ----

let previous: Scrape | null = null;
const history: { t: number; delivered: Record<string, number>; cpu: number | null }[] = [];
const started = performance.now();

function renderTable(t: Table, caption: string): HTMLElement {
  const wrap = el('div', 'scroll');
  const table = el('table', 'grid');
  table.append(el('caption', 'muted', caption));
  const head = el('tr');
  for (const h of t.header) {
    const th = el('th', '', h);
    th.scope = 'col';
    head.append(th);
  }
  table.append(el('thead'), el('tbody'));
  table.tHead!.append(head);
  for (const row of t.rows) {
    const tr = el('tr');
    row.forEach((cell, i) => {
      const c = el(i === 0 ? 'th' : 'td', '', cell);
      if (i === 0) (c as HTMLTableCellElement).scope = 'row';
      tr.append(c);
    });
    table.tBodies[0]!.append(tr);
  }
  wrap.append(table);
  return wrap;
}

function swatch(transport: string): HTMLElement {
  const s = el('span', 'swatch');
  s.style.background = COLORS[transport] ?? '#888';
  s.setAttribute('aria-hidden', 'true');
  return s;
}

function renderLive(f: LiveFigures, at: number): void {
  const body = $<HTMLTableElement>('live-table').tBodies[0]!;
  body.replaceChildren();
  for (const r of f.rows) {
    const tr = el('tr');
    const name = el('th');
    name.scope = 'row';
    name.append(swatch(r.transport), r.transport);
    tr.dataset.transport = r.transport;
    tr.append(name);
    for (const v of [r.deliveredPerSec === null ? '–' : r.deliveredPerSec.toFixed(r.deliveredPerSec < 10 ? 1 : 0), ms(r.p50Ms), ms(r.p99Ms), r.connections === null ? '–' : String(r.connections), r.bytesPerSec === null ? '–' : `${bytes(r.bytesPerSec)}/s`]) tr.append(el('td', '', v));
    body.append(tr);
  }
  const tiles = $('live-tiles');
  tiles.replaceChildren();
  const tile = (value: string, label: string) => {
    const t = el('div', 'tile');
    t.append(el('b', '', value), el('span', '', label));
    tiles.append(t);
  };
  tile(f.cpuPercent === null ? '–' : `${f.cpuPercent.toFixed(1)} %`, 'server CPU (100 % = one core)');
  tile(bytes(f.rssBytes), 'server memory (RSS)');
  tile(f.rows.reduce((n, r) => n + (r.connections ?? 0), 0).toLocaleString('en-US'), 'open connections, all transports');
  tile(clock(at), 'last refresh');
  const series = state.transports.map((t) => ({ name: t, points: history.map((h): [number, number] => [h.t, h.delivered[t] ?? NaN]) }));
  const cpu = [{ name: 'server CPU %', points: history.map((h): [number, number] => [h.t, h.cpu ?? NaN]) }];
  $('live-charts').innerHTML =
    lineChart({ title: 'Events delivered per second, by transport', xLabel: 'seconds since this page opened', yLabel: 'events/s', series }) +
    lineChart({ title: 'Server CPU (whole process)', xLabel: 'seconds since this page opened', yLabel: 'CPU %', series: cpu });
}

async function refresh(): Promise<void> {
  try {
    const response = await fetch('/metrics', { cache: 'no-store' });
    const text = await response.text();
    const cur: Scrape = { at: performance.now(), samples: parsePrometheus(text) };
    const f = liveFigures(previous, cur, TRANSPORTS);
    previous = cur;
    state.transports = f.rows.map((r) => r.transport);
    state.live = f;
    if (f.rows.some((r) => r.deliveredPerSec !== null)) {
      history.push({ t: Math.round((cur.at - started) / 1000), delivered: Object.fromEntries(f.rows.map((r) => [r.transport, r.deliveredPerSec ?? NaN])), cpu: f.cpuPercent });
      if (history.length > HISTORY_POINTS) history.shift();
      state.points = history.length;
    }
    renderLive(f, Date.now());
    state.ready = true;
  } catch {
    // the server is away for a moment: keep the last figures and try again
  } finally {
    setTimeout(() => void refresh(), REFRESH_MS);
  }
}

// ---- bench report ----

function overheadOf(s: WithFloor, transport: string): number | null {
  return s.floor?.find((f) => f.transport === transport)?.overheadOverFloor ?? null;
}

/** The figures the issue names, one row per transport. */
function summaryTable(s: WithFloor): Table {
  const hasFloor = (s.floor?.length ?? 0) > 0;
  const header = ['transport', 'status', 'delivery', 'delivered / expected', 'gaps / dups', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'deliveries/s', 'CPU s / 1k deliveries', ...(hasFloor ? ['overhead over floor'] : []), 'bytes / delivery', 'KB / connection'];
  const rows = s.transports.map((r: TransportResult) => {
    if (r.status !== 'ok') return [r.transport, r.status, ...header.slice(2).map(() => '-')];
    const a = r.accounting;
    const perConn = r.server?.rssPerConnectionBytes;
    return [
      r.transport,
      r.checks.every((c) => c.ok) ? 'ok' : 'MISS',
      pct(a.deliveryRatio),
      `${int(a.delivered)} / ${int(a.expected)}`,
      `${int(a.gaps)} / ${int(a.duplicates)}`,
      fmtMs(r.latencyMs.p50),
      fmtMs(r.latencyMs.p90),
      fmtMs(r.latencyMs.p99),
      fmtMs(r.latencyMs.max),
      int(r.throughput.deliveredPerSecond),
      fixed(r.server?.cpuSecondsPer1kDeliveries ?? null, 4),
      ...(hasFloor ? [overheadOf(s, r.transport) === null ? '-' : `${fixed(overheadOf(s, r.transport), 2)}×`] : []),
      fixed(r.server?.bytesPerDelivery ?? null, 0),
      perConn === null || perConn === undefined ? '-' : fixed(perConn / 1024, 1),
    ];
  });
  return { header, rows };
}

function scenarioSection(s: WithFloor): HTMLElement {
  const section = el('section', 'scenario');
  section.setAttribute('aria-label', s.title);
  section.append(el('h3', '', `${s.title} (${s.scenario})`), el('p', 'muted', s.description));
  const summary = renderTable(summaryTable(s), 'Per transport: delivery, latency percentiles, CPU, bytes and memory');
  for (const cell of summary.querySelectorAll('tbody td:first-of-type')) cell.className = cell.textContent === 'ok' ? 'status-ok' : 'status-miss';
  section.append(summary);
  const ok = s.transports.filter((r) => r.status === 'ok');
  let svg = charts(s);
  const perDelivery = ok.map((r) => r.server?.bytesPerDelivery ?? null);
  if (perDelivery.some((v) => v !== null)) {
    svg += barChart({ title: 'Wire bytes per delivered event', unit: 'bytes', categories: ok.map((r) => r.transport), series: [{ name: 'bytes', values: perDelivery }], colorByCategory: true, format: (v) => fixed(v, 0) });
  }
  const overhead = ok.map((r) => overheadOf(s, r.transport));
  if (overhead.some((v) => v !== null)) {
    svg += barChart({ title: 'CPU overhead over the floor server (1 = as cheap as the floor)', unit: '×', categories: ok.map((r) => r.transport), series: [{ name: 'overhead', values: overhead }], colorByCategory: true, format: (v) => fixed(v, 2) });
  }
  const box = el('div');
  box.innerHTML = svg; // built by the report's own SVG writer, every text escaped
  const chartsBox = box.querySelector('.charts') ?? box;
  if (chartsBox !== box) chartsBox.append(...[...box.children].filter((c) => c !== chartsBox));
  chartsBox.className = 'charts';
  section.append(chartsBox);
  const more = el('details');
  more.append(el('summary', '', 'Every table of report.html for this scenario'));
  more.append(renderTable(accountingTable(s.transports), 'Delivery accounting'), renderTable(latencyTable(s.transports), 'End-to-end latency (ms)'), renderTable(serverTable(s.transports), 'Server (measured from the server process)'));
  const polling = pollingTable(s.transports);
  if (polling) more.append(renderTable(polling, 'Polling'));
  const cluster = clusterTables(s.transports);
  if (cluster) more.append(renderTable(cluster.processes, 'Instances'), renderTable(cluster.broker, 'Redis'), el('p', 'muted', CLUSTER_NOTE));
  const floor = floorTable(s);
  if (floor) more.append(renderTable(floor, 'Overhead over floor (product CPU s/1k ÷ floor CPU s/1k, medians of interleaved runs)'));
  section.append(more);
  return section;
}

function isReport(value: unknown): value is BenchReport {
  const r = value as BenchReport;
  return !!r && Array.isArray(r.scenarios) && r.scenarios.every((s) => s && Array.isArray(s.transports));
}

function showReport(value: unknown, name: string): void {
  const box = $('report');
  box.replaceChildren();
  if (!isReport(value)) {
    $('report-status').textContent = `${name} is not a bench report.json (no scenarios with transports).`;
    return;
  }
  try {
    const e = value.environment;
    const env = el('p', 'muted', `${value.command ?? ''} — run ${value.startedAt ?? '?'} → ${value.finishedAt ?? '?'}${e ? `; ${e.cpuModel}, ${e.cpus} CPUs, ${fmtBytes(e.totalMemoryBytes)} RAM, Node ${e.nodeVersion}` : ''}`);
    box.append(env, ...value.scenarios.map((s) => scenarioSection(s)));
    state.report = name;
    state.scenarios = value.scenarios.map((s) => s.scenario);
    $('report-status').textContent = `Showing ${name}: ${value.scenarios.length} scenario${value.scenarios.length === 1 ? '' : 's'}.`;
  } catch (err) {
    box.replaceChildren();
    $('report-status').textContent = `${name} could not be read by this version: ${(err as Error).message}`;
  }
}

let loads = 0;
async function loadNamed(name: string): Promise<void> {
  const attempt = ++loads; // the last report picked wins over a slower earlier one
  $('report-status').textContent = `Loading ${name}…`;
  const response = await fetch(`/reports/${encodeURIComponent(name)}`);
  if (attempt !== loads) return;
  if (!response.ok) {
    $('report-status').textContent = `Cannot load ${name}: HTTP ${response.status}`;
    return;
  }
  const body: unknown = await response.json();
  if (attempt === loads) showReport(body, name);
}

async function listReports(): Promise<void> {
  const select = $<HTMLSelectElement>('report-select');
  const { reports } = (await (await fetch('/reports')).json()) as { reports: { name: string; modified: number }[] };
  select.replaceChildren();
  if (reports.length === 0) {
    select.append(new Option('(none found)', ''));
    $('report-status').textContent = 'No report under reports/ yet: run `npm run bench -- room` (or open a report.json).';
    return;
  }
  for (const r of reports) select.append(new Option(`${r.name} (${new Date(r.modified).toLocaleString()})`, r.name));
  const wanted = new URLSearchParams(location.search).get('report');
  select.value = wanted && reports.some((r) => r.name === wanted) ? wanted : reports[0]!.name;
  await loadNamed(select.value);
}

function setup(): void {
  scriptsLoaded();
  $('report-select').addEventListener('change', (e) => {
    const name = (e.target as HTMLSelectElement).value;
    if (name) void loadNamed(name);
  });
  $('report-file').addEventListener('change', async (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (!file) return;
    try {
      loads++; // a report still loading from reports/ must not replace the opened file
      showReport(JSON.parse(await file.text()), file.name);
    } catch (err) {
      $('report-status').textContent = `${file.name} is not JSON: ${(err as Error).message}`;
    }
  });
  void listReports().catch((err: unknown) => ($('report-status').textContent = `Cannot list reports: ${(err as Error).message}`));
  void refresh();
}

declare global {
  interface Window {
    /** The comparison page's state for browser tests (see the issue's testing hook). */
    arenaCompare: typeof state;
  }
}
window.arenaCompare = state;
setup();
