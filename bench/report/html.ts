import type { BenchReport, ScenarioReport, TransportResult } from './model.js';
import { bytes, fixed, pct } from './format.js';
import { barChart, esc, lineChart } from './svg.js';
import { CLUSTER_NOTE, clusterTables } from './cluster.js';
import { accountingTable, agreementTable, attackTable, floorTable, memoryTable, headlineTable, latencyTable, ok, pollingTable, profileTable, rolesTable, serverTable, sweepTable, MEMORY_TITLE, type Table } from './tables.js';

/** report.html: one self-contained page, charts as inline SVG, the same tables as report.md. */

function html(t: Table): string {
  const head = t.header.map((h) => `<th>${esc(h)}</th>`).join('');
  const rows = t.rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** The charts of one scenario (also drawn by the comparison page, so both show the same figures). */
export function charts(s: ScenarioReport): string {
  const rs = ok(s.transports);
  if (rs.length === 0) return '';
  const names = rs.map((r) => r.transport);
  const out: string[] = [];
  out.push(
    barChart({
      title: 'End-to-end latency (log scale)',
      unit: 'ms',
      categories: names,
      series: (['p50', 'p90', 'p99'] as const).map((p) => ({ name: p, values: rs.map((r) => r.latencyMs[p]) })),
      log: true,
    }),
  );
  out.push(
    barChart({
      title: 'Delivery ratio (delivered / expected)',
      unit: '%',
      categories: names,
      series: [{ name: 'delivery', values: rs.map((r) => r.accounting.deliveryRatio * 100) }],
      colorByCategory: true,
      format: (v) => `${+v.toFixed(2)}`,
    }),
  );
  const series = rs.filter((r) => r.timeline.length > 1).map((r) => ({ name: r.transport, points: r.timeline.map((p): [number, number] => [p.t, p.received]) }));
  if (series.length) out.push(lineChart({ title: 'Events received per second', xLabel: 'seconds into the run', yLabel: 'events/s', series }));
  const cpu = rs.map((r) => r.server?.cpuSecondsPer1kDeliveries ?? null);
  if (cpu.some((v) => v !== null)) {
    out.push(barChart({ title: 'Server CPU-seconds per 1,000 delivered events', unit: 'CPU s / 1k', categories: names, series: [{ name: 'CPU', values: cpu }], colorByCategory: true, format: (v) => fixed(v, 3) }));
  }
  const perConn = rs.map((r) => (r.server?.rssPerConnectionBytes ?? null) === null ? null : r.server!.rssPerConnectionBytes! / 1024);
  if (perConn.some((v) => v !== null)) {
    out.push(barChart({ title: 'Server memory per connection', unit: 'KB', categories: names, series: [{ name: 'RSS', values: perConn }], colorByCategory: true, format: (v) => fixed(v, 1) }));
  } else {
    out.push(barChart({ title: 'Server RSS peak', unit: 'MB', categories: names, series: [{ name: 'RSS', values: rs.map((r) => (r.server ? r.server.rssPeakBytes / 1048576 : null)) }], colorByCategory: true, format: (v) => fixed(v, 0) }));
  }
  return `<div class="charts">${out.join('')}</div>`;
}

function checks(rs: TransportResult[]): string {
  const items = rs.flatMap((r) => [
    ...(r.status !== 'ok' ? [`<li class="skip"><b>${esc(r.transport)}</b>: ${esc(r.status)} — ${esc((r.reason ?? '').split('\n')[0]!)}</li>`] : []),
    ...r.checks.map((c) => `<li class="${c.ok ? 'pass' : 'fail'}">${c.ok ? '✔' : '✘'} <b>${esc(r.transport)}</b>: ${esc(c.name)} — ${esc(c.detail)}</li>`),
  ]);
  return `<ul class="checks">${items.join('')}</ul>`;
}

function section(s: ScenarioReport): string {
  const parts = [`<section><h2>${esc(s.title)}</h2><p>${esc(s.description)}</p><p class="params">Parameters: <code>${esc(JSON.stringify(s.parameters))}</code></p>`];
  if (s.attacks) parts.push('<h3>Attacks</h3>', html(attackTable(s.attacks)));
  parts.push('<h3>Summary</h3>', html(headlineTable(s)), charts(s));
  if (s.sweep) {
    parts.push(`<h3>Sweep (pass: delivery ≥ ${esc(pct(s.sweep.bound.deliveryRatio))}, p99 ≤ ${s.sweep.bound.p99Ms} ms)</h3>`);
    for (const w of s.sweep.results) {
      parts.push(`<p><b>${esc(w.transport)}</b> — knee: ${w.knee ? `N=${w.knee.clients}, ${Math.round(w.knee.deliveriesPerSecond).toLocaleString('en-US')} deliveries/s` : 'none'}; stopped: ${esc(w.stoppedBecause)}</p>`, html(sweepTable(w)));
      const pts = w.steps.map((st): [number, number] => [st.clients, st.p99Ms ?? NaN]);
      parts.push(lineChart({ title: `${w.transport}: p99 latency by users`, xLabel: 'users (N)', yLabel: 'p99 ms', series: [{ name: w.transport, points: pts }] }));
    }
  }
  const floor = floorTable(s);
  if (floor) parts.push('<h3>Overhead over floor (product CPU s/1k ÷ floor CPU s/1k, medians of interleaved runs)</h3>', html(floor));
  const memory = memoryTable(s);
  if (memory) parts.push(`<h3>${esc(MEMORY_TITLE)}</h3>`, html(memory));
  parts.push('<h3>Checks</h3>', checks(s.transports));
  parts.push('<h3>Delivery accounting</h3>', html(accountingTable(s.transports)));
  const roles = rolesTable(s.transports);
  if (roles) parts.push('<h3>By role</h3>', html(roles));
  parts.push('<h3>End-to-end latency (ms)</h3>', html(latencyTable(s.transports)));
  parts.push('<h3>Server (measured from the server process)</h3>', html(serverTable(s.transports)));
  const cluster = clusterTables(s.transports);
  if (cluster) parts.push('<h3>Instances and Redis</h3>', html(cluster.processes), html(cluster.broker), `<p>${esc(CLUSTER_NOTE)}</p>`);
  const polling = pollingTable(s.transports);
  if (polling) parts.push('<h3>Polling</h3>', html(polling));
  parts.push('<h3>Do the three sources agree?</h3>', html(agreementTable(s.transports)));
  for (const r of s.transports.filter((t) => t.profile)) parts.push(`<h3>Server CPU profile: ${esc(r.transport)}</h3>`, html(profileTable(r)));
  const extras = ok(s.transports).filter((r) => Object.keys(r.extra).length);
  if (extras.length) parts.push('<h3>Scenario figures</h3><ul>', ...extras.map((r) => `<li><b>${esc(r.transport)}</b>: <code>${esc(JSON.stringify(r.extra))}</code></li>`), '</ul>');
  if (s.notes.length) parts.push('<h3>Notes</h3><ul>', ...s.notes.map((n) => `<li>${esc(n)}</li>`), '</ul>');
  parts.push('</section>');
  return parts.join('\n');
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0 16px;font-size:12px}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:12px}
.charts svg{border:1px solid #eee;background:#fff}.checks{list-style:none;padding-left:0}.pass{color:#1a7f37}.fail{color:#cf222e}
.skip{color:#777}code{font-size:11px;word-break:break-all}section{border-top:2px solid #ddd;margin-top:24px}`;

/** The HTML report. */
export function renderHtml(report: BenchReport): string {
  const e = report.environment;
  const env = `<ul><li>command: <code>${esc(report.command)}</code></li><li>run: ${esc(report.startedAt)} → ${esc(report.finishedAt)}</li>
<li>machine: ${esc(`${e.cpuModel}, ${e.cpus} CPUs, ${bytes(e.totalMemoryBytes)} RAM, ${e.platform}, kernel ${e.kernel}; Node ${e.nodeVersion}; commit ${e.gitCommit ?? '-'}`)}</li>
<li>server: ${esc(e.server.mode === 'child' ? 'child process per transport run' : `external at ${e.server.url}`)}; pinning: ${esc(e.pinning.taskset ? `server on CPU ${e.pinning.server}, load generator on CPU ${e.pinning.loadGenerator}` : 'none')}; ${e.workers} load workers</li></ul>`;
  const title = `realtime-arena bench: ${report.scenarios.map((s) => s.scenario).join(', ')}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title><style>${STYLE}</style></head><body><h1>${esc(title)}</h1>${env}${report.scenarios.map(section).join('\n')}</body></html>\n`;
}
