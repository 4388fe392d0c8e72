import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import WebSocket from 'ws';
import { metricValue, startServer, until, type TestServer } from './support/server.js';

// One stalled reader among 100 on each streaming transport: the stalled one is cut with slow_consumer,
// the 99 others receive every event with bounded latency, and server memory stays bounded.

const HEALTHY = 99;
const TEXT = 'p'.repeat(800);
const MAX_EVENTS = 20_000;

/** A reader that records seq and accept-to-receipt latency with a cheap scan, no JSON parse. */
class Reader {
  seqs = 0;
  lastSeq = 0;
  latencies: number[] = [];
  take(text: string): void {
    let at = text.indexOf('"seq":');
    while (at !== -1) {
      const seq = Number(text.slice(at + 6, text.indexOf(',', at)));
      const acceptedAt = Number(text.slice(text.indexOf('"at":', at) + 5, text.indexOf(',', text.indexOf('"at":', at))));
      if (seq > this.lastSeq) {
        this.seqs++;
        this.lastSeq = seq;
        this.latencies.push(Date.now() - acceptedAt);
      }
      at = text.indexOf('"seq":', at + 6);
    }
  }
}

type Opened = { reader: Reader; pause(): void; close(): void };

function openWs(server: TestServer, path: string, hello: string[]): Promise<Opened> {
  return new Promise((resolve) => {
    const reader = new Reader();
    const socket = new WebSocket(server.wsUrl + path, path === '/stomp' ? ['v12.stomp'] : []);
    socket.on('error', () => {});
    socket.on('message', (data) => {
      const text = data.toString();
      if (text.includes('"subscribed"') || text.startsWith('RECEIPT')) resolve({ reader, pause: () => socket.pause(), close: () => socket.terminate() });
      reader.take(text);
    });
    socket.once('open', () => hello.forEach((frame) => socket.send(frame)));
  });
}

function openSse(server: TestServer): Promise<Opened> {
  return new Promise((resolve) => {
    const reader = new Reader();
    const request = http.get(`${server.baseUrl}/sse/groups/slow`, { agent: false }, (response) => {
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => reader.take(chunk));
      response.on('error', () => {});
      resolve({ reader, pause: () => response.pause(), close: () => request.destroy() });
    });
    request.on('error', () => {});
  });
}

const openers: Record<string, (server: TestServer) => Promise<Opened>> = {
  websocket: (server) => openWs(server, '/ws', ['{"op":"subscribe","group":"slow"}']),
  stomp: (server) => openWs(server, '/stomp', ['CONNECT\naccept-version:1.2\n\n\0', 'SUBSCRIBE\nid:1\ndestination:/topic/groups.slow\nreceipt:r\n\n\0']),
  sse: openSse,
};

describe('slow consumers', () => {
  for (const [transport, open] of Object.entries(openers)) {
    test(`${transport}: 1 stalled reader among 100 is cut; the others get everything`, { timeout: 60_000 }, async (t) => {
      const server = await startServer(t, { maxBufferedBytes: 256 * 1024 });
      const stalled = await open(server);
      stalled.pause();
      const healthy = await Promise.all(Array.from({ length: HEALTHY }, () => open(server)));
      t.after(() => [stalled, ...healthy].forEach((c) => c.close()));
      const rssBefore = process.memoryUsage().rss;
      // Publish at a steady pace until the stalled reader has been cut (kernel buffers absorb the first
      // few MB), then 200 more: the healthy readers must have every one of them.
      const cut = () => metricValue(server.app, 'rt_dropped_events_total', { transport, reason: 'slow_consumer' });
      let published = 0;
      let after = 0;
      while (published < MAX_EVENTS && after < 200) {
        await server.app.hub.publish('slow', { type: 'chat', text: TEXT }, 'load', 'http');
        published++;
        if (published % 20 === 0) await new Promise((r) => setTimeout(r, 2));
        if (after > 0 || (published % 20 === 0 && (await cut()) > 0)) after++;
      }
      assert.ok(after === 200, `the stalled reader was cut within ${MAX_EVENTS} events`);
      await until(() => healthy.every((c) => c.reader.seqs === published), 30_000, 'every healthy reader complete');
      assert.equal(await metricValue(server.app, 'rt_dropped_events_total', { transport, reason: 'slow_consumer' }), 1);
      // Counted when the socket is gone: at once for SSE, after the close grace (2 s) for a peer that
      // cannot even read the close frame.
      const closedSlow = () => metricValue(server.app, 'rt_connections_closed_total', { transport, reason: 'slow_consumer' });
      for (let i = 0; i < 100 && (await closedSlow()) === 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await closedSlow(), 1);
      const latencies = healthy.flatMap((c) => c.reader.latencies).sort((a, b) => a - b);
      const p99 = latencies[Math.floor(latencies.length * 0.99)]!;
      // A correctness bound, not a benchmark: the stalled reader must not hold the others back by seconds.
      assert.ok(p99 < 2000, `p99 ${p99} ms`);
      const grown = (process.memoryUsage().rss - rssBefore) / 1024 / 1024;
      assert.ok(grown < 200, `RSS grew ${grown.toFixed(0)} MB`);
      t.diagnostic(`${transport}: ${HEALTHY} x ${published} delivered, p99 ${p99} ms, RSS +${grown.toFixed(0)} MB`);
    });
  }
});

describe('resuming after a cut', () => {
  for (const transport of ['websocket', 'stomp', 'sse'] as const) {
    test(`${transport}: a backlog larger than MAX_BUFFERED_BYTES replays in full; live events follow`, async (t) => {
      const server = await startServer(t, { maxBufferedBytes: 64 * 1024, historySize: 1000 });
      for (let i = 0; i < 300; i++) await server.app.hub.publish('backlog', { type: 'chat', text: TEXT }, 'load', 'http'); // ~300 KB
      const { openClient } = await import('./clients/index.js');
      const client = await openClient(transport, server.baseUrl);
      t.after(() => client.close());
      await client.subscribe('backlog', 0);
      await client.waitForCount(300, 10_000);
      await server.app.hub.publish('backlog', { type: 'chat', text: 'live' }, 'load', 'http');
      await client.waitForCount(301, 5_000);
      assert.deepEqual(client.events.map((e) => e.seq), Array.from({ length: 301 }, (_, i) => i + 1));
      assert.equal(await metricValue(server.app, 'rt_dropped_events_total', { transport, reason: 'slow_consumer' }), 0);
    });
  }
});
