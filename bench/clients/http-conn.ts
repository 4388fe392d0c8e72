import net from 'node:net';
import { ResponseParser } from './http-parser.js';

/** Where the server listens. */
export interface Target {
  host: string;
  port: number;
}

/** A completed response. */
export interface HttpResponse {
  status: number;
  body: Buffer;
}

/** A request that failed before a response: `code` is the socket error code, `timeout` or `closed`. */
export class HttpFailure extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

interface InFlight {
  resolve(response: HttpResponse): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One keep-alive HTTP/1.1 connection on a raw socket, one request at a time (no pipelining: a
 * browser or k6 does not pipeline either). Reconnects on the next request after the server closes.
 */
export class HttpConn {
  private socket: net.Socket | undefined = undefined;
  private readonly parser: ResponseParser;
  private inFlight: InFlight | undefined = undefined;
  private chunks: Buffer[] = [];
  private status = 0;
  private lastError = 'closed';
  private readonly hostHeader: string;
  /** TCP connections opened so far. */
  connects = 0;

  constructor(
    private readonly target: Target,
    private readonly localAddress: string | undefined,
  ) {
    this.hostHeader = `${target.host}:${target.port}`;
    this.parser = new ResponseParser({
      head: (status) => {
        this.status = status;
        this.chunks = [];
      },
      body: (chunk) => this.chunks.push(chunk),
      end: (keepAlive) => this.complete(keepAlive),
    });
  }

  /** True while a request waits for its response. */
  get busy(): boolean {
    return this.inFlight !== undefined;
  }

  /**
   * Sends one request and resolves with the whole response.
   * @param body a JSON body (sent with content-type application/json)
   */
  request(method: string, path: string, body?: string, timeoutMs = 30_000, extraHeaders = ''): Promise<HttpResponse> {
    if (this.inFlight) return Promise.reject(new HttpFailure('busy'));
    const socket = this.socket ?? this.connect();
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n${extraHeaders}`;
    if (body !== undefined) head += `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    else head += '\r\n';
    return new Promise<HttpResponse>((resolve, reject) => {
      const timer = timeoutMs > 0 ? setTimeout(() => this.fail('timeout'), timeoutMs) : undefined;
      this.inFlight = { resolve, reject, timer };
      socket.write(head);
    });
  }

  /** Stops reading (the kernel buffers fill and the server's writes back up). */
  pause(): void {
    this.socket?.pause();
  }

  /** Reads again after `pause()`. */
  resume(): void {
    this.socket?.resume();
  }

  /** Closes the connection at once; a request in flight fails with `closed` right away. */
  destroy(): void {
    const socket = this.socket;
    this.socket = undefined; // detached: the next request opens a new connection
    socket?.destroy();
    this.settle(new HttpFailure('closed'));
  }

  private connect(): net.Socket {
    this.connects++;
    const socket = net.connect({ host: this.target.host, port: this.target.port, localAddress: this.localAddress });
    socket.setNoDelay(true);
    this.socket = socket;
    this.parser.reset();
    socket.on('data', (data: Buffer) => {
      if (this.socket !== socket) return; // a replaced connection's late bytes
      try {
        this.parser.push(data);
      } catch {
        this.fail('bad_response');
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (this.lastError = err.code ?? 'socket_error'));
    socket.on('close', () => {
      if (this.socket !== socket) return; // detached (its request was already settled) or replaced
      this.socket = undefined;
      this.parser.closed(); // completes a body framed by the close, if that is what this was
      if (this.inFlight) this.settle(new HttpFailure(this.lastError));
      this.lastError = 'closed';
    });
    return socket;
  }

  private complete(keepAlive: boolean): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = [];
    if (!keepAlive) {
      const socket = this.socket;
      this.socket = undefined;
      socket?.end();
    }
    this.settle(undefined, { status: this.status, body });
  }

  private fail(code: string): void {
    this.lastError = code;
    const socket = this.socket;
    this.socket = undefined;
    socket?.destroy();
    this.settle(new HttpFailure(code));
  }

  private settle(err: Error | undefined, response?: HttpResponse): void {
    const inFlight = this.inFlight;
    if (!inFlight) return;
    this.inFlight = undefined;
    clearTimeout(inFlight.timer);
    if (err) inFlight.reject(err);
    else inFlight.resolve(response!);
  }
}

/**
 * A small pool of keep-alive connections shared by the clients of one worker for their HTTP
 * publishes (SSE and polling clients publish with `POST`), so publishing does not double the
 * number of connections under test. Requests beyond the pool size queue.
 */
export class HttpPool {
  private readonly idle: HttpConn[] = [];
  private readonly queue: (() => void)[] = [];
  private created = 0;

  constructor(
    private readonly target: Target,
    private readonly addresses: readonly string[],
    private readonly size: number,
  ) {}

  /** Sends a request on a free connection (waiting for one when all are busy). */
  async request(method: string, path: string, body?: string, timeoutMs = 30_000): Promise<HttpResponse> {
    const conn = await this.take();
    try {
      return await conn.request(method, path, body, timeoutMs);
    } finally {
      this.give(conn);
    }
  }

  /** Closes every idle connection. */
  destroy(): void {
    for (const conn of this.idle.splice(0)) conn.destroy();
  }

  private take(): Promise<HttpConn> {
    const conn = this.idle.pop();
    if (conn) return Promise.resolve(conn);
    if (this.created < this.size) {
      const address = this.addresses[this.created % this.addresses.length];
      this.created++;
      return Promise.resolve(new HttpConn(this.target, address));
    }
    return new Promise((resolve) => this.queue.push(() => resolve(this.idle.pop()!)));
  }

  private give(conn: HttpConn): void {
    this.idle.push(conn);
    this.queue.shift()?.();
  }
}
