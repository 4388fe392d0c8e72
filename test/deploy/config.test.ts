// Static checks of the deployment files: Prometheus config and rules (promtool), docker-compose.yml,
// the Dockerfile, RabbitMQ plugins and the Grafana dashboard's wiring. No server needed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { dashboard, dashboardExprs, expandGrafanaVars, metricNames, readRepo, recordingRules, root } from './promql.js';
import { skipNotice } from '../support/skip-notice.js';

const PROMTOOL = '/usr/bin/promtool';
const noPromtool = skipNotice(existsSync(PROMTOOL) ? false : `${PROMTOOL} not installed (Debian package prometheus)`);

/** Runs promtool; on failure the assertion message carries promtool's own output. */
function promtool(...args: string[]): void {
  try {
    execFileSync(PROMTOOL, args, { cwd: root, encoding: 'utf8', stdio: 'pipe' });
  } catch (err: any) {
    assert.fail(`promtool ${args.join(' ')} failed:\n${err.stdout}${err.stderr}`);
  }
}

/** The views docs/observability.md and the dashboard promise, by recording rule name. */
const VIEWS = [
  'transport:rt_events_delivered:rate30s',
  'transport:rt_delivery_latency_seconds:p50_30s',
  'transport:rt_delivery_latency_seconds:p99_30s',
  'transport:rt_cpu_seconds_per_1k_deliveries:rate30s',
  'transport:rt_bytes_per_delivered_event:rate30s',
  'transport:rt_connections:sum',
  'transport:rt_poll_empty_ratio:rate30s',
];

test('promtool accepts prometheus.yml (with its rule file) and prometheus/rules.yml', { skip: noPromtool }, () => {
  promtool('check', 'config', 'prometheus.yml'); // also loads rule_files, relative to the config file
  promtool('check', 'rules', 'prometheus/rules.yml');
});

test('prometheus.yml scrapes app1 and app2 every 5 s as job realtime-arena and loads the rules', () => {
  const cfg = parse(readRepo('prometheus.yml'));
  assert.equal(cfg.global.scrape_interval, '5s');
  assert.deepEqual(cfg.rule_files, ['prometheus/rules.yml']);
  const job = cfg.scrape_configs.find((j: any) => j.job_name === 'realtime-arena');
  assert.ok(job, 'job realtime-arena');
  assert.deepEqual(job.static_configs.flatMap((s: any) => s.targets).sort(), ['app1:8080', 'app2:8080']);
  // The relabel turns "app1:8080" into instance="app1".
  const relabel = job.relabel_configs.find((r: any) => r.target_label === 'instance');
  assert.equal('app1:8080'.replace(new RegExp(`^${relabel.regex}$`), relabel.replacement), 'app1');
});

test('rules.yml records every per-transport view, each rule reading only earlier rules or raw metrics', () => {
  const rules = recordingRules();
  const records = rules.map((r) => r.record);
  for (const view of VIEWS) assert.ok(records.includes(view), `missing recording rule ${view}`);
  // Rules of a group run in order: a rule may only use a recorded series defined above it.
  rules.forEach((rule, i) => {
    for (const name of metricNames(rule.expr).filter((n) => n.includes(':'))) {
      assert.ok(records.slice(0, i).includes(name), `${rule.record} uses ${name} before it is recorded`);
    }
  });
});

test('metricNames finds selected metrics, not functions, labels, keywords or variables', () => {
  assert.deepEqual(
    metricNames('histogram_quantile(0.99, sum by (transport, le) (rate(rt_delivery_latency_seconds_bucket{transport=~"$transport"}[$__rate_interval])))'),
    ['rt_delivery_latency_seconds_bucket'],
  );
  assert.deepEqual(
    metricNames('1e3 * sum(rate(a_total[5m] offset 1m)) / on() group_right() (x:y:z > 0) or vector(0)'),
    ['a_total', 'x:y:z'],
  );
});

