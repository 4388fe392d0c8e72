import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { Client, type IFrame, type IMessage } from '@stomp/stompjs';
import { connectStomp } from '../../clients/stomp.js';
import { publish } from '../../clients/index.js';
import { metricValue, startServer, until } from '../../support/server.js';
import { RELAY_URL, RUN_ID, closeOurRabbitConnections, noRabbitStomp } from '../../support/rabbitmq.js';

const location = (i: number) => ({ type: 'location' as const, lat: 10 + i / 100, lng: 20, sentAt: Date.now() });

/** Subscribes with a receipt and collects MESSAGEs. */
async function subscribe(client: Client, group: string, since?: number) {
  const messages: IMessage[] = [];
  const receipt = `r-${Math.random().toString(36).slice(2)}`;
  const answered = new Promise<IFrame>((resolve) => client.watchForReceipt(receipt, resolve));
  const headers: Record<string, string> = { receipt, id: 'my-sub-7' };
  if (since !== undefined) headers.since = String(since);
  client.subscribe(`/topic/groups.${group}`, (m) => messages.push(m), headers);
  return { messages, receipt: await answered, seqs: () => messages.map((m) => Number(m.headers.seq)) };
}

describe('stomp-relay endpoint', { skip: noRabbitStomp }, () => {
  test('@stomp/stompjs Client: SUBSCRIBE and SEND relayed through RabbitMQ, headers as on /stomp, counted as stomp-relay', async (t) => {
    const { app, baseUrl, wsUrl } = await startServer(t, { stompRelayUrl: RELAY_URL });
    const group = `relay-client-${RUN_ID}`;
    const client = await connectStomp(wsUrl, '/stomp-relay', 'alice');
    t.after(() => client.deactivate());
    const sub = await subscribe(client, group);
    assert.equal(sub.receipt.headers.seq, '0');

    const sent = new Promise<IFrame>((resolve) => client.watchForReceipt('send-1', resolve));
    client.publish({ destination: `/app/groups/${group}`, body: JSON.stringify(location(1)), headers: { receipt: 'send-1' } });
    assert.equal((await sent).headers.seq, '1');
    assert.equal(await publish(baseUrl, 'http', group, location(2)), 2);
    await until(() => sub.messages.length === 2, 5000, 'two relayed messages');
    const [first] = sub.messages;
    assert.equal(first!.headers.subscription, 'my-sub-7', 'the broker subscription id is rewritten to the client one');
    assert.equal(first!.headers.destination, `/topic/groups.${group}`);
    assert.equal(first!.headers['message-id'], `${group}-1`);
    assert.equal(first!.headers['content-type'], 'application/json');
    assert.deepEqual(sub.seqs(), [1, 2]);
    assert.equal(JSON.parse(first!.body).user, 'alice');
    assert.equal(await metricValue(app, 'rt_events_published_total', { transport: 'stomp-relay' }), 1);
    assert.equal(await metricValue(app, 'rt_events_delivered_total', { transport: 'stomp-relay' }), 2);
    assert.equal(await metricValue(app, 'rt_connections', { transport: 'stomp-relay' }), 1);
    const lag = (await app.metrics.registry.getSingleMetric('rt_broker_delivery_lag_seconds')!.get()).values.find(
      (v) => (v as { metricName?: string }).metricName === 'rt_broker_delivery_lag_seconds_count' && v.labels.broker === 'rabbitmq',
    );
    assert.equal(lag?.value, 2, 'one broker lag observation per event');
  });

  test('/stomp keeps working in-process beside the relay, and the relay is only at /stomp-relay', async (t) => {
    const { wsUrl, baseUrl } = await startServer(t, { stompRelayUrl: RELAY_URL });
    const group = `relay-beside-${RUN_ID}`;
    const plain = await connectStomp(wsUrl, '/stomp');
    t.after(() => plain.deactivate());
    const sub = await subscribe(plain, group);
    await publish(baseUrl, 'stomp-relay', group, location(1));
    await until(() => sub.messages.length === 1, 5000, 'the in-process subscriber');
    const upgrade = await fetch(`${baseUrl}/stomp-relay`);
    assert.equal(upgrade.status, 400, 'a plain GET gets the error shape');
  });

  test('broker connection killed mid-stream: ERROR broker_unavailable, then a resume with since has no gap and no duplicate', async (t) => {
    const { baseUrl, wsUrl } = await startServer(t, { stompRelayUrl: RELAY_URL });
    const group = `relay-fault-${RUN_ID}`;
    const errors: IFrame[] = [];
    const client = new Client({
      webSocketFactory: () => new WebSocket(`${wsUrl}/stomp-relay`, ['v12.stomp']),
      reconnectDelay: 0,
      heartbeatIncoming: 0,
      heartbeatOutgoing: 0,
      debug: () => {},
    });
    client.onStompError = (frame) => errors.push(frame);
    await new Promise<void>((resolve) => {
      client.onConnect = () => resolve();
      client.activate();
    });
    t.after(() => client.deactivate());
    const sub = await subscribe(client, group);
    for (let i = 1; i <= 3; i++) await publish(baseUrl, 'http', group, location(i));
    await until(() => sub.messages.length === 3, 5000, 'three relayed messages');

    assert.ok((await closeOurRabbitConnections()) >= 1, 'our system connection was found and closed');
    await until(() => errors.length === 1, 10_000, 'ERROR broker_unavailable');
    assert.equal(errors[0]!.headers.message, 'broker_unavailable');
    for (let i = 4; i <= 6; i++) await publish(baseUrl, 'http', group, location(i)); // accepted while the relay is down

    // The system connection comes back with back-off; until then a relay SUBSCRIBE is refused, never silent.
    let again: Client | undefined;
    let resumed: Awaited<ReturnType<typeof subscribe>> | undefined;
    t.after(() => again?.deactivate());
    for (let attempt = 0; attempt < 100 && !resumed; attempt++) {
      await again?.deactivate();
      again = await connectStomp(wsUrl, '/stomp-relay');
      const refused = new Promise<undefined>((resolve) => (again!.onStompError = () => resolve(undefined)));
      resumed = await Promise.race([subscribe(again, group, sub.seqs().at(-1)), refused]);
      if (!resumed) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(resumed, 'the relay recovered within 100 attempts');
    await publish(baseUrl, 'http', group, location(7));
    await until(() => resumed.messages.length === 4, 5000, 'events 4..7 after the resume');
    await new Promise((r) => setTimeout(r, 50)); // a duplicate would arrive within this window
    assert.deepEqual([...sub.seqs(), ...resumed.seqs()], [1, 2, 3, 4, 5, 6, 7]);
  });
});
