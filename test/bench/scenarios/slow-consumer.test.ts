// `npm run bench -- slow-consumer`: a subscriber that stops reading is cut; the others keep everything.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScenario } from './harness.js';

test('slow-consumer: the stalled subscriber is cut, the healthy ones get everything, polling is skipped', async (t) => {
  // A small buffer bound so the cut comes within the short run.
  const report = await runScenario(t, ['slow-consumer', '--clients', '4', '--slow', '1', '--interval', '1', '--duration', '3', '--text-length', '1000'], { maxBufferedBytes: 64 * 1024, historySize: 50_000 });
  const s = report.scenarios[0]!;
  const byName = Object.fromEntries(s.transports.map((r) => [r.transport, r]));
  assert.equal(byName['short-polling']!.status, 'skipped');
  assert.equal(byName['long-polling']!.status, 'skipped');
  for (const name of ['sse', 'websocket', 'stomp']) {
    const r = byName[name]!;
    assert.equal(r.status, 'ok', `${name}: ${r.reason}`);
    const healthy = r.roles.subscriber!.accounting;
    assert.ok(healthy.expected > 0);
    assert.equal(healthy.delivered, healthy.expected, `${name}: healthy subscribers got everything`);
    assert.equal(healthy.duplicates, 0);
    assert.ok(r.roles.slow, `${name}: the slow role is reported`);
    assert.ok((r.extra.cutSignalsSeenByClients as number) >= 1, `${name}: the slow client saw the cut`);
    assert.ok((r.extra.droppedCounterAtEnd as number) >= 1, `${name}: the server reported the cut`);
    // Whatever the slow one lost, the server cannot have counted fewer deliveries than clients parsed.
    assert.ok(r.agreement!.serverDelivered >= r.agreement!.clientReceived, name);
  }
});
