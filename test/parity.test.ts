import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { TRANSPORTS, type PublishCommand, type RtEvent, type TransportName } from '../src/domain/events.js';
import { openClient, openPublisher, type TestClient } from './clients/index.js';
import { startServer as startBare } from './support/server.js';
import type { Config } from '../src/config.js';
import { RELAY_URL, RUN_ID, noRabbitStomp } from './support/rabbitmq.js';

// The same scenarios on every transport: what one transport delivers, every transport delivers.
// `stomp-relay` needs RabbitMQ's STOMP plugin; the support module starts and enables it when it can.
const SERVED: readonly TransportName[] = noRabbitStomp ? TRANSPORTS.filter((t) => t !== 'stomp-relay') : TRANSPORTS;
const startServer = (t: Parameters<typeof startBare>[0], overrides: Partial<Config> = {}) =>
  startBare(t, noRabbitStomp ? overrides : { stompRelayUrl: RELAY_URL, ...overrides });

function command(i: number): PublishCommand {
  return i % 2 === 0
    ? { type: 'location', lat: 37.5 + i / 1000, lng: 126.9, accuracy: 5, heading: 90, speed: 1.2, sentAt: Date.now() }
    : { type: 'chat', text: `message ${i} — ünïcödé 👋`, clientId: `c-${i}`, sentAt: Date.now() };
}

function assertExactlyInOrder(events: RtEvent[], from: number, to: number, label: string): void {
  assert.deepEqual(events.map((e) => e.seq), Array.from({ length: to - from + 1 }, (_, i) => from + i), `${label}: seqs ${from}..${to} exactly once, in order`);
}

describe('parity across the transports', () => {
  if (noRabbitStomp) test('stomp-relay', { skip: noRabbitStomp }, () => {});
  test('events published round-robin through HTTP, WebSocket and STOMP reach every transport once, in order, identical', async (t) => {
    const { baseUrl } = await startServer(t);
    const group = `parity-live-${RUN_ID}`;
    const clients = await Promise.all(SERVED.map((transport) => openClient(transport, baseUrl, { user: `u-${transport}` })));
    t.after(() => Promise.all(clients.map((c) => c.close())));
    for (const client of clients) await client.subscribe(group);

    const vias = noRabbitStomp ? (['http', 'websocket', 'stomp'] as const) : (['http', 'websocket', 'stomp', 'stomp-relay'] as const);
    const publishers = vias.map((via) => openPublisher(via, baseUrl, `pub-${via}`));
    t.after(() => Promise.all(publishers.map((p) => p.close())));
    const N = 16;
    const seqs: number[] = [];
    for (let i = 0; i < N; i++) seqs.push(await publishers[i % vias.length]!.publish(group, command(i)));
    assert.deepEqual(seqs, Array.from({ length: N }, (_, i) => i + 1), 'publish answers carry seq 1..N');

    const reference = (await clients[0]!.waitForCount(N)).slice();
    for (const client of clients) {
      const events = await client.waitForCount(N);
      await new Promise((r) => setTimeout(r, 50)); // a duplicate would arrive within this window
      assertExactlyInOrder(client.events, 1, N, client.transport);
      assert.deepEqual(events, reference, `${client.transport}: payloads identical to every other transport`);
    }
    assert.equal(reference[0]!.user, 'pub-http');
    assert.equal(reference[1]!.user, 'pub-websocket');
    assert.equal(reference[2]!.user, 'pub-stomp');
    assert.equal(reference[1]!.type, 'chat');
    assert.deepEqual(reference[1]!.data, { text: 'message 1 — ünïcödé 👋', clientId: 'c-1' });
    assert.ok(typeof reference[0]!.sentAt === 'number' && reference[0]!.at >= reference[0]!.sentAt!);
  });

  for (const transport of SERVED) {
    test(`${transport}: disconnect mid-stream and resume from the last seq with zero loss and zero duplicates`, async (t) => {
      const { baseUrl } = await startServer(t);
      const group = `resume-${transport}-${RUN_ID}`;
      const publisher = openPublisher('http', baseUrl);
      const first = await openClient(transport, baseUrl);
      await first.subscribe(group);
      for (let i = 0; i < 5; i++) await publisher.publish(group, command(i));
      await first.waitForCount(5);
      await first.close();
      const cursor = first.lastSeq();
      for (let i = 5; i < 12; i++) await publisher.publish(group, command(i)); // published while away

      const second = await openClient(transport, baseUrl);
      t.after(() => second.close());
      await second.subscribe(group, cursor);
      for (let i = 12; i < 15; i++) await publisher.publish(group, command(i));
      await second.waitForCount(15 - cursor);
      await new Promise((r) => setTimeout(r, 50));
      assertExactlyInOrder([...first.events, ...second.events], 1, 15, transport);
      assert.equal(second.truncated, false);
    });

    test(`${transport}: a cursor older than history yields what is kept plus the truncated signal`, async (t) => {
      const { baseUrl } = await startServer(t, { historySize: 5 });
      const group = `overflow-${transport}-${RUN_ID}`;
      const publisher = openPublisher('http', baseUrl);
      for (let i = 0; i < 12; i++) await publisher.publish(group, command(i));
      const client = await openClient(transport, baseUrl);
      t.after(() => client.close());
      await client.subscribe(group, 1);
      await client.waitForCount(5);
      assertExactlyInOrder(client.events, 8, 12, transport);
      assert.equal(client.truncated, true, `${transport} signals truncation`);
    });
  }

  test('every transport name is covered by an adapter', () => {
    const names: TransportName[] = [...TRANSPORTS];
    assert.deepEqual(names, ['short-polling', 'long-polling', 'sse', 'websocket', 'stomp', 'stomp-relay']);
  });
});

export type { TestClient };