test('dashboard: Prometheus by provisioned uid, every view and process metric, rules that exist', () => {
  const dash = dashboard();
  assert.ok(dash.schemaVersion >= 39, `schemaVersion ${dash.schemaVersion}`);
  const ds = parse(readRepo('grafana/provisioning/datasources/prometheus.yml')).datasources[0];
  assert.equal(ds.type, 'prometheus');
  const panels = dash.panels.flatMap((p: any) => [p, ...(p.panels ?? [])]).filter((p: any) => p.type !== 'row');
  for (const p of panels) {
    assert.equal(p.datasource?.uid, ds.uid, `panel "${p.title}" datasource`);
    for (const target of p.targets) assert.equal(target.datasource?.uid, ds.uid, `panel "${p.title}" target`);
  }
  const exprs = dashboardExprs(dash);
  const used = new Set(exprs.flatMap(metricNames));
  for (const name of [...VIEWS, 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_p99_seconds']) {
    assert.ok(used.has(name), `dashboard shows ${name}`);
  }
  const records = new Set(recordingRules().map((r) => r.record));
  for (const name of [...used].filter((n) => n.includes(':'))) assert.ok(records.has(name), `${name} is not recorded in rules.yml`);
});

test('every dashboard expression is valid PromQL (checked by promtool as a rule)', { skip: noPromtool }, (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'arena-dash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const rules = dashboardExprs(dashboard()).map((expr, i) => ({ record: `dashboard:expr:${i}`, expr: expandGrafanaVars(expr) }));
  writeFileSync(join(dir, 'dashboard-rules.yml'), stringify({ groups: [{ name: 'dashboard', rules }] }));
  promtool('check', 'rules', join(dir, 'dashboard-rules.yml'));
});

test('grafana provisioning points at the mounted dashboard folder', () => {
  const providers = parse(readRepo('grafana/provisioning/dashboards/realtime-arena.yml')).providers;
  assert.equal(providers[0].options.path, '/etc/grafana/dashboards');
});

/** "redis:7.4.1-alpine" is pinned; "redis", "redis:latest" are not. A digest pins too. */
function pinned(image: string): boolean {
  if (image.includes('@sha256:')) return true;
  const tag = image.split('/').pop()!.split(':')[1];
  return Boolean(tag) && tag !== 'latest';
}

test('docker-compose.yml: services, pinned images, health checks, healthy dependencies, app env', () => {
  const compose = parse(readRepo('docker-compose.yml'), { merge: true }); // x-app is merged with <<
  const services = compose.services;
  for (const name of ['app1', 'app2', 'redis', 'rabbitmq', 'prometheus', 'grafana', 'k6']) assert.ok(services[name], `service ${name}`);
  assert.deepEqual(services.k6.profiles, ['k6']);

  for (const [name, svc] of Object.entries<any>(services)) {
    assert.ok(svc.image || svc.build, `${name} has an image or a build`);
    if (svc.image) assert.ok(pinned(svc.image), `${name} image ${svc.image} is not pinned to a version tag`);
    for (const [dep, cond] of Object.entries<any>(svc.depends_on ?? {})) {
      assert.equal(cond.condition, 'service_healthy', `${name} -> ${dep}`);
      assert.ok(services[dep].healthcheck, `${dep} needs a healthcheck for ${name} to wait on`);
    }
    // Bind mounts must name files that exist in the repo.
    for (const volume of svc.volumes ?? []) {
      const source = String(volume).split(':')[0];
      if (source.startsWith('./')) assert.ok(existsSync(join(root, source)), `${name} mounts missing ${source}`);
    }
  }
  for (const name of ['app1', 'app2', 'redis', 'rabbitmq', 'prometheus']) assert.ok(services[name].healthcheck?.test, `${name} healthcheck`);

  for (const name of ['app1', 'app2']) {
    const app = services[name];
    assert.ok(app.build, `${name} is built from the Dockerfile`);
    assert.equal(app.environment.BROKER, 'redis');
    assert.equal(app.environment.REDIS_URL, 'redis://redis:6379');
    assert.match(app.healthcheck.test.join(' '), /\/readyz/);
    assert.equal(app.depends_on.redis.condition, 'service_healthy');
  }
  assert.ok(existsSync(join(root, 'k6/compare.js')), 'k6/compare.js, the script the k6 service runs');
  assert.ok(services.prometheus.command.includes('--web.enable-remote-write-receiver'), 'k6 can push to prometheus');
  assert.equal(services.k6.environment.BASE_URL, 'http://app1:8080');
  assert.match(services.k6.command.join(' '), /run .*experimental-prometheus-rw .*\/k6\/compare\.js$/);
});

test('rabbitmq enables the STOMP and Web-STOMP plugins', () => {
  const plugins = readRepo('rabbitmq/enabled_plugins');
  assert.match(plugins, /^\[[\w,\s]+\]\.\s*$/, 'Erlang list term ending with a dot');
  for (const p of ['rabbitmq_stomp', 'rabbitmq_web_stomp']) assert.match(plugins, new RegExp(`\\b${p}\\b`));
});

test('Dockerfile: pinned multi-stage build, production deps only, non-root, port 8080, dist entry', () => {
  const dockerfile = readRepo('Dockerfile');
  const args = Object.fromEntries([...dockerfile.matchAll(/^ARG (\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
  const froms = [...dockerfile.matchAll(/^FROM (\S+)(?: AS (\w+))?$/gim)];
  assert.ok(froms.length >= 2, 'multi-stage');
  for (const [, image] of froms) {
    const resolved = image.replace(/^\$\{(\w+)\}$/, (_, v: string) => args[v] ?? image);
    assert.ok(pinned(resolved), `FROM ${resolved} is not pinned`);
  }
  assert.match(dockerfile, /^RUN npm ci\b/m);
  assert.match(dockerfile, /^RUN npm run build$/m);
  assert.match(dockerfile, /^RUN npm ci --omit=dev\b/m);
  assert.match(dockerfile, /^COPY --from=build \/app\/dist \.\/dist$/m);
  assert.match(dockerfile, /^COPY public \.\/public$/m);
  assert.match(dockerfile, /^COPY --from=build \/app\/public\/dist \.\/public\/dist$/m, 'the bundled page scripts');
  const users = [...dockerfile.matchAll(/^USER (\S+)$/gm)].map((m) => m[1]);
  assert.ok(users.length > 0 && !['root', '0'].includes(users.at(-1)!), 'runs as a non-root user');
  assert.match(dockerfile, /^EXPOSE 8080$/m);
  assert.match(dockerfile, /^CMD \["node", ?"--max-semi-space-size=32", ?"--single-threaded-gc", ?"dist\/src\/main\.js"\]$/m); // the flags of src/node-flags.ts (test/node-flags.test.ts)
  const ignored = readRepo('.dockerignore').split('\n').map((l) => l.trim());
  for (const entry of ['node_modules', 'dist', '.git']) assert.ok(ignored.includes(entry), `.dockerignore ${entry}`);
});
