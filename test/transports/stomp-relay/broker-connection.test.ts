import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EncodedEvent } from '../../../src/domain/events.js';
import { HubError } from '../../../src/domain/errors.js';
import { StompBrokerConnection } from '../../../transports/stomp-relay/broker-connection.js';
import { RELAY_URL, RUN_ID, closeOurRabbitConnections, noRabbitStomp } from '../../support/rabbitmq.js';
import { until } from '../../support/server.js';

const event = (group: string, seq: number) => EncodedEvent.of({ seq, group, type: 'chat', user: 'u', at: Date.now(), data: { text: `m${seq}` } });

describe('StompBrokerConnection (RabbitMQ STOMP)', { skip: noRabbitStomp }, () => {
  test('publishes with the seq header to /topic/groups.<group>; a subscription receives it after its RECEIPT', async (t) => {
    const connection = await StompBrokerConnection.connect({ url: RELAY_URL, heartbeatMs: 10_000, maxPendingBytes: 1 << 20, timeoutMs: 5000 });
    t.after(() => connection.close());
    const group = `conn-${RUN_ID}`;
    const got: [number, string][] = [];
    const subscription = await connection.subscribe(group, (seq, json) => got.push([seq, json]));
    const sent = event(group, 41);
    connection.publish(sent);
    connection.publish(event(`${group}.other`, 1)); // another group's topic, not ours
    await until(() => got.length === 1, 5000, 'the relayed message');
    assert.deepEqual(got[0], [41, sent.json]);
    subscription.unsubscribe();
    subscription.unsubscribe();
  });

  test('a lost connection is reported, publishes are counted as dropped meanwhile, subscribes refused, then it comes back', async (t) => {
    const states: string[] = [];
    const dropped: string[] = [];
    const connection = await StompBrokerConnection.connect({
      url: RELAY_URL,
      heartbeatMs: 10_000,
      maxPendingBytes: 1 << 20,
      timeoutMs: 5000,
      reconnectMs: 1000, // the first retry waits 1 s: room to look at the down state
      observer: { state: (up) => states.push(up ? 'up' : 'down'), publishDropped: (reason) => dropped.push(reason) },
    });
    t.after(() => connection.close());
    let downs = 0;
    connection.onDown(() => downs++);
    assert.ok((await closeOurRabbitConnections()) >= 1);
    await until(() => downs === 1, 10_000, 'onDown');
    assert.equal(connection.connected, false);
    connection.publish(event(`down-${RUN_ID}`, 1));
    assert.deepEqual(dropped, ['broker_unavailable']);
    await assert.rejects(connection.subscribe(`down-${RUN_ID}`, () => {}), (err: unknown) => err instanceof HubError && err.code === 'broker_unavailable');
    await until(() => connection.connected, 15_000, 'reconnect with back-off');
    assert.equal(states.at(-1), 'up');
    const sub = await connection.subscribe(`back-${RUN_ID}`, () => {});
    sub.unsubscribe();
  });

  test('unsent bytes over the bound: the publish is dropped and counted, not queued', async (t) => {
    const dropped: string[] = [];
    const connection = await StompBrokerConnection.connect({ url: RELAY_URL, heartbeatMs: 0, maxPendingBytes: 0, timeoutMs: 5000, observer: { publishDropped: (r) => dropped.push(r) } });
    t.after(() => connection.close());
    const big = (seq: number) => EncodedEvent.of({ seq, group: `bp-${RUN_ID}`, type: 'chat', user: 'u', at: Date.now(), data: { text: 'x'.repeat(1000) } });
    // In one tick, until the kernel's socket buffer (~30 MB on loopback here) is full and bytes wait in the process.
    for (let seq = 1; seq <= 100_000 && dropped.length === 0; seq++) connection.publish(big(seq));
    assert.ok(dropped.length > 0 && dropped.every((r) => r === 'broker_backpressure'), `${dropped.length} dropped`);
  });

  test('heart-beats flow both ways: idle for many periods, the connection stays up', async (t) => {
    const connection = await StompBrokerConnection.connect({ url: RELAY_URL, heartbeatMs: 200, maxPendingBytes: 1 << 20, timeoutMs: 5000 });
    t.after(() => connection.close());
    let downs = 0;
    connection.onDown(() => downs++);
    await new Promise((r) => setTimeout(r, 1500)); // a side that stopped beating would be cut after 2-3 periods
    assert.equal(downs, 0);
    assert.equal(connection.connected, true);
  });

  test('a refused login at start-up is an error, not a retry loop', async () => {
    await assert.rejects(
      StompBrokerConnection.connect({ url: RELAY_URL.replace('guest:guest', 'guest:wrong'), heartbeatMs: 0, maxPendingBytes: 1024, timeoutMs: 5000 }),
      /refused/,
    );
  });
});
