import WebSocket from 'ws';
import { StompFrameReader, decodeFrame, type StompFrame } from '../../transports/stomp/codec.js';

/** A STOMP peer that writes raw frame text and records decoded frames (for wire-level tests). */
export class RawStomp {
  readonly socket: WebSocket;
  readonly frames: StompFrame[] = [];
  /** WebSocket messages that arrived as binary frames (STOMP frames must come as text). */
  binaryMessages = 0;
  heartbeats = 0;
  closeCode: number | undefined;
  readonly opened: Promise<void>;
  readonly closed: Promise<number>;
  private readonly reader = new StompFrameReader({ maxFrameBytes: 10_000_000, maxHeaders: 1000 });

  constructor(url: string, protocols: string[] = ['v12.stomp'], options: WebSocket.ClientOptions = {}) {
    this.socket = new WebSocket(url, protocols, options);
    this.opened = new Promise((resolve, reject) => {
      this.socket.once('open', () => resolve());
      this.socket.once('error', reject);
    });
    this.closed = new Promise((resolve) => this.socket.once('close', (code) => resolve((this.closeCode = code))));
    this.socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) this.binaryMessages++;
      const { frames, heartbeats } = this.reader.push(data);
      this.heartbeats += heartbeats;
      for (const raw of frames) this.frames.push(decodeFrame(raw, '1.2'));
    });
  }

  /** Sends text as one WebSocket message (add the NUL yourself when the test needs it). */
  async send(text: string | Buffer): Promise<void> {
    await this.opened;
    this.socket.send(text);
  }

  /** Resolves with the first recorded frame (from `from` on) with this command. */
  async next(command: string, from = 0, timeoutMs = 3000): Promise<StompFrame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find((f) => f.command === command);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no ${command} frame within ${timeoutMs} ms; got ${this.frames.map((f) => f.command).join(',')}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Frames with this command. */
  all(command: string): StompFrame[] {
    return this.frames.filter((f) => f.command === command);
  }

  close(): void {
    this.socket.close();
  }
}

/** A CONNECT frame. */
export function connectFrame(headers = 'accept-version:1.2\nhost:arena'): string {
  return `CONNECT\n${headers}\n\n\0`;
}
