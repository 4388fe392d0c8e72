/**
 * What the memory broker holds per group and per kept event: heap + external memory after a full GC, before and after
 * filling, divided by the count. Three fills: idle groups with one small chat each (the "new group per
 * publish" attack), one group's history of chats, and the same history once every streaming transport
 * has encoded it (the per-transport frames an event caches after its first delivery). Then the attack
 * itself: one tiny chat per new group through the Hub, five times MAX_GROUPS of them, heap as it goes.
 *
 *   node --expose-gc --import tsx bench/tools/group-memory.ts [--groups 100000] [--events 100000] [--text 100] [--max-groups 100000]
 */
import { parseArgs } from 'node:util';
import { MemoryBroker } from '../../src/broker/memory.js';
import { Hub } from '../../src/domain/hub.js';
import type { EncodedEvent, EventDraft } from '../../src/domain/events.js';
import { encodeEventFrame, wsTextFrame } from '../../src/protocol/ws-codec.js';
import { encodeSseEvent } from '../../src/protocol/sse-codec.js';
import { encodeMessageTail } from '../../transports/stomp/codec.js';

const { values } = parseArgs({
  options: { 'max-groups': { type: 'string', default: '100000' }, groups: { type: 'string', default: '100000' }, events: { type: 'string', default: '100000' }, text: { type: 'string', default: '100' } },
});
const GROUPS = Number(values.groups);
const EVENTS = Number(values.events);
const TEXT = 'x'.repeat(Number(values.text));

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');
const heap = () => {
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external; // encoded frames are Buffers, outside the JS heap
};
const chat = (group: string, i: number): EventDraft => ({ group, type: 'chat', user: `user-${i % 100}`, at: Date.now(), data: { text: TEXT, clientId: `c-${i}` } });

async function perIdleGroup(): Promise<number> {
  const broker = new MemoryBroker({ historySize: 1000, groupIdleMs: 3_600_000 });
  const before = heap();
  for (let i = 0; i < GROUPS; i++) await broker.publish(chat(`group-${i}`, i));
  const bytes = (heap() - before) / GROUPS;
  await broker.close();
  return bytes;
}

async function perKeptEvent(encode: boolean): Promise<number> {
  const broker = new MemoryBroker({ historySize: EVENTS, groupIdleMs: 3_600_000 });
  const kept: EncodedEvent[] = [];
  await broker.publish(chat('history', 0));
  const before = heap();
  for (let i = 1; i <= EVENTS; i++) kept.push(await broker.publish(chat('history', i)));
  if (encode) {
    for (const e of kept) {
      e.websocket = wsTextFrame(encodeEventFrame(e.json));
      e.sse = encodeSseEvent(e.event.seq, e.event.type, e.json);
      e.stomp = encodeMessageTail(e.event.group, e.event.seq, e.json);
    }
  }
  kept.length = 0;
  const bytes = (heap() - before) / EVENTS;
  await broker.close();
  return bytes;
}

const idle = await perIdleGroup();
const event = await perKeptEvent(false);
const encoded = await perKeptEvent(true);
console.log(`node ${process.version}; chat text ${TEXT.length} B`);
console.log(`idle group with one kept event: ${idle.toFixed(0)} B per group (${GROUPS} groups)`);
console.log(`kept event, never delivered:    ${event.toFixed(0)} B per event (${EVENTS} events)`);
console.log(`kept event, encoded for WS + SSE + STOMP: ${encoded.toFixed(0)} B per event`);

const maxGroups = Number(values['max-groups']);
const broker = new MemoryBroker({ historySize: 1000, groupIdleMs: 3_600_000, maxGroups });
const hub = new Hub(broker, {}, undefined, { maxGroups });
const start = heap();
for (let i = 1; i <= 5 * maxGroups; i++) {
  await hub.publish(`spray-${i}`, { type: 'chat', text: 'hi' }, 'attacker', 'http');
  if (i % maxGroups === 0) console.log(`spray: ${i} new groups published, ${broker.groupCount} held, heap + external +${((heap() - start) / 1048576).toFixed(0)} MB`);
}
await broker.close();
