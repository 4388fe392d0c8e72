import type { Socket } from 'node:net';
import { WebSocket } from 'ws';
import { AppendBuffer, MAX_FRAME_HEADER_BYTES, OPCODE, WsProtocolError, closeFrame, type ClientFrame, isValidText, readClientFrame, readClosePayload, serverFrame, serverTextFrame } from '../src/protocol/ws-frames.js';

/**
 * The server's WebSocket: ws's handshake, framing of our own. ws's WebSocketServer (behind
 * @fastify/websocket) still checks the upgrade request, negotiates the subprotocol and writes the 101
 * answer, then hands the socket to this class (its `WebSocket` option, app.ts). From there ws would
 * give every connection a Receiver (a Writable stream with its state, buffers and six listeners) and
 * a Sender: 0.9 KB of heap per idle connection here, a quarter of a connection's heap (measured,
 * docs/benchmarks.md). This class reads and writes RFC 6455 frames itself (src/protocol/ws-frames.ts)
 * with nothing per connection but its own fields, and keeps the part of ws's interface the endpoints
 * use: `send`, `ping`, `pong`, `close`, `terminate`, `readyState`, `bufferedAmount` and the `message`,
 * `ping`, `pong`, `error` and `close` events (docs/decisions.md, "WebSocket framing of our own").
 *
 * It relies on ws's contract with its `WebSocket` option: the constructor's `(null, undefined,
 * options)`, `setSocket(socket, head, options)` and the `_protocol`/`_readyState`/`_close…` fields.
 * test/transports/server-websocket.test.ts drives the class directly and every WebSocket and STOMP
 * suite through ws's server, so a ws release that moved them fails the tests, not production.
 *
 * What it does not do, as the endpoints need none of it: extensions (permessage-deflate is off),
 * `pause`/`resume`, client mode, the browser-style `on…` properties.
 */
export class ServerWebSocket extends WebSocket {
  /** The connection object that owns the socket, so an endpoint's listeners can be shared functions. */
  owner: unknown = undefined;
  /** Bytes of a frame that has not wholly arrived yet (most reads hold whole frames: none). */
  private partial: PartialFrame | undefined = undefined;
  /** A fragmented message being put together, when one is. */
  private fragments: Fragments | undefined = undefined;
  /** The largest message a peer may send (ws's `maxPayload`): a frame announcing more closes with 1009. */
  private maxPayload = 0;

  // ws's own fields that this class keeps up (declared, not redefined: the base constructor sets them).
  declare private _readyState: number;
  declare private _socket: Socket | null;
  declare private _closeCode: number;
  declare private _closeMessage: Buffer;
  declare private _closeFrameReceived: boolean;
  declare private _closeFrameSent: boolean;
  declare private _closeTimer: NodeJS.Timeout | null;
  declare private _closeTimeout: number;
  declare private _errorEmitted: boolean;

  constructor(...args: unknown[]) {
    super(...(args as [null]));
    // ws gives every socket an empty extensions object of its own; with no extension negotiated
    // (perMessageDeflate is off) it is only ever read, so all can share one (frozen: a write would
    // throw, not leak into other sockets).
    (this as unknown as { _extensions: object })._extensions = NO_EXTENSIONS;
  }

  /** Called by ws's WebSocketServer once it has written the 101 answer: the socket is ours from here. */
  setSocket(socket: Socket, head: Buffer, options: { maxPayload?: number }): void {
    this._socket = socket;
    this.maxPayload = options.maxPayload && options.maxPayload > 0 ? options.maxPayload : DEFAULT_MAX_PAYLOAD;
    (socket as TaggedSocket)[kServerWebSocket] = this;
    socket.setTimeout(0);
    socket.setNoDelay(true);
    if (head.length > 0) socket.unshift(head);
    socket.on('data', onSocketData);
    socket.on('end', onSocketEnd);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    this._readyState = WebSocket.OPEN;
  }

  // @ts-expect-error ws's getter, which @types/ws declares as a property (TS2611)
  override get bufferedAmount(): number {
    return this._socket ? this._socket.writableLength : 0;
  }

