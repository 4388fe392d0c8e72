import type net from 'node:net';
import type { TransportName } from '../../src/domain/events.js';
import { mintToken } from '../../src/auth.js';
import {
  ATTACKER_ADDRESS, agentFrom, request, type AttackTarget, clientFrame, connect, drainToEnd, p99, serverCpuPercent, sleep, stompFrame, writeWithin, wsUpgrade,
} from './raw.js';

/** What an attack found: whether the server cut (or otherwise neutralised) it, and what it saw. */
export interface AttackOutcome {
  /** The server cut the attacker or refused what it asked (the attack stopped costing). */
  cut: boolean;
  detail: string;
  figures: Record<string, number | null>;
}

/** One hostile client behaviour, run for a fixed, bounded time. */
export interface Attack {
  name: string;
  title: string;
  /** The transport the attacker abuses (the row's label in the report). */
  transport: TransportName;
  /** Server configuration this attack needs (beyond the scenario's). */
  serverEnv?: Record<string, string>;
  /** False when the bench's clients cannot be bystanders here (they carry no token). */
  bystanders?: boolean;
  /** Sets up what the attack needs before the measured window (a full group, ...). */
  prepare?(target: AttackTarget): Promise<void>;
  run(target: AttackTarget, durationMs: number): Promise<AttackOutcome>;
}

/** The group the replaying attacks read: HISTORY_SIZE events of ~1 KB. */
export const BIG_GROUP = 'hostile-big';
const BIG_EVENTS = 1000;
const AUTH_SECRET = 'hostile-bench-secret';

/** Fills BIG_GROUP with ~1 KB chat events over a few keep-alive connections. */
async function fillBigGroup(target: AttackTarget): Promise<void> {
  const body = JSON.stringify({ type: 'chat', text: 'x'.repeat(1000) });
  const agent = agentFrom(ATTACKER_ADDRESS.probe, 10);
  const post = () => request(target, agent, 'POST', `/groups/${BIG_GROUP}/events`, body);
  for (let i = 0; i < BIG_EVENTS; i += 10) await Promise.all(Array.from({ length: 10 }, post));
  agent.destroy();
}

