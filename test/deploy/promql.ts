/**
 * Helpers for the deploy tests: read the repo's Prometheus rules and Grafana dashboard, and tell
 * which metric names a PromQL expression reads. A regex tokenizer, not a parser: promtool checks
 * the syntax; this only has to find names in expressions that are already valid.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** Repo root, with a trailing slash. */
export const root = fileURLToPath(new URL('../../', import.meta.url));

/** Reads a repo file as text. */
export const readRepo = (file: string): string => readFileSync(root + file, 'utf8');

/** One recording rule of prometheus/rules.yml. */
export interface RecordingRule {
  record: string;
  expr: string;
}

/** Every recording rule in prometheus/rules.yml, in file order. */
export function recordingRules(): RecordingRule[] {
  const doc = parse(readRepo('prometheus/rules.yml')) as { groups: { rules: RecordingRule[] }[] };
  return doc.groups.flatMap((g) => g.rules).filter((r) => typeof r.record === 'string');
}

/** Every `expr` of every panel target in the dashboard, rows' nested panels included. */
export function dashboardExprs(dashboard: unknown): string[] {
  const out: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'expr' && typeof value === 'string') out.push(value);
        else walk(value);
      }
    }
  };
  walk(dashboard);
  return out;
}

/** The dashboard JSON. */
export const dashboard = (): any => JSON.parse(readRepo('grafana/dashboards/realtime-arena.json'));

/** Replaces Grafana variables with values that keep the expression valid PromQL. */
export function expandGrafanaVars(expr: string): string {
  return expr.replace(/\$__rate_interval|\$__interval|\$\{__rate_interval\}/g, '30s').replace(/\$\{?\w+\}?/g, '.*');
}

/** Identifiers that are PromQL syntax, not metric names, when not followed by `(`. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset',
  'and', 'or', 'unless', 'inf', 'nan', 'start', 'end']);

/** The metric (or recorded series) names an expression selects, sorted and without duplicates. */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ') // strings: label values, regexes
    .replace(/\{[^}]*\}/g, ' ') // label matchers
    .replace(/\[[^\]]*\]/g, ' ') // range windows, Grafana variables inside them
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ') // label lists
    .replace(/\$\{?\w+\}?/g, ' ');
  const names = new Set<string>();
  // (?<![\w.]) skips the tail of numbers such as 1e3 or durations such as 5m.
  for (const m of bare.matchAll(/(?<![\w.])([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g)) {
    if (m[2] || KEYWORDS.has(m[1].toLowerCase())) continue; // a function or aggregation call, or syntax
    names.add(m[1]);
  }
  return [...names].sort();
}

/**
 * The series names a Prometheus text exposition makes available, from its `# TYPE` lines (prom-client
 * prints them for every registered metric, even a labelled one that has no sample yet). Histograms
 * and summaries add their `_bucket`/`_sum`/`_count` series.
 */
export function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, type] = m;
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/**
 * The series k6's Prometheus remote-write output makes of the scripts' custom metrics: a Counter
 * `x` becomes `k6_x_total`; a Trend `x` becomes one gauge `k6_x_<stat>` per stat of
 * K6_PROMETHEUS_RW_TREND_STATS as docker-compose.yml sets it (`p(99)` -> `p99`; time values in s).
 */
export function k6SeriesNames(metricsJs: string, compose: string): Set<string> {
  const stats = /K6_PROMETHEUS_RW_TREND_STATS:\s*'?([^'\n]+)'?/.exec(compose)?.[1].split(',').map((s) => s.trim().replace(/^p\((\d+(?:\.\d+)?)\)$/, 'p$1').replace('.', '')) ?? ['p99'];
  const out = new Set<string>();
  for (const m of metricsJs.matchAll(/new (Counter|Trend|Gauge|Rate)\('([A-Za-z0-9_]+)'/g)) {
    const [, kind, name] = m;
    if (kind === 'Counter') out.add(`k6_${name}_total`);
    else if (kind === 'Trend') for (const s of stats) out.add(`k6_${name}_${s}`);
    else if (kind === 'Rate') out.add(`k6_${name}_rate`);
    else out.add(`k6_${name}`);
  }
  return out;
}
