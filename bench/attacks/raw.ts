import http from 'node:http';
import net from 'node:net';
import { randomBytes } from 'node:crypto';

/** Where an attack goes: the server under test (loopback only, as the bench's --url rule says). */
export interface AttackTarget {
  host: string;
  port: number;
  /** `http://host:port` */
  url: string;
}

/** Source addresses of the attackers: apart from the bystanders' 127.0.0.1-16, one per attack kind (and 127.0.1.1-20 for the heart-beat sessions). */
export const ATTACKER_ADDRESS = { http: '127.0.0.201', ws: '127.0.0.202', stomp: '127.0.0.203', trickle: '127.0.0.204', probe: '127.0.0.205' } as const;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A raw TCP socket that swallows its errors (a cut shows as `close`). */
export async function connect(target: AttackTarget, localAddress: string): Promise<net.Socket> {
  const socket = net.connect({ host: target.host, port: target.port, localAddress });
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('connection refused')));
  });
  return socket;
}

/** Resolves true when the socket closes within `ms`, else false. */
export function closedWithin(socket: net.Socket, ms: number): Promise<boolean> {
  if (socket.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/**
 * Reads a socket that was not read so far, for at most `ms` and `maxBytes`: whether the server had
 * closed it (the end arrives after what the kernel held), and the bytes that were waiting.
 */
export async function drainToEnd(socket: net.Socket, ms: number, maxBytes: number): Promise<{ closed: boolean; bytes: number }> {
  let bytes = 0;
  socket.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > maxBytes) socket.destroy();
  });
  socket.resume();
  const closed = await closedWithin(socket, ms);
  const cut = closed && bytes <= maxBytes;
  socket.destroy();
  return { closed: cut, bytes };
}

/** Writes `data` honouring backpressure for at most `ms`; false when the socket closed or stayed full. */
export async function writeWithin(socket: net.Socket, data: string | Buffer, ms: number): Promise<boolean> {
  if (socket.destroyed) return false;
  if (socket.write(data)) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    socket.once('drain', () => {
      clearTimeout(timer);
      resolve(!socket.destroyed);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

/** Upgrades a raw socket to WebSocket on `path` (optionally a STOMP subprotocol); resolves after the 101. */
export async function wsUpgrade(target: AttackTarget, path: string, localAddress: string, protocol?: string): Promise<net.Socket> {
  const socket = await connect(target, localAddress);
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: ${target.host}:${target.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n${protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : ''}\r\n`,
  );
  await new Promise<void>((resolve, reject) => {
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.off('data', onData);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      const rest = Buffer.from(head.slice(end + 4), 'latin1');
      if (rest.length) socket.unshift(rest);
      resolve();
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during upgrade')));
  });
  return socket;
}

/** One masked client frame (a zero mask key is allowed, and leaves the payload as it is). */
export function clientFrame(payload: string | Buffer, opcode = 0x1): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const len = body.length;
  const head = len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len]) : Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff]);
  return Buffer.concat([head, Buffer.alloc(4), body]);
}

/** A STOMP frame as text. */
export function stompFrame(command: string, headers: Record<string, string>, body = ''): string {
  return `${command}\n${Object.entries(headers).map(([k, v]) => `${k}:${v}`).join('\n')}\n\n${body}\0`;
}

/** Percentiles of a small sample (ms). */
export function p99(samples: number[]): number | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)]!;
}

/** The server's CPU seconds so far, from its /metrics (`process_cpu_seconds_total`); null when not exported. */
export async function serverCpuSeconds(target: AttackTarget): Promise<number | null> {
  const text = await fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(5000) }).then((r) => r.text(), () => '');
  const match = /^process_cpu_seconds_total(?:\{[^}]*\})? ([0-9.eE+-]+)$/m.exec(text);
  return match ? Number(match[1]) : null;
}

/** The server's CPU use over `ms` from now, in percent of one core (null when not exported). */
export async function serverCpuPercent(target: AttackTarget, ms: number): Promise<number | null> {
  const before = await serverCpuSeconds(target);
  const started = Date.now();
  await sleep(ms);
  const after = await serverCpuSeconds(target);
  return before === null || after === null ? null : ((after - before) / ((Date.now() - started) / 1000)) * 100;
}

/** A keep-alive agent whose connections come from `localAddress` (an attacker's own address). */
export function agentFrom(localAddress: string, maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets, localAddress } as http.AgentOptions);
}

/** One HTTP request through `agent`; resolves with the status and the body text (status 0 on a socket error). */
export function request(target: AttackTarget, agent: http.Agent, method: string, path: string, body?: string, timeoutMs = 10_000): Promise<{ status: number; text: string }> {
  return new Promise((resolve) => {
    const req = http.request({ host: target.host, port: target.port, method, path, agent, timeout: timeoutMs, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      res.on('error', () => resolve({ status: 0, text }));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve({ status: 0, text: '' }));
    req.end(body);
  });
}
