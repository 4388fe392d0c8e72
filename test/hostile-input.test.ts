import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ERROR_STATUS } from '../src/domain/errors.js';
import { startServer, buildTestApp, until } from './support/server.js';
import { RawStomp, connectFrame } from './support/raw-stomp.js';

const CODES = new Set(Object.keys(ERROR_STATUS));
const json = { 'content-type': 'application/json' };

const nasty: [string, string][] = [
  ['deep nesting', '['.repeat(100_000) + ']'.repeat(100_000)],
  ['a deep object', '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)],
  ['NaN as a string', '{"type":"location","lat":"NaN","lng":0}'],
  ['a huge number', '{"type":"location","lat":1e400,"lng":0}'],
  ['a huge accuracy', '{"type":"location","lat":1,"lng":0,"accuracy":1e400}'],
  ['a negative speed', '{"type":"location","lat":1,"lng":0,"speed":-0.1}'],
  ['__proto__', '{"type":"chat","text":"x","__proto__":{"admin":true}}'],
  ['a null', 'null'],
  ['a number', '42'],
  ['a string', '"chat"'],
  ['an empty object', '{}'],
  ['text of 1001 code points', JSON.stringify({ type: 'chat', text: '😀'.repeat(1001) })],
  ['a control-character id', JSON.stringify({ type: 'chat', text: 'x', clientId: 'a\u0000b' })],
];

describe('hostile input never crashes the server, never disturbs others, never loses accepted events', () => {
  test('HTTP publish: every nasty body gets a defined 4xx error code', async (t) => {
    const app = await buildTestApp(t, { maxBodyBytes: 4096 });
    for (const [name, body] of [...nasty, ['a 1 MB body', 'x'.repeat(1_000_000)] as [string, string]]) {
      const res = await app.inject({ method: 'POST', url: '/groups/g/events', headers: json, payload: body });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${name}: ${res.statusCode}`);
      assert.ok(CODES.has(res.json().error.code), name);
    }
    const invalidUtf8 = Buffer.concat([Buffer.from('{"type":"chat","text":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]);
    const res = await app.inject({ method: 'POST', url: '/groups/g/events', headers: json, payload: invalidUtf8 });
    assert.ok(res.statusCode === 202 || res.statusCode === 400, 'invalid UTF-8 is replaced or refused, never a crash');
    assert.ok((await app.inject({ url: '/healthz' })).statusCode === 200);
  });

  test('HTTP publish, property: any JSON value is either a valid command (202, stored intact) or a defined 4xx', async (t) => {
    const app = await buildTestApp(t);
    let accepted = 0;
    const command = fc.oneof(
      fc.record({ type: fc.constant('location'), lat: fc.double(), lng: fc.double(), accuracy: fc.option(fc.double(), { nil: undefined }) }, { requiredKeys: ['type', 'lat', 'lng'] }),
      fc.record({ type: fc.constant('chat'), text: fc.string({ maxLength: 1100 }), clientId: fc.option(fc.string(), { nil: undefined }) }, { requiredKeys: ['type', 'text'] }),
      fc.jsonValue(),
    );
    await fc.assert(
      fc.asyncProperty(command, async (body) => {
        const res = await app.inject({ method: 'POST', url: '/groups/fuzz/events', headers: json, payload: JSON.stringify(body) });
        if (res.statusCode === 202) {
          accepted++;
          const stored = (await app.hub.read('fuzz', res.json().seq - 1)).events[0]!.event;
          const sent = JSON.parse(JSON.stringify(body)) as Record<string, unknown>;
          for (const [key, value] of Object.entries(sent)) if (key !== 'type') assert.deepEqual((stored.data as unknown as Record<string, unknown>)[key], value);
        } else {
          assert.ok(res.statusCode >= 400 && res.statusCode < 500, String(res.statusCode));
          assert.ok(CODES.has(res.json().error.code));
        }
      }),
      { numRuns: 300 },
    );
    assert.equal((await app.hub.read('fuzz', 0)).head, accepted, 'exactly the accepted commands were stored');
  });

  test('query strings and headers: bad cursors, ids and Last-Event-IDs are defined errors', async (t) => {
    const app = await buildTestApp(t);
    const urls = ['/poll/groups/g?since=1e400', '/poll/groups/g?since=NaN', '/poll/groups/g?since=%00', '/poll/groups/g?since=1&since=2',
      `/poll/groups/${'a'.repeat(65)}`, '/longpoll/groups/g?timeout=-1', '/sse/groups/g?since=-5', '/groups/..%2F..%2Fetc/snapshot'];
    for (const url of urls) {
      const res = await app.inject({ url });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${url}: ${res.statusCode}`);
      assert.ok(CODES.has(res.json().error.code), url);
    }
    const res = await app.inject({ url: '/sse/groups/g', headers: { 'last-event-id': '1; DROP' } });
    assert.equal(res.json().error.code, 'invalid_cursor');
  });

  test('WebSocket: nasty frames get error ops; invalid UTF-8 closes only that connection (1007)', async (t) => {
    const { wsUrl, app } = await startServer(t);
    const bystander = new WebSocket(`${wsUrl}/ws`);
    t.after(() => bystander.close());
    const events: string[] = [];
    bystander.on('message', (d) => events.push(d.toString()));
    await new Promise((r) => bystander.once('open', r));
    bystander.send('{"op":"subscribe","group":"g"}');

    const attacker = new WebSocket(`${wsUrl}/ws`);
    const replies: { code?: string }[] = [];
    attacker.on('message', (d) => replies.push(JSON.parse(d.toString())));
    await new Promise((r) => attacker.once('open', r));
    for (const [, body] of nasty) attacker.send(JSON.stringify({ op: 'publish', group: 'g', event: 'PLACEHOLDER' }).replace('"PLACEHOLDER"', body));
    attacker.send(Buffer.from([0xff, 0xfe, 0x00]), { binary: true });
    await until(() => replies.length === nasty.length + 1, 5000, 'every reply');
    assert.ok(replies.every((r) => CODES.has(r.code!)), JSON.stringify(replies.map((r) => r.code)));
    const closed = new Promise<number>((resolve) => attacker.once('close', (code) => resolve(code)));
    (attacker as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x81, 0x83, 0, 0, 0, 0, 0xff, 0xfe, 0xfd])); // masked text frame, invalid UTF-8
    assert.equal(await closed, 1007);

    await app.hub.publish('g', { type: 'chat', text: 'after the attack' }, 'u', 'http');
    await until(() => events.some((e) => e.includes('after the attack')), 2000, 'the bystander still served');
  });

  test('WebSocket framing, property: random bytes under the frames never crash the server; every connection is released', async (t) => {
    const { wsUrl, app } = await startServer(t);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.constantFrom('/ws', '/stomp'), async (bytes, path) => {
        const client = new WebSocket(`${wsUrl}${path}`, path === '/stomp' ? ['v12.stomp'] : []);
        client.on('error', () => {});
        await new Promise((r) => client.once('open', r));
        const closed = new Promise((resolve) => client.once('close', resolve));
        (client as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from(bytes));
        await Promise.race([closed, new Promise((r) => setTimeout(r, 30))]);
        client.terminate();
        await closed;
      }),
      { numRuns: 60 },
    );
    await until(() => app.connections.count === 0 && app.sockets.count === 0, 3000, 'every connection and socket released');
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  });

  test('WebSocket: a frame header announcing more than the message ceiling closes with 1009 before any payload is sent', async (t) => {
    const { wsUrl } = await startServer(t);
    const attacker = new WebSocket(`${wsUrl}/ws`);
    await new Promise((r) => attacker.once('open', r));
    const closed = new Promise<number>((resolve) => attacker.once('close', (code) => resolve(code)));
    // A masked binary frame header claiming 2^31 bytes, and nothing of its payload.
    (attacker as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.from([0x82, 0xff, 0, 0, 0, 0, 0x80, 0, 0, 0, 1, 2, 3, 4]));
    assert.equal(await closed, 1009);
  });

  test('STOMP, property: random bytes never crash the server; each connection gets frames or a defined ERROR', async (t) => {
    const { wsUrl, app } = await startServer(t);
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, connectFirst) => {
        const peer = new RawStomp(`${wsUrl}/stomp`);
        if (connectFirst) await peer.send(connectFrame());
        await peer.send(Buffer.from(bytes));
        await peer.send('SEND\ndestination:/app/groups/ok\nreceipt:probe\n\n{"type":"chat","text":"x"}\0');
        await until(() => peer.closeCode !== undefined || peer.frames.some((f) => f.command === 'RECEIPT' || f.command === 'ERROR'), 3000, 'an answer');
        for (const error of peer.all('ERROR')) assert.ok(CODES.has(error.headers.get('message')!), error.headers.get('message'));
        peer.close();
      }),
      { numRuns: 60 },
    );
    assert.equal((await app.inject({ url: '/healthz' })).statusCode, 200);
  });
});