  /**
   * Sends a text frame for a string, a binary one for bytes (as ws does; `binary` overrides). Once
   * closing nothing is sent, and a callback, if any, gets an error (as ws's does).
   */
  override send(data: string | Buffer, options?: { binary?: boolean } | SendCallback, callback?: SendCallback): void {
    const done = typeof options === 'function' ? options : callback;
    if (this._readyState !== WebSocket.OPEN) {
      if (done) process.nextTick(done, new Error('WebSocket is not open'));
      return;
    }
    const binary = (typeof options === 'object' ? options.binary : undefined) ?? typeof data !== 'string';
    const frame = typeof data === 'string' && !binary ? serverTextFrame(data) : serverFrame(binary ? OPCODE.binary : OPCODE.text, typeof data === 'string' ? Buffer.from(data) : data);
    this._socket!.write(frame, done && ((err?: Error | null) => done(err ?? undefined)));
  }

  override ping(data?: Buffer): void {
    if (this._readyState !== WebSocket.OPEN) return;
    this._socket!.write(data === undefined || data.length === 0 ? EMPTY_PING : serverFrame(OPCODE.ping, data));
  }

  override pong(data?: Buffer): void {
    if (this._readyState !== WebSocket.OPEN) return;
    this._socket!.write(serverFrame(OPCODE.pong, data ?? EMPTY));
  }

  /**
   * Starts the closing handshake (or completes it, when the peer started it): sends a close frame, and
   * ends the TCP socket once both sides have sent theirs. A peer that never answers is destroyed after
   * ws's `closeTimeout` (30 s; the endpoints bound it tighter with `closeWithin`).
   */
  override close(code?: number, reason?: string | Buffer): void {
    const socket = this._socket;
    if (!socket || this._readyState === WebSocket.CLOSED) return;
    if (this._readyState === WebSocket.CLOSING) {
      if (this._closeFrameSent && (this._closeFrameReceived || this._errorEmitted)) socket.end();
      return;
    }
    this._readyState = WebSocket.CLOSING;
    socket.write(closeFrame(code ?? 1005, reason));
    this._closeFrameSent = true;
    if (this._closeFrameReceived || this._errorEmitted) socket.end();
    // The socket is passed as the timer's argument: no closure per closing connection.
    this._closeTimer = setTimeout(destroySocket, this._closeTimeout || DEFAULT_CLOSE_TIMEOUT_MS, socket);
  }

  /** Destroys the TCP socket at once; `close` follows when Node has closed it. */
  override terminate(): void {
    if (!this._socket || this._readyState === WebSocket.CLOSED) return;
    this._readyState = WebSocket.CLOSING;
    this._socket.destroy();
  }

  /** What the socket read: whole frames are handled at once, a frame's first part is kept for the rest. */
  read(chunk: Buffer): void {
    if (this._closeFrameReceived || this._errorEmitted) return; // nothing after a close frame or a violation counts
    try {
      let offset = 0;
      let partial = this.partial;
      while (partial) {
        // Finish the frame an earlier read started: take no more of this read than the frame needs.
        const take = Math.min(partial.need - partial.data.length, chunk.length - offset);
        partial.data.append(chunk, offset, offset + take);
        offset += take;
        if (partial.data.length < partial.need) return;
        const frame = readClientFrame(partial.data.bytes(), 0, this.maxPayload);
        if (typeof frame === 'number') {
          partial.need = frame; // its header is whole now: the frame's full size
          continue;
        }
        this.partial = partial = undefined;
        if (!this.handled(frame)) return;
      }
      while (offset < chunk.length) {
        const frame = readClientFrame(chunk, offset, this.maxPayload);
        if (typeof frame === 'number') {
          // A copy, not a view: the rest of the read would otherwise stay held with it.
          const data = new AppendBuffer(this.maxPayload + MAX_FRAME_HEADER_BYTES);
          data.append(chunk, offset);
          this.partial = { data, need: frame };
          return;
        }
        offset = frame.end;
        if (!this.handled(frame)) return;
      }
    } catch (err) {
      if (!(err instanceof WsProtocolError)) throw err;
      this.violation(err);
    }
  }

  /** Handles one frame; false when nothing more is to be read (closed by the peer, or terminated). */
  private handled(frame: ClientFrame): boolean {
    this.handleFrame(frame.opcode, frame.fin, frame.payload);
    // A closing socket still reads: the peer's close frame completes the handshake. A socket a
    // listener terminated does not.
    return !this._closeFrameReceived && !this._socket!.destroyed;
  }

