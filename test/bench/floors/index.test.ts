// The floor servers end to end: the bench's own clients, on every transport, receive every event
// from them (`npm run bench -- room --floor` against an in-process product and floor), and the
// report carries the overhead over floor computed from the two measured figures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS } from '../../../src/domain/events.js';
import { renderHtml } from '../../../bench/report/html.js';
import { renderMarkdown } from '../../../bench/report/md.js';
import { assertAccounted, runScenario } from '../scenarios/harness.js';

test('room --floor: every floor delivers every event to the bench clients, and the overhead is product ÷ floor', async (t) => {
  const report = await runScenario(t, ['room', '--floor', '--clients', '5', '--interval', '200', '--duration', '1', '--poll-interval', '100']);
  const s = report.scenarios[0]!;
  assert.equal(s.floor?.length, TRANSPORTS.length - 1, 'one floor per default transport (stomp-relay runs only when named)');
  assert.match(renderMarkdown(report), /\| transport +\| product CPU s\/1k +\| floor CPU s\/1k +\| overhead over floor/);
  assert.match(renderHtml(report), /<th>overhead over floor<\/th>/);
  for (const f of s.floor!) {
    await t.test(f.transport, () => {
      const r = f.floorResult;
      assertAccounted(r);
      assert.equal(r.accounting.subscriptions, 5);
      assert.equal(r.accounting.expected, r.publish.accepted * 5, `${f.transport}: everybody owes every event`);
      assert.ok(r.checks.every((c) => c.ok), `${f.transport}: ${JSON.stringify(r.checks.filter((c) => !c.ok))}`);
      const product = s.transports.find((p) => p.transport === f.transport)!;
      assert.equal(f.product.cpuSecondsPer1kDeliveries, product.server!.cpuSecondsPer1kDeliveries);
      assert.equal(f.floor.cpuSecondsPer1kDeliveries, r.server!.cpuSecondsPer1kDeliveries);
      assert.equal(typeof f.overheadOverFloor, 'number');
      assert.equal(f.overheadOverFloor, f.product.cpuSecondsPer1kDeliveries! / f.floor.cpuSecondsPer1kDeliveries!);
    });
  }
});
