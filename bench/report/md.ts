import type { BenchReport, ScenarioReport } from './model.js';
import { bytes, fixed, int, pct, table } from './format.js';
import {
  accountingTable, agreementTable, attackTable, floorTable, memoryTable, headlineTable, latencyTable, ok, pollingTable, profileTable, reasons, rolesTable, serverTable, sweepTable, type Table,
  MEMORY_TITLE,
} from './tables.js';

import { CLUSTER_NOTE, clusterTables } from './cluster.js';

const md = (t: Table) => table(t.header, t.rows);

function scenarioSection(s: ScenarioReport): string {
  const out: string[] = [`## ${s.title}`, '', s.description, '', `Parameters: \`${JSON.stringify(s.parameters)}\``, ''];
  if (s.attacks) out.push('### Attacks', '', md(attackTable(s.attacks)), '');
  out.push('### Summary', '', md(headlineTable(s)), '');
  if (s.sweep) {
    out.push(`### Sweep (pass: delivery ≥ ${pct(s.sweep.bound.deliveryRatio)}, p99 ≤ ${s.sweep.bound.p99Ms} ms)`, '');
    for (const w of s.sweep.results) {
      out.push(`**${w.transport}** — knee: ${w.knee ? `N=${w.knee.clients}, ${int(w.knee.deliveriesPerSecond)} deliveries/s` : 'none'}; stopped: ${w.stoppedBecause}`, '');
      out.push(md(sweepTable(w)), '');
    }
  }
  const floor = floorTable(s);
  if (floor) out.push('### Overhead over floor (product CPU s/1k ÷ floor CPU s/1k, medians of interleaved runs)', '', md(floor), '');
  const memory = memoryTable(s);
  if (memory) out.push(`### ${MEMORY_TITLE}`, '', md(memory), '');
  out.push('### Delivery accounting', '', md(accountingTable(s.transports)), '');
  const roles = rolesTable(s.transports);
  if (roles) out.push('### By role', '', md(roles), '');
  out.push('### End-to-end latency (ms, publisher `sentAt` → client receipt)', '', md(latencyTable(s.transports)), '');
  out.push('### Server (measured from the server process)', '', md(serverTable(s.transports)), '');
  const cluster = clusterTables(s.transports);
  if (cluster) out.push('### Instances and Redis', '', md(cluster.processes), '', md(cluster.broker), '', CLUSTER_NOTE, '');
  const polling = pollingTable(s.transports);
  if (polling) out.push('### Polling', '', md(polling), '');
  out.push('### Do the three sources agree?', '', md(agreementTable(s.transports)), '');
  out.push('### Checks', '');
  for (const r of s.transports) {
    if (r.status !== 'ok') out.push(`- **${r.transport}**: ${r.status} — ${(r.reason ?? '').split('\n')[0]}`);
    for (const c of r.checks) out.push(`- ${c.ok ? '✅' : '❌'} **${r.transport}**: ${c.name} — ${c.detail}`);
  }
  out.push('');
  const errors = ok(s.transports).filter((r) => Object.keys(r.errors).length);
  if (errors.length) out.push('### Client-side errors by code', '', ...errors.map((r) => `- **${r.transport}**: ${reasons(r.errors)}`), '');
  const gen = ok(s.transports).map((r) => {
    const g = r.loadGenerator;
    const cost = g.cpuMicrosPerEvent == null ? '' : `, ${fixed(g.cpuMicrosPerEvent, 2)} µs CPU per event received (${pct(g.systemShare ?? null)} in the kernel)${g.eventsPerRead == null ? '' : `, ${fixed(g.eventsPerRead, 2)} events per socket read`}${g.runqueueWaitPercent == null ? '' : `, waited for a CPU ${fixed(g.runqueueWaitPercent, 0)} % of the window`}`;
    return `${r.transport} ${g.cpuPercent === null ? '-' : Math.round(g.cpuPercent)} % (loop delay max ${fixed(g.maxLoopDelayMs, 1)} ms${g.saturated ? ', SATURATED' : ''}${cost})`;
  });
  if (gen.length) out.push(`Load generator CPU: ${gen.join('; ')}.`, '');
  const waits = ok(s.transports).filter((r) => r.server?.runqueueWaitPercent != null);
  if (waits.length) out.push(`Server threads waiting for a CPU (other work on its core): ${waits.map((r) => `${r.transport} ${fixed(r.server!.runqueueWaitPercent!, 0)} % of the window`).join('; ')}.`, '');
  const extras = ok(s.transports).filter((r) => Object.keys(r.extra).length);
  if (extras.length) {
    out.push('### Scenario figures', '');
    for (const r of extras) out.push(`- **${r.transport}**: \`${JSON.stringify(r.extra)}\``);
    out.push('');
  }
  const profiles = s.transports.filter((r) => r.profile);
  for (const r of profiles) {
    out.push(`### Server CPU profile: ${r.transport} (\`${r.profile!.file}\`)`, '', md(profileTable(r)), '');
  }
  if (s.notes.length) out.push('### Notes', '', ...s.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

/** The Markdown report. */
export function renderMarkdown(report: BenchReport): string {
  const e = report.environment;
  const head = [
    `# realtime-arena bench: ${report.scenarios.map((s) => s.scenario).join(', ')}`,
    '',
    `- command: \`${report.command}\``,
    `- run: ${report.startedAt} → ${report.finishedAt}`,
    `- machine: ${e.cpuModel}, ${e.cpus} CPUs, ${bytes(e.totalMemoryBytes)} RAM, ${e.platform}, kernel ${e.kernel}; Node ${e.nodeVersion} (V8 ${e.v8}); commit ${e.gitCommit ?? '-'}`,
    `- server: ${e.server.mode === 'child' ? 'child process per transport run' : `external at ${e.server.url}`}; pinning: ${e.pinning.taskset ? `server on CPU ${e.pinning.server}, load generator on CPU ${e.pinning.loadGenerator}` : 'none (server and load generator share the CPUs)'}; ${e.workers} load workers`,
    '',
  ];
  return [...head, ...report.scenarios.map(scenarioSection)].join('\n');
}
