import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, metricValue, until } from '../../support/server.js';
import { RawStomp, connectFrame } from '../../support/raw-stomp.js';
import { StompClient, connectStomp } from '../../clients/stomp.js';

describe('STOMP endpoint', () => {
  test('subprotocol: the highest offered STOMP version, or none at all', async (t) => {
    const { wsUrl } = await startServer(t);
    for (const [offered, chosen] of [[['v10.stomp', 'v12.stomp'], 'v12.stomp'], [['v11.stomp'], 'v11.stomp'], [[], '']] as const) {
      const socket = new WebSocket(`${wsUrl}/stomp`, [...offered]);
      await new Promise((r) => socket.once('open', r));
      assert.equal(socket.protocol, chosen);
      socket.close();
    }
  });

  test('GET /stomp without an upgrade answers the HTTP error shape', async (t) => {
    const { baseUrl } = await startServer(t);
    const res = await fetch(`${baseUrl}/stomp`);
    assert.equal(res.status, 400);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_request');
  });

  test('frames typed line by line, one WebSocket message per line as wscat sends them (the README example)', async (t) => {
    const { wsUrl } = await startServer(t);
    const peer = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => peer.close());
    const lines = ['CONNECT', 'accept-version:1.2', '',
      'SUBSCRIBE', 'id:0', 'destination:/topic/groups.typed', 'since:0', 'receipt:r1', '',
      'SEND', 'destination:/app/groups/typed', 'receipt:r2', '', '{"type":"chat","text":"hi"}'];
    for (const line of lines) await peer.send(line);
    assert.equal((await peer.next('CONNECTED')).headers.get('version'), '1.2');
    const receipts = async () => { await peer.next('MESSAGE'); return peer.all('RECEIPT').map((f) => [f.headers.get('receipt-id'), f.headers.get('seq')]); };
    assert.deepEqual(await receipts(), [['r1', '0'], ['r2', '1']]);
    assert.equal(JSON.parse(peer.all('MESSAGE')[0]!.body).data.text, 'hi');
    assert.deepEqual(peer.all('ERROR'), []);
  });

  test('a frame split at arbitrary bytes over several messages is reassembled', async (t) => {
    const { wsUrl } = await startServer(t);
    const peer = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => peer.close());
    const text = `${connectFrame()}SUBSCRIBE\nid:0\ndestination:/topic/groups.split\nreceipt:r1\n\n\0`;
    // Cut 2 bytes after every EOL; a piece with no EOL at all joins the next (a header-section piece
    // without one is read as a typed line; see StompFrameReader).
    const pieces: string[] = [];
    let piece = '';
    for (const [i, ch] of [...text].entries()) {
      piece += ch;
      if (text[i - 2] === '\n' && /[\n\0]/.test(piece)) { pieces.push(piece); piece = ''; }
    }
    pieces.push(piece);
    assert.ok(pieces.length > 5);
    for (const p of pieces) await peer.send(p);
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'r1');
  });

  test('@stomp/stompjs Client: subscribe, send with receipt, MESSAGE headers', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const subscriber = new StompClient(wsUrl);
    t.after(() => subscriber.close());
    const answer = await subscriber.subscribe('g');
    assert.deepEqual(answer, { seq: 0, truncated: false });
    const client = await connectStomp(wsUrl, '/stomp', 'bob');
    t.after(() => client.deactivate());
    const receipt = new Promise<string>((resolve) => client.watchForReceipt('p1', (f) => resolve(f.headers.seq!)));
    client.publish({ destination: '/app/groups/g', body: JSON.stringify({ type: 'chat', text: 'hello', clientId: 'c1' }), headers: { receipt: 'p1' } });
    assert.equal(await receipt, '1');
    client.publish({ destination: '/topic/groups.g', body: JSON.stringify({ type: 'location', lat: 1, lng: 2 }) });
    const events = await subscriber.waitForCount(2);
    assert.deepEqual(events.map((e) => [e.seq, e.type, e.user]), [[1, 'chat', 'bob'], [2, 'location', 'bob']]);
    const headers = subscriber.messageHeaders[0]!;
    assert.equal(headers.destination, '/topic/groups.g');
    assert.equal(headers['message-id'], 'g-1');
    assert.equal(headers.seq, '1');
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(headers.subscription, 'sub-0');
    assert.equal(await metricValue(app, 'rt_events_delivered_total', { transport: 'stomp' }), 2);
    assert.equal(await metricValue(app, 'rt_events_published_total', { transport: 'stomp' }), 2);
  });

  test('the loss signal survives shared frames: a resumer with the same subscription id as a live subscriber still gets truncated:true', async (t) => {
    const { wsUrl, app } = await startServer(t, { historySize: 3 });
    const live = new RawStomp(`${wsUrl}/stomp`);
    const resumer = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => (live.close(), resumer.close()));
    await live.send(connectFrame());
    await live.next('CONNECTED');
    await live.send('SUBSCRIBE\nid:s1\ndestination:/topic/groups.g\nreceipt:r1\n\n\0');
    await live.next('RECEIPT');
    // The live subscriber's deliveries leave each event's shared frame built for head (s1, /topic/groups.g).
    for (let i = 0; i < 6; i++) await app.hub.publish('g', { type: 'chat', text: `${i}` }, 'u', 'http');
    await until(() => live.all('MESSAGE').length === 6, 2000, 'live deliveries');
    await resumer.send(connectFrame());
    await resumer.next('CONNECTED');
    await resumer.send('SUBSCRIBE\nid:s1\ndestination:/topic/groups.g\nsince:1\nreceipt:r2\n\n\0');
    await until(() => resumer.all('MESSAGE').length === 3, 2000, 'replay');
    assert.deepEqual(resumer.all('MESSAGE').map((m) => m.headers.get('truncated')), ['true', undefined, undefined]);
    assert.deepEqual(live.all('MESSAGE').map((m) => m.headers.get('truncated') ?? '-'), ['-', '-', '-', '-', '-', '-']);
  });

  test('SUBSCRIBE with since replays; a cut history puts truncated:true on the RECEIPT and the first MESSAGE', async (t) => {
    const { wsUrl, app } = await startServer(t, { historySize: 3 });
    for (let i = 0; i < 6; i++) await app.hub.publish('g', { type: 'chat', text: `${i}` }, 'u', 'http');
    const peer = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => peer.close());
    await peer.send(connectFrame());
    await peer.next('CONNECTED');
    await peer.send('SUBSCRIBE\nid:s1\ndestination:/topic/groups.g\nsince:1\nreceipt:r1\n\n\0');
    const receipt = await peer.next('RECEIPT');
    assert.deepEqual([receipt.headers.get('receipt-id'), receipt.headers.get('seq'), receipt.headers.get('truncated')], ['r1', '6', 'true']);
    await until(() => peer.all('MESSAGE').length === 3, 2000, 'replay');
    const messages = peer.all('MESSAGE');
    assert.deepEqual(messages.map((m) => m.headers.get('seq')), ['4', '5', '6']);
    assert.deepEqual(messages.map((m) => m.headers.get('truncated')), ['true', undefined, undefined]);
    assert.equal(JSON.parse(messages[0]!.body).data.text, '3');
    assert.equal(Number(messages[0]!.headers.get('content-length')), Buffer.byteLength(messages[0]!.body));
    assert.equal(peer.binaryMessages, 0, 'every frame travels as a WebSocket text message (browsers need it)');
  });

  test('UNSUBSCRIBE stops delivery; DISCONNECT with receipt gets the RECEIPT, then the server closes', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const peer = new RawStomp(`${wsUrl}/stomp`);
    await peer.send(connectFrame());
    await peer.send('SUBSCRIBE\nid:s1\ndestination:/topic/groups.g\nreceipt:r1\n\n\0');
    await peer.next('RECEIPT');
    await peer.send('UNSUBSCRIBE\nid:s1\nreceipt:r2\n\n\0');
    await until(() => peer.all('RECEIPT').length === 2, 2000, 'unsubscribe receipt');
    assert.equal(app.hub.stats().subscriptions, 0);
    await app.hub.publish('g', { type: 'chat', text: 'after' }, 'u', 'http');
    await peer.send('DISCONNECT\nreceipt:bye\n\n\0');
    await peer.closed;
    assert.equal(peer.all('MESSAGE').length, 0);
    assert.equal(peer.all('RECEIPT')[2]!.headers.get('receipt-id'), 'bye');
    await until(() => app.connections.count === 0, 2000, 'slot released');
  });

  test('server heart-beats are sent at the negotiated rate and a silent client is dropped', async (t) => {
    const { wsUrl, app } = await startServer(t, { stompHeartbeatMs: 40 });
    const peer = new RawStomp(`${wsUrl}/stomp`);
    // The client promises a beat every 200 ms (and never sends one) and wants one every 40 ms:
    // the server sends every 40 ms and drops the client after 2 x 200 ms of silence.
    await peer.send(connectFrame('accept-version:1.2\nheart-beat:200,40'));
    const connected = await peer.next('CONNECTED');
    assert.equal(connected.headers.get('heart-beat'), '40,40');
    const opened = Date.now();
    await until(() => peer.heartbeats >= 3, 2000, 'server heart-beats');
    assert.equal(await peer.closed, 1006, 'a client that never beats is dropped (terminated)');
    assert.ok(Date.now() - opened >= 350, 'not before twice the promised period');
    await until(() => app.connections.count === 0, 2000, 'slot released');
    assert.equal(await metricValue(app, 'rt_connections_closed_total', { transport: 'stomp', reason: 'dead_peer' }), 1);
  });

  test('with heart-beats off, a peer that stops answering protocol pings is still dropped', async (t) => {
    const { wsUrl, app } = await startServer(t, { wsPingMs: 40 });
    const silent = new RawStomp(`${wsUrl}/stomp`, ['v12.stomp'], { autoPong: false });
    await silent.send(connectFrame('accept-version:1.2\nheart-beat:0,0'));
    await silent.next('CONNECTED');
    const healthy = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => healthy.close());
    await healthy.send(connectFrame('accept-version:1.2\nheart-beat:0,0'));
    await healthy.next('CONNECTED');
    assert.equal(await silent.closed, 1006);
    await until(() => app.connections.count === 1, 2000, 'the dead peer released');
    assert.equal(await metricValue(app, 'rt_connections_closed_total', { transport: 'stomp', reason: 'dead_peer' }), 1);
    assert.equal(healthy.closeCode, undefined, 'a peer that answers stays');
  });

  test('a consumer that stops reading gets ERROR slow_consumer and is closed; others get everything', async (t) => {
    const { wsUrl, app } = await startServer(t, { maxBufferedBytes: 64 * 1024 });
    const stalled = new RawStomp(`${wsUrl}/stomp`);
    await stalled.send(connectFrame());
    await stalled.send('SUBSCRIBE\nid:s1\ndestination:/topic/groups.g\nreceipt:r\n\n\0');
    await stalled.next('RECEIPT');
    stalled.socket.pause();
    const healthy = new StompClient(wsUrl);
    t.after(() => healthy.close());
    await healthy.subscribe('g');
    let published = 0;
    while (published < 20000 && (await metricValue(app, 'rt_dropped_events_total', { transport: 'stomp', reason: 'slow_consumer' })) === 0) {
      await app.hub.publish('g', { type: 'chat', text: 'q'.repeat(900) }, 'load', 'http');
      if (++published % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    assert.ok(published < 20000, 'the stalled consumer was cut');
    await healthy.waitForCount(published, 10000);
    stalled.socket.resume();
    assert.equal(await stalled.closed, 4008);
    assert.equal((await stalled.next('ERROR')).headers.get('message'), 'slow_consumer');
  });
});
