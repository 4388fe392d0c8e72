// The Presence contract, run unchanged against every implementation (presence-memory.test.ts,
// presence-redis.test.ts). Removal may be deferred (Redis waits a moment before removing), so checks
// that an entry is gone poll with a bound.
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Presence } from '../../src/broker/presence.js';
import { eventually, uniqueGroup } from './contract.js';

/** Makes a connected presence; every presence made by one factory shares one store. */
export type PresenceFactory = () => Promise<Presence>;

/** Registers the contract suite for one implementation. */
export function presenceContract(name: string, factory: PresenceFactory): void {
  describe(`Presence contract: ${name}`, () => {
    const open: Presence[] = [];
    const make = async () => {
      const presence = await factory();
      open.push(presence);
      return presence;
    };
    after(async () => void (await Promise.all(open.map((p) => p.close()))));

    test('online lists each (user, transport) once, sorted by user then transport', async () => {
      const p = await make();
      const group = uniqueGroup('p');
      p.join(group, 'b', 'sse');
      p.join(group, 'a', 'stomp');
      p.join(group, 'a', 'sse');
      p.join(group, 'a', 'sse');
      p.join(uniqueGroup('p'), 'z', 'sse');
      await eventually(async () => (await p.online(group)).length === 3, 3000, 'three entries');
      assert.deepEqual(await p.online(group), [
        { user: 'a', transport: 'sse' },
        { user: 'a', transport: 'stomp' },
        { user: 'b', transport: 'sse' },
      ]);
      assert.deepEqual(await p.online(uniqueGroup('p')), [], 'a group nobody joined is empty');
    });

    test('an entry stays until its last subscriber leaves', async () => {
      const p = await make();
      const group = uniqueGroup('p');
      p.join(group, 'a', 'websocket');
      p.join(group, 'a', 'websocket');
      p.join(group, 'b', 'long-polling');
      p.leave(group, 'a', 'websocket');
      p.leave(group, 'nobody', 'sse'); // never joined: ignored
      await eventually(async () => (await p.online(group)).length === 2, 3000, 'both entries');
      p.leave(group, 'a', 'websocket');
      await eventually(async () => (await p.online(group)).length === 1, 3000, 'a left');
      assert.deepEqual(await p.online(group), [{ user: 'b', transport: 'long-polling' }]);
    });

    test('leaving and joining again at once keeps the entry', async () => {
      const p = await make();
      const group = uniqueGroup('p');
      p.join(group, 'a', 'long-polling');
      p.leave(group, 'a', 'long-polling');
      p.join(group, 'a', 'long-polling');
      await new Promise((r) => setTimeout(r, 1200)); // past any deferred removal
      assert.deepEqual(await p.online(group), [{ user: 'a', transport: 'long-polling' }]);
    });

    test('close removes everything this presence held; later joins do nothing', async () => {
      const p = await make();
      const group = uniqueGroup('p');
      p.join(group, 'a', 'sse');
      await eventually(async () => (await p.online(group)).length === 1, 3000, 'a joined');
      await p.close();
      p.join(group, 'b', 'sse');
      const reader = await make();
      assert.deepEqual(await reader.online(group), []);
    });
  });
}
