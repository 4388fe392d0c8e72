import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missedChecks } from '../../bench/cli.js';
import type { BenchReport } from '../../bench/report/model.js';

test('missedChecks lists every check that did not hold (the bench then exits 3)', () => {
  const report = {
    scenarios: [
      {
        scenario: 'slow-consumer',
        transports: [
          { transport: 'websocket', checks: [{ name: 'a', ok: true, detail: '' }, { name: 'server cut the slow consumers', ok: false, detail: '0 cut signals' }] },
          { transport: 'sse', checks: [{ name: 'a', ok: true, detail: '' }] },
        ],
      },
    ],
  } as unknown as BenchReport;
  assert.deepEqual(missedChecks(report), ['slow-consumer websocket: server cut the slow consumers (0 cut signals)']);
  assert.deepEqual(missedChecks({ scenarios: [] } as unknown as BenchReport), []);
});
