// Summarizing a V8 .cpuprofile into the top functions by self time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarizeProfile } from '../../../bench/report/profile.js';

test('self time by function, largest first, with short locations', () => {
  const node = (id: number, functionName: string, url: string, hitCount: number) => ({ id, callFrame: { functionName, url, lineNumber: 9 }, hitCount });
  const profile = {
    nodes: [
      node(1, '(root)', '', 0),
      node(2, 'sendFrame', 'file:///app/node_modules/ws/lib/sender.js', 30),
      node(3, 'deliver', 'file:///app/transports/websocket.ts', 50),
      node(4, '(garbage collector)', '', 20),
      node(5, 'deliver', 'file:///app/transports/websocket.ts', 0),
    ],
  };
  const s = summarizeProfile(JSON.stringify(profile), 'x.cpuprofile');
  assert.deepEqual(s.top, [
    { fn: 'deliver transports/websocket.ts:10', selfPercent: 50 },
    { fn: 'sendFrame ws/lib/sender.js:10', selfPercent: 30 },
    { fn: '(garbage collector)', selfPercent: 20 },
  ]);
});
