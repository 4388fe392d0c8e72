// The shared scenario shape and env parameters (k6/lib/config.js): the stages of the published
// experiment, STAGES for smoke runs, the room shape, thresholds per transport, and errors that
// name the bad variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';

const cfgLib = await import(new URL('../../k6/lib/config.js', import.meta.url).href);
const { parseDuration, parseStages, readConfig, optionsFor, groupFor, TRANSPORTS, latencyBoundMs, toWsUrl } = cfgLib;

test('durations in k6 notation', () => {
  assert.equal(parseDuration('20s'), 20000);
  assert.equal(parseDuration('1m30s'), 90000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2h'), 7200000);
  for (const bad of ['', '10', 's', '5 s', '1m x', '-3s']) assert.throws(() => parseDuration(bad, 'DURATION'), /DURATION/, bad);
});

test('STAGES=3s:10,4s:30,2s:0', () => {
  assert.deepEqual(parseStages('3s:10,4s:30,2s:0'), [
    { duration: '3s', target: 10 },
    { duration: '4s', target: 30 },
    { duration: '2s', target: 0 },
  ]);
  assert.deepEqual(parseStages(' 1m:5 , 500ms:0 '), [{ duration: '60s', target: 5 }, { duration: '500ms', target: 0 }]);
  for (const bad of ['', '3s', '3s:x', 'x:3', '3s:-1']) assert.throws(() => parseStages(bad), /STAGES/, bad);
});

test('defaults: the published ramp (20 s to 300, 30 s to PEAK, 10 s to 0), 10 groups, 3 s shares', () => {
  const c = readConfig({});
  assert.equal(c.baseUrl, 'http://localhost:8080');
  assert.equal(c.wsUrl, 'ws://localhost:8080');
  assert.equal(c.peak, 1000);
  assert.equal(c.groups, 10);
  assert.equal(c.intervalMs, 3000);
  assert.equal(c.eventType, 'location');
  assert.deepEqual(c.stages, [
    { duration: '20s', target: 300 },
    { duration: '30s', target: 1000 },
    { duration: '10s', target: 0 },
  ]);
  assert.equal(c.runMs, 60000);
  assert.equal(c.sessionMs, 20000);
});

test('env overrides; STAGES replaces the stage list and short runs get sessions that fit', () => {
  const c = readConfig({ BASE_URL: 'https://arena.example:9443/', PEAK: '5000', GROUPS: '3', INTERVAL_MS: '500', STAGES: '3s:10,4s:30,2s:0' });
  assert.equal(c.baseUrl, 'https://arena.example:9443');
  assert.equal(c.wsUrl, 'wss://arena.example:9443');
  assert.equal(c.peak, 5000);
  assert.equal(c.groups, 3);
  assert.equal(c.intervalMs, 500);
  assert.equal(c.stages.length, 3);
  assert.equal(c.sessionMs, 9000);
  assert.equal(readConfig({ STAGES: '3s:10', SESSION_MS: '2500' }).sessionMs, 2500);
});

test('room shape: N users in one group, each publishing every I ms, for DURATION', () => {
  const c = readConfig({ SHAPE: 'room', PEAK: '50', DURATION: '2m' });
  assert.equal(c.stages, null);
  assert.equal(c.groups, 1);
  assert.equal(c.intervalMs, 1000);
  assert.equal(c.eventType, 'chat');
  const o = optionsFor(c, ['websocket']);
  assert.deepEqual(
    { executor: o.scenarios.websocket.executor, vus: o.scenarios.websocket.vus, duration: o.scenarios.websocket.duration },
    { executor: 'constant-vus', vus: 50, duration: '120s' },
  );
});

test('bad values name their variable', () => {
  for (const [env, name] of [
    [{ PEAK: '0' }, 'PEAK'], [{ PEAK: 'lots' }, 'PEAK'], [{ GROUPS: '1.5' }, 'GROUPS'], [{ INTERVAL_MS: '5' }, 'INTERVAL_MS'],
    [{ DURATION: '10' }, 'DURATION'], [{ SHAPE: 'spike' }, 'SHAPE'], [{ BASE_URL: 'localhost:8080' }, 'BASE_URL'],
    [{ EVENT_TYPE: 'presence' }, 'EVENT_TYPE'], [{ LONGPOLL_TIMEOUT_MS: '60001' }, 'LONGPOLL_TIMEOUT_MS'], [{ SSE_LIMIT: '0' }, 'SSE_LIMIT'], [{ GROUP_PREFIX: 'a b' }, 'GROUP_PREFIX'], [{ STAGES: '3s' }, 'STAGES'],
  ] as const) {
    assert.throws(() => readConfig(env), new RegExp(`^Error: ${name}`), name);
  }
});

test('groups: g<VU % GROUPS>, prefixed when asked', () => {
  const c = readConfig({});
  assert.equal(groupFor(c, 1), 'g1');
  assert.equal(groupFor(c, 10), 'g0');
  assert.equal(groupFor(c, 23), 'g3');
  assert.equal(groupFor(readConfig({ GROUP_PREFIX: 'sse-' }), 23), 'sse-g3');
  assert.match(groupFor(readConfig({ GROUP_PREFIX: 'short-polling-' }), 9), /^[A-Za-z0-9_.-]{1,64}$/);
  assert.equal(toWsUrl('http://h:1'), 'ws://h:1');
});

test('single-transport options: one ramping scenario running default, tagged with the transport', () => {
  const c = readConfig({ STAGES: '3s:10,4s:30,2s:0' });
  const o = optionsFor(c, ['sse']);
  assert.deepEqual(Object.keys(o.scenarios), ['sse']);
  const s = o.scenarios.sse;
  assert.equal(s.executor, 'ramping-vus');
  assert.equal(s.exec, 'default');
  assert.equal(s.startVUs, 0);
  assert.deepEqual(s.tags, { transport: 'sse' });
  assert.equal(s.env, undefined);
  assert.equal(s.gracefulRampDown, '19s', 'a session (9 s) plus closing time fits in the ramp-down');
  assert.ok(o.summaryTrendStats.includes('p(99)'));
  assert.ok(!o.systemTags.includes('url'), 'no per-group/user URL labels');
});

test('compare options: five scenarios, exact transport tags, separate groups, thresholds', () => {
  const c = readConfig({}, { peak: 300 });
  assert.equal(c.peak, 300);
  const execs = { 'short-polling': 'shortPolling', 'long-polling': 'longPolling', sse: 'sse', websocket: 'websocket', stomp: 'stomp' };
  const o = optionsFor(c, TRANSPORTS, { execs, separateGroups: true });
  assert.deepEqual(TRANSPORTS, ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp']);
  assert.deepEqual(Object.keys(o.scenarios), ['short_polling', 'long_polling', 'sse', 'websocket', 'stomp']);
  for (const tr of TRANSPORTS) {
    const s = o.scenarios[tr.replace('-', '_')];
    assert.deepEqual(s.tags, { transport: tr });
    assert.equal(s.exec, execs[tr as keyof typeof execs]);
    assert.deepEqual(s.env, { GROUP_PREFIX: `${tr}-` });
    assert.match(Object.keys(o.scenarios).join(','), /^[0-9a-zA-Z_,-]+$/);
    assert.deepEqual(o.thresholds[`rt_e2e_latency{transport:${tr}}`], [`p(99)<${latencyBoundMs(c, tr)}`]);
    assert.deepEqual(o.thresholds[`rt_gaps{transport:${tr}}`], ['count==0']);
    assert.deepEqual(o.thresholds[`rt_duplicates{transport:${tr}}`], ['count==0']);
    assert.deepEqual(o.thresholds[`rt_events_received{transport:${tr}}`], ['count>0']);
    for (const m of ['rt_events_sent', 'rt_connect_time']) assert.ok(o.thresholds[`${m}{transport:${tr}}`], `${m} broken down per transport`);
  }
  assert.deepEqual(o.thresholds.rt_gaps, ['count==0']);
  assert.deepEqual(o.thresholds.rt_duplicates, ['count==0']);
  assert.equal(latencyBoundMs(c, 'websocket'), 1000);
  assert.equal(latencyBoundMs(c, 'short-polling'), 2000, 'plus one poll period');
  assert.equal(latencyBoundMs(c, 'sse'), 3000, 'plus the stock-k6 SSE window');
  assert.throws(() => optionsFor(c, ['carrier-pigeon']), /unknown transport/);
});

test('SEQUENTIAL=1 runs the transports one after another (server CPU per delivery stays attributable)', () => {
  const c = readConfig({ STAGES: '3s:10,4s:30,2s:0', SEQUENTIAL: '1' });
  const o = optionsFor(c, TRANSPORTS, { separateGroups: true });
  // each slot: 9 s of stages + 9 s last session + 10 s closing grace
  assert.deepEqual(Object.values(o.scenarios).map((s: any) => s.startTime), [undefined, '28s', '56s', '84s', '112s']); // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(readConfig({}).sequential, false);
});