/** One GET per line of `count`, pipelined into one write. */
const pipelined = (path: string, count: number) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`.repeat(count);

const pipelinedPolls: Attack = {
  name: 'pipelined-polls',
  title: 'Pipelined short polls of a full group on sockets that never read',
  transport: 'short-polling',
  prepare: fillBigGroup,
  async run(target, durationMs) {
    const sockets = await Promise.all([0, 1].map(() => connect(target, ATTACKER_ADDRESS.http)));
    for (const s of sockets) {
      s.pause();
      s.write(pipelined(`/poll/groups/${BIG_GROUP}?since=0`, 4000)); // ~200 KB of requests
    }
    await sleep(durationMs);
    const ends = await Promise.all(sockets.map((s) => drainToEnd(s, 3000, 256 * 1024 * 1024)));
    const cut = ends.filter((e) => e.closed).length;
    return {
      cut: cut === sockets.length,
      detail: `${cut} of ${sockets.length} sockets closed by the server; ${Math.round(ends.reduce((a, e) => a + e.bytes, 0) / 1048576)} MB of answers had reached them`,
      figures: { sockets: sockets.length, cut, answerBytesReceived: ends.reduce((a, e) => a + e.bytes, 0) },
    };
  },
};

/** MAX_GROUPS for the many-groups attack: low enough that a 10 s spray on this box passes it. */
const SPRAY_MAX_GROUPS = 5000;

/** The value of `rt_groups{scope="held"}` on the target's /metrics, or -1 when it is not exported. */
async function groupsHeld(target: AttackTarget): Promise<number> {
  const res = await fetch(`${target.url}/metrics`);
  const match = /^rt_groups\{scope="held"\} (\d+)/m.exec(await res.text());
  return match ? Number(match[1]) : -1;
}

const manyGroups: Attack = {
  name: 'many-groups',
  title: 'One tiny chat per new group id over 32 keep-alive connections',
  transport: 'short-polling',
  // The bound is the number of groups held, not a refusal: idle groups are evicted to make room, so a
  // spray is never refused; what must hold is that the server keeps at most MAX_GROUPS of them.
  serverEnv: { MAX_GROUPS: String(SPRAY_MAX_GROUPS) },
  async run(target, durationMs) {
    const until = Date.now() + durationMs;
    const body = JSON.stringify({ type: 'chat', text: 'x' });
    let created = 0;
    let refused = 0;
    let next = 0;
    const codes = new Map<string, number>();
    const agent = agentFrom(ATTACKER_ADDRESS.http, 32);
    const worker = async () => {
      while (Date.now() < until && next < 200_000) {
        const res = await request(target, agent, 'POST', `/groups/hg-${next++}/events`, body);
        if (res.status === 202) {
          created++;
          continue;
        }
        refused++;
        let code = res.status === 0 ? 'network' : String(res.status);
        try {
          code = (JSON.parse(res.text) as { error?: { code?: string } }).error?.code ?? code;
        } catch {}
        codes.set(code, (codes.get(code) ?? 0) + 1);
        if (res.status === 0) await sleep(10);
      }
    };
    await Promise.all(Array.from({ length: 32 }, worker));
    agent.destroy();
    const held = await groupsHeld(target);
    return {
      cut: held >= 0 && held <= SPRAY_MAX_GROUPS && (created > SPRAY_MAX_GROUPS || refused > 0),
      detail: `${created} groups created, ${held} held at the end (MAX_GROUPS=${SPRAY_MAX_GROUPS}), ${refused} publishes refused (${[...codes].map(([c, n]) => `${c}=${n}`).join(', ') || 'none'})`,
      figures: { groupsCreated: created, groupsHeld: held, refused },
    };
  },
};

/** Floods frames on connections that never read, keeping them alive with unsolicited pongs. */
async function floodNeverReading(sockets: net.Socket[], frame: Buffer, durationMs: number, capBytes: number, pong?: Buffer, closeWaitMs = 5000): Promise<AttackOutcome> {
  const until = Date.now() + durationMs;
  const batch = Buffer.concat(Array.from({ length: Math.max(1, Math.floor(65536 / frame.length)) }, () => frame));
  const written = sockets.map(() => 0);
  let stalled = 0;
  await Promise.all(
    sockets.map(async (s, i) => {
      s.pause();
      let lastPong = Date.now();
      while (Date.now() < until && written[i]! < capBytes && !s.destroyed) {
        if (pong && Date.now() - lastPong > 1000) (s.write(pong), (lastPong = Date.now()));
        if (!(await writeWithin(s, batch, Math.max(1, until - Date.now())))) {
          if (!s.destroyed) stalled++;
          break;
        }
        written[i]! += batch.length;
      }
    }),
  );
  // A socket that is not read never shows the server's close (it waits behind the unread bytes, and a reset
  // surfaces only on a read), so read what the kernel held, as a client resuming would, and look for the end.
  // A server on a shared core may still be working through the flood it read: give it time to cut.
  const ends = await Promise.all(sockets.map((s) => drainToEnd(s, closeWaitMs, 512 * 1048576)));
  const closed = ends.filter((end) => end.closed).length;
  sockets.forEach((s) => s.destroy());
  const mb = written.reduce((a, b) => a + b, 0) / 1048576;
  return {
    cut: closed === sockets.length,
    detail: `${closed} of ${sockets.length} connections closed by the server after ${mb.toFixed(1)} MB written${stalled ? `; ${stalled} stopped being read` : ''}`,
    figures: { connections: sockets.length, closed, mbWritten: Number(mb.toFixed(1)) },
  };
}

const wsBadOps: Attack = {
  name: 'ws-bad-ops',
  title: 'WebSocket clients that never read, flooding bad ops (`1`)',
  transport: 'websocket',
  async run(target, durationMs) {
    const sockets = await Promise.all([0, 1].map(() => wsUpgrade(target, '/ws', ATTACKER_ADDRESS.ws)));
    return floodNeverReading(sockets, clientFrame('1'), durationMs, 10 * 1048576, clientFrame('', 0xa));
  },
};

async function stompSession(target: AttackTarget, heartBeat = '0,0', localAddress: string = ATTACKER_ADDRESS.stomp): Promise<net.Socket> {
  const s = await wsUpgrade(target, '/stomp', localAddress, 'v12.stomp');
  s.write(clientFrame(stompFrame('CONNECT', { 'accept-version': '1.2', host: 'x', 'heart-beat': heartBeat })));
  return s;
}

const stompReceipts: Attack = {
  name: 'stomp-receipts',
  title: 'STOMP clients that never read, asking a RECEIPT for every frame',
  transport: 'stomp',
  async run(target, durationMs) {
    // A RECEIPT is about as long as the ACK asking it, so unlike the WebSocket error replies there is no
    // amplification: the receipts must pass what the kernel buffers for a socket that is not read (about
    // 4 MB here) plus MAX_BUFFERED_BYTES, so each session floods 24 MB.
    const sockets = await Promise.all([0, 1].map(() => stompSession(target)));
    return floodNeverReading(sockets, clientFrame(stompFrame('ACK', { id: 'x', receipt: 'r' })), durationMs, 24 * 1048576);
  },
};

const replayRepetition: Attack = {
  name: 'replay-repetition',
  title: 'Replays by repetition: WebSocket `subscribe since:0` and STOMP SUBSCRIBE/UNSUBSCRIBE `since:0`, never read',
  transport: 'websocket',
  prepare: fillBigGroup,
  async run(target, durationMs) {
    const ws = await wsUpgrade(target, '/ws', ATTACKER_ADDRESS.ws);
    const stomp = await stompSession(target);
    ws.pause();
    stomp.pause();
    const sub = clientFrame(JSON.stringify({ op: 'subscribe', group: BIG_GROUP, since: 0 }));
    const cycle = clientFrame(stompFrame('SUBSCRIBE', { id: 's', destination: `/topic/groups.${BIG_GROUP}`, since: '0' }) + stompFrame('UNSUBSCRIBE', { id: 's' }));
    // 100 replays of 1,000 ~1 KB events each: ~110 MB per connection if nothing bounds them.
    ws.write(Buffer.concat(Array.from({ length: 100 }, () => sub)));
    stomp.write(Buffer.concat(Array.from({ length: 100 }, () => cycle)));
    await sleep(durationMs);
    const [a, b] = await Promise.all([drainToEnd(ws, 3000, 512 * 1048576), drainToEnd(stomp, 3000, 512 * 1048576)]);
    return {
      cut: a.closed && b.closed,
      detail: `WebSocket ${a.closed ? 'cut' : 'not cut'} (${Math.round(a.bytes / 1048576)} MB had reached it), STOMP ${b.closed ? 'cut' : 'not cut'} (${Math.round(b.bytes / 1048576)} MB)`,
      figures: { wsCut: Number(a.closed), stompCut: Number(b.closed), wsMb: Math.round(a.bytes / 1048576), stompMb: Math.round(b.bytes / 1048576) },
    };
  },
};

const tokenExpiry: Attack = {
  name: 'long-token-expiry',
  title: 'Streams whose token expires in 30 days (past the 2^31-1 ms a Node timer holds)',
  transport: 'websocket',
  serverEnv: { AUTH_SECRET },
  bystanders: false,
  async run(target, durationMs) {
    const token = mintToken(AUTH_SECRET, { sub: 'long', groups: ['g'], ttlSeconds: 30 * 86400 });
    const sockets = await Promise.all(Array.from({ length: 5 }, () => wsUpgrade(target, `/ws?access_token=${token}`, ATTACKER_ADDRESS.ws)));
    const sse = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const s = await connect(target, ATTACKER_ADDRESS.http);
        s.write(`GET /sse/groups/g?access_token=${token} HTTP/1.1\r\nHost: x\r\n\r\n`);
        let text = '';
        s.on('data', (c: Buffer) => (text += c.toString()));
        return { s, text: () => text };
      }),
    );
    sockets.forEach((s) => s.resume());
    await sleep(durationMs);
    const wsClosed = sockets.filter((s) => s.destroyed).length;
    const sseExpired = sse.filter((x) => x.s.destroyed || /event: error/.test(x.text())).length;
    [...sockets, ...sse.map((x) => x.s)].forEach((s) => s.destroy());
    return {
      cut: wsClosed === 0 && sseExpired === 0,
      detail: `${wsClosed} of 5 WebSocket and ${sseExpired} of 5 SSE streams closed as expired within ${durationMs / 1000} s (none should be)`,
      figures: { wsClosed, sseExpired },
    };
  },
};

const stompHeartbeat: Attack = {
  name: 'stomp-heartbeat',
  title: 'STOMP sessions asking a heart-beat every 3,000,000,000 ms',
  transport: 'stomp',
  async run(target, durationMs) {
    const until = Date.now() + durationMs;
    // What the server spends with the bystanders alone, then with the sessions held: a heart-beat
    // timer that overflowed to 1 ms shows as CPU, not on the wire (the beat itself is never due).
    const baseline = await serverCpuPercent(target, 1500);
    const sessions: { s: net.Socket; error: boolean }[] = [];
    while (Date.now() < until - 3000 && sessions.length < 2000) {
      // Spread over 20 addresses (127.0.1.1-20), as many clients would be: one address holds at most MAX_CONNECTIONS_PER_IP.
      const batch = await Promise.all(Array.from({ length: 200 }, (_, i) => stompSession(target, '0,3000000000', `127.0.1.${1 + ((sessions.length + i) % 20)}`).catch(() => undefined)));
      for (const s of batch) {
        if (!s) continue;
        const entry = { s, error: false };
        s.on('data', (c: Buffer) => {
          if (c.includes('ERROR')) entry.error = true;
        });
        sessions.push(entry);
      }
    }
    const holding = await serverCpuPercent(target, Math.max(1500, until - Date.now()));
    const refused = sessions.filter((e) => e.error || e.s.destroyed).length;
    sessions.forEach((e) => e.s.destroy());
    // Unclamped, the timers slow the server enough that the sessions themselves open slowly: a verdict
    // of "harmless" needs the full 1,000 sessions held and no more than 10 points of extra CPU.
    const harmless = sessions.length >= 1000 && baseline !== null && holding !== null && holding < baseline + 10;
    return {
      cut: (sessions.length > 0 && refused === sessions.length) || harmless,
      detail: `${sessions.length} sessions opened in the window, ${refused} refused; server CPU ${holding?.toFixed(0)} % while holding them, ${baseline?.toFixed(0)} % before`,
      figures: { sessions: sessions.length, refused, cpuBeforePercent: baseline === null ? null : Math.round(baseline), cpuHoldingPercent: holding === null ? null : Math.round(holding) },
    };
  },
};

const subscriptionBurst: Attack = {
  name: 'subscription-burst',
  title: '5,000 WebSocket subscribes to distinct groups in one write (limit 100)',
  transport: 'websocket',
  async run(target, durationMs) {
    const s = await wsUpgrade(target, '/ws', ATTACKER_ADDRESS.ws);
    let text = '';
    s.on('data', (c: Buffer) => (text += c.toString('latin1')));
    s.write(Buffer.concat(Array.from({ length: 5000 }, (_, i) => clientFrame(JSON.stringify({ op: 'subscribe', group: `burst-${i}` })))));
    await sleep(Math.min(durationMs, 3000));
    s.destroy();
    const subscribed = (text.match(/"op":"subscribed"/g) ?? []).length;
    return { cut: subscribed <= 100, detail: `${subscribed} subscribed replies (limit 100)`, figures: { subscribed } };
  },
};

const trickledBodies: Attack = {
  name: 'trickled-bodies',
  title: 'POST bodies trickled at 1 byte a second from one address (MAX_CONNECTIONS_PER_IP=100)',
  transport: 'short-polling',
  async run(target, durationMs) {
    const until = Date.now() + durationMs;
    const open = new Set<net.Socket>();
    let refused = 0;
    let peak = 0;
    const health: number[] = [];
    const probe = agentFrom(ATTACKER_ADDRESS.probe, 1); // a fresh client, from an address of its own
    const drip = setInterval(() => {
      for (const s of open) s.write(' ');
    }, 1000);
    try {
      while (Date.now() < until) {
        for (let i = 0; i < 50 && open.size < 500; i++) {
          const s = await connect(target, ATTACKER_ADDRESS.trickle).catch(() => undefined);
          if (!s) continue;
          s.on('data', (c: Buffer) => {
            if (c.toString('latin1').startsWith('HTTP/1.1 503')) refused++;
          });
          s.once('close', () => open.delete(s));
          s.write('POST /groups/trickle/events HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{');
          open.add(s);
        }
        await sleep(200);
        peak = Math.max(peak, open.size);
        const started = performance.now();
        const ok = (await request(target, probe, 'GET', '/healthz', undefined, 5000)).status === 200;
        health.push(ok ? performance.now() - started : 5000);
      }
    } finally {
      clearInterval(drip);
      probe.destroy();
    }
    const atEnd = open.size;
    await sleep(2000); // refused sockets close within 1 s of their 503
    const held = open.size;
    open.forEach((s) => s.destroy());
    const healthP99 = p99(health);
    return {
      cut: refused > 0 && held <= 100 && (healthP99 ?? 5000) < 5000,
      detail: `${refused} sockets refused with 503; ${atEnd} open at the end (peak ${peak}), ${held} two seconds later; fresh /healthz p99 ${healthP99?.toFixed(1)} ms`,
      figures: { refused, openAtEnd: atEnd, heldAfter2s: held, peakOpen: peak, healthzP99Ms: healthP99 === null ? null : Number(healthP99.toFixed(1)) },
    };
  },
};

const looseCursors: Attack = {
  name: 'loose-cursors',
  title: 'Polls with loose cursors (`%20`, `0x1`, `1e3`, `+1`, `1.0`) on a full group',
  transport: 'short-polling',
  prepare: fillBigGroup,
  async run(target, durationMs) {
    const until = Date.now() + durationMs;
    const cursors = ['%20', '%09', '0x1', '0b11', '0o3', '1e3', '%2B1', '1.0'];
    let accepted = 0;
    let refused = 0;
    let replayed = 0;
    let i = 0;
    const agent = agentFrom(ATTACKER_ADDRESS.http, 4);
    const worker = async () => {
      while (Date.now() < until && i < 100_000) {
        const res = await request(target, agent, 'GET', `/poll/groups/${BIG_GROUP}?since=${cursors[i++ % cursors.length]}`);
        let body: { events?: unknown[]; error?: { code: string } } = {};
        try {
          body = JSON.parse(res.text) as typeof body;
        } catch {}
        if (res.status === 200) (accepted++, (replayed += body.events?.length ?? 0));
        else if (body.error?.code === 'invalid_cursor') refused++;
        else if (res.status === 0) await sleep(10);
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    agent.destroy();
    return { cut: accepted === 0 && refused > 0, detail: `${refused} refused as invalid_cursor, ${accepted} answered (${replayed} events replayed)`, figures: { refused, accepted, replayed } };
  },
};

/** Every attack, in the order of the report. */
export const ATTACKS: readonly Attack[] = [
  pipelinedPolls, manyGroups, wsBadOps, stompReceipts, replayRepetition, tokenExpiry, stompHeartbeat, subscriptionBurst, trickledBodies, looseCursors,
];
