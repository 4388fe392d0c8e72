import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../support/server.js';
import { RawStomp, connectFrame } from '../../support/raw-stomp.js';

async function connected(t: import('node:test').TestContext, connect = connectFrame(), overrides = {}): Promise<{ peer: RawStomp; app: Awaited<ReturnType<typeof startServer>>['app'] }> {
  const { wsUrl, app } = await startServer(t, overrides);
  const peer = new RawStomp(`${wsUrl}/stomp`);
  t.after(() => peer.close());
  await peer.send(connect);
  return { peer, app };
}

describe('STOMP session', () => {
  const versions: [string, string][] = [
    ['accept-version:1.2\nhost:arena', '1.2'],
    ['accept-version:1.0,1.1', '1.1'],
    ['accept-version:2.0,1.1,1.2', '1.2'],
    ['host:arena', '1.0'],
    ['accept-version:1.2', '1.2'],
  ];
  for (const [headers, version] of versions) {
    test(`CONNECT with ${headers.replace('\n', ' ')} -> CONNECTED version ${version}`, async (t) => {
      const { peer } = await connected(t, connectFrame(headers));
      const frame = await peer.next('CONNECTED');
      assert.equal(frame.headers.get('version'), version);
      assert.equal(frame.headers.get('heart-beat'), '10000,10000');
      assert.ok(frame.headers.get('server'));
    });
  }

  test('the STOMP command connects like CONNECT', async (t) => {
    const { peer } = await connected(t, 'STOMP\naccept-version:1.2\nhost:x\n\n\0');
    assert.equal((await peer.next('CONNECTED')).headers.get('version'), '1.2');
  });

  const errors: [string, string, string][] = [
    ['a frame before CONNECT', 'SEND\ndestination:/app/groups/g\n\n{}\0', 'invalid_request'],
    ['no common version', 'CONNECT\naccept-version:2.0\n\n\0', 'invalid_request'],
  ];
  for (const [name, frame, code] of errors) {
    test(`${name} -> ERROR ${code}, then close`, async (t) => {
      const { peer } = await connected(t, frame);
      assert.equal((await peer.next('ERROR')).headers.get('message'), code);
      await peer.closed;
    });
  }

  const afterConnect: [string, string | Buffer, string][] = [
    ['an unknown command', 'FROB\n\n\0', 'unknown_op'],
    ['a malformed JSON body', 'SEND\ndestination:/app/groups/g\n\n{"type":\0', 'invalid_event'],
    ['an out-of-range event', 'SEND\ndestination:/app/groups/g\n\n{"type":"location","lat":1,"lng":500}\0', 'invalid_event'],
    ['a bad group', 'SEND\ndestination:/app/groups/no good\n\n{"type":"chat","text":"x"}\0', 'invalid_group'],
    ['an unknown destination', 'SUBSCRIBE\nid:1\ndestination:/queue/x\n\n\0', 'not_found'],
    ['SEND without destination', 'SEND\n\n{}\0', 'invalid_request'],
    ['SUBSCRIBE without id (1.2)', 'SUBSCRIBE\ndestination:/topic/groups.g\n\n\0', 'invalid_request'],
    ['a malformed since', 'SUBSCRIBE\nid:1\ndestination:/topic/groups.g\nsince:abc\n\n\0', 'invalid_cursor'],
    ...['1e3', '0x1', '+1', '1.0', ' 1', ''].map((since): [string, string, string] => [`since '${since}'`, `SUBSCRIBE\nid:1\ndestination:/topic/groups.g\nsince:${since}\n\n\0`, 'invalid_cursor']),
    ['UNSUBSCRIBE of an unknown id', 'UNSUBSCRIBE\nid:nope\n\n\0', 'not_subscribed'],
    ['a transaction', 'BEGIN\ntransaction:t1\n\n\0', 'invalid_request'],
    ['a negative content-length', 'SEND\ndestination:/app/groups/g\ncontent-length:-5\n\n{}\0', 'invalid_request'],
    ['a content-length short of the body', 'SEND\ndestination:/app/groups/g\ncontent-length:1\n\n{}\0', 'invalid_request'],
    ['a content-length past the frame cap', 'SEND\ndestination:/app/groups/g\ncontent-length:999999\n\n{}\0', 'payload_too_large'],
    ['10,000 headers', `SEND\ndestination:/app/groups/g\n${Array.from({ length: 10000 }, (_, i) => `h${i}:v`).join('\n')}\n\n{}\0`, 'payload_too_large'],
    ['200 headers', `SEND\ndestination:/app/groups/g\n${Array.from({ length: 200 }, (_, i) => `h${i}:v`).join('\n')}\n\n{}\0`, 'invalid_request'],
    ['an undefined header escape', 'SEND\ndestination:/app/groups/g\nx:a\\tb\n\n{}\0', 'invalid_request'],
    ['a frame over the size limit', `SEND\ndestination:/app/groups/g\n\n${'x'.repeat(6000)}\0`, 'payload_too_large'],
  ];
  for (const [name, frame, code] of afterConnect) {
    test(`${name} -> ERROR ${code}, then close; nothing accepted`, async (t) => {
      const { peer, app } = await connected(t);
      await peer.next('CONNECTED');
      await peer.send(frame);
      const error = await peer.next('ERROR');
      assert.equal(error.headers.get('message'), code);
      assert.ok(error.body.length > 0, 'the body explains');
      await peer.closed;
      assert.equal((await app.hub.read('g', 0)).head, 0);
    });
  }

  test('a frame without its final NUL is accepted (one frame per WebSocket message)', async (t) => {
    const { peer, app } = await connected(t);
    await peer.send('SEND\ndestination:/app/groups/g\nreceipt:r\n\n{"type":"chat","text":"typed by hand"}');
    assert.equal((await peer.next('RECEIPT')).headers.get('seq'), '1');
    assert.equal((await app.hub.read('g', 0)).events[0]!.event.type, 'chat');
  });

  test('several frames in one message, heart-beat EOLs between them, and a content-length body', async (t) => {
    const { peer } = await connected(t);
    const body = '{"type":"chat","text":"a"}';
    await peer.send(`\nSEND\ndestination:/app/groups/g\nreceipt:a\n\n${body}\0\n\nSEND\ndestination:/app/groups/g\ncontent-length:${body.length}\nreceipt:b\n\n${body}\0`);
    await peer.next('CONNECTED');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(peer.all('RECEIPT').map((f) => [f.headers.get('receipt-id'), f.headers.get('seq')]), [['a', '1'], ['b', '2']]);
  });

  test('ACK and NACK are accepted (every subscription behaves as ack:auto)', async (t) => {
    const { peer } = await connected(t);
    await peer.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.g\nack:client-individual\n\n\0');
    await peer.send('ACK\nid:x\nreceipt:k\n\n\0');
    assert.equal((await peer.next('RECEIPT')).headers.get('receipt-id'), 'k');
  });

  test('header values are escaped per version: 1.2 escapes, 1.0 does not; ids are not trimmed', async (t) => {
    const { peer, app } = await connected(t);
    await peer.send('SUBSCRIBE\nid: a\\cb \ndestination:/topic/groups.g\nreceipt:r\n\n\0');
    await peer.next('RECEIPT');
    await app.hub.publish('g', { type: 'chat', text: 'x' }, 'u', 'http');
    const message = await peer.next('MESSAGE');
    assert.equal(message.headers.get('subscription'), ' a:b ');
    const old = await connected(t, connectFrame('accept-version:1.0'));
    await old.peer.next('CONNECTED');
    await old.peer.send('SUBSCRIBE\ndestination:/topic/groups.g\nreceipt:r\n\n\0');
    await old.peer.next('RECEIPT');
    await old.app.hub.publish('g', { type: 'chat', text: 'x' }, 'u', 'http');
    assert.equal((await old.peer.next('MESSAGE')).headers.get('subscription'), '/topic/groups.g', '1.0: id defaults to the destination');
  });

  test('a bad frame on one connection does not disturb another', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const good = new RawStomp(`${wsUrl}/stomp`);
    const bad = new RawStomp(`${wsUrl}/stomp`);
    t.after(() => good.close());
    await good.send(connectFrame());
    await good.send('SUBSCRIBE\nid:1\ndestination:/topic/groups.g\nreceipt:r\n\n\0');
    await good.next('RECEIPT');
    await bad.send('garbage without a command line\0');
    await bad.closed;
    await app.hub.publish('g', { type: 'chat', text: 'still here' }, 'u', 'http');
    assert.equal(JSON.parse((await good.next('MESSAGE')).body).data.text, 'still here');
  });
});