  private handleFrame(opcode: number, fin: boolean, payload: Buffer): void {
    switch (opcode) {
      case OPCODE.text:
      case OPCODE.binary:
        if (this.fragments) throw new WsProtocolError(1002, 'a new message inside a fragmented one');
        if (fin) return this.message(opcode, payload);
        this.fragments = { opcode, data: new AppendBuffer(this.maxPayload) };
        this.fragments.data.append(payload);
        return;
      case OPCODE.continuation: {
        const fragments = this.fragments;
        if (!fragments) throw new WsProtocolError(1002, 'a continuation frame with no message to continue');
        if (fragments.data.length + payload.length > this.maxPayload) throw new WsProtocolError(1009, `message over ${this.maxPayload} bytes`);
        fragments.data.append(payload);
        if (!fin) return;
        this.fragments = undefined;
        return this.message(fragments.opcode, fragments.data.bytes());
      }
      case OPCODE.close: {
        const { code, reason } = readClosePayload(payload);
        this._closeFrameReceived = true;
        this._closeCode = code;
        // A copy, unpooled: the reason is a view into the read, and a pooled copy would keep the 8 KiB
        // pool slab alive in the same way.
        this._closeMessage = reason.length === 0 ? EMPTY : Buffer.allocUnsafeSlow(reason.length);
        reason.copy(this._closeMessage);
        this.partial = this.fragments = undefined;
        if (code === 1005) this.close();
        else this.close(code, this._closeMessage);
        return;
      }
      case OPCODE.ping:
        this.emit('ping', payload);
        return;
      case OPCODE.pong:
        this.emit('pong', payload);
        return;
    }
  }

  private message(opcode: number, payload: Buffer): void {
    if (opcode === OPCODE.text && !isValidText(payload)) throw new WsProtocolError(1007, 'text message is not UTF-8');
    this.emit('message', payload, opcode === OPCODE.binary);
  }

  /** The peer broke the protocol: close with the error's code, then tell the listeners (ws's order). */
  private violation(err: WsProtocolError): void {
    this.partial = this.fragments = undefined;
    const first = !this._errorEmitted;
    this._errorEmitted = true; // also has close() end the socket right after its frame: the peer is not read again
    this.close(err.closeCode);
    // An `error` with no listener would throw out of the socket's data handler and stop the process.
    if (first && this.listenerCount('error') > 0) this.emit('error', err);
  }

  /** The TCP socket closed, whatever closed it. */
  socketClosed(): void {
    this._readyState = WebSocket.CLOSED;
    if (this._closeTimer) clearTimeout(this._closeTimer);
    this._closeTimer = null;
    this.partial = this.fragments = undefined;
    this.emit('close', this._closeCode, this._closeMessage);
  }

  /** The peer ended its side without a close frame: end ours (the HTTP server allows half-open sockets). */
  socketEnded(): void {
    if (this._readyState === WebSocket.OPEN) this._readyState = WebSocket.CLOSING;
    this._socket?.end();
  }

  /** A socket error (a reset, a write after the peer went): destroy it; `close` follows. */
  socketFailed(): void {
    if (this._readyState === WebSocket.OPEN) this._readyState = WebSocket.CLOSING;
    this._socket?.destroy();
  }
}

/** The bytes of a frame read so far, and how many the frame needs at least. */
interface PartialFrame {
  readonly data: AppendBuffer;
  need: number;
}

/** A fragmented message's opcode and the payloads of its frames so far. */
interface Fragments {
  readonly opcode: number;
  readonly data: AppendBuffer;
}

type SendCallback = (err?: Error) => void;

const kServerWebSocket = Symbol('serverWebSocket');
type TaggedSocket = Socket & { [kServerWebSocket]?: ServerWebSocket };

// One listener of each kind for every socket; `this` is the TCP socket.
function onSocketData(this: Socket, chunk: Buffer): void {
  (this as TaggedSocket)[kServerWebSocket]!.read(chunk);
}
function onSocketEnd(this: Socket): void {
  (this as TaggedSocket)[kServerWebSocket]!.socketEnded();
}
function onSocketClose(this: Socket): void {
  (this as TaggedSocket)[kServerWebSocket]!.socketClosed();
}
function onSocketError(this: Socket): void {
  (this as TaggedSocket)[kServerWebSocket]!.socketFailed();
}
function destroySocket(socket: Socket): void {
  socket.destroy();
}

const NO_EXTENSIONS = Object.freeze({});
const EMPTY = Buffer.alloc(0);
/** One empty ping frame for every socket (Node does not change a buffer it writes). */
const EMPTY_PING = serverFrame(OPCODE.ping, EMPTY);
/** ws's defaults, for a server constructed without them. */
const DEFAULT_MAX_PAYLOAD = 100 * 1024 * 1024;
const DEFAULT_CLOSE_TIMEOUT_MS = 30_000;
