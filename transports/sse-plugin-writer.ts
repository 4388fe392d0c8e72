import type { EventMessage, FastifyReply } from 'fastify';

/** How an SSE stream reaches the socket; two implementations, chosen by SSE_WRITER. */
export interface SseWriter {
  /** Sends the status, headers and a first block; `onClientGone` runs when the client's connection closes. */
  open(status: number, headers: Record<string, string>, first: Buffer, onClientGone: () => void): void;
  /** True when the writer takes `write`'s pre-encoded HTTP chunk instead of the block. */
  readonly chunked: boolean;
  /** Queues one block; `chunk` is the same block as an HTTP/1.1 chunk, given when `chunked`. */
  write(block: Buffer, chunk?: Buffer): void;
  /** Bytes accepted but not yet on the socket (our queue plus the response's buffer). */
  readonly pendingBytes: number;
  /** Ends the stream after an optional last block. */
  end(last?: Buffer): void;
}

/**
 * Feeds fastify-sse-v2 (`SSE_WRITER=plugin`) from a queue of our own, because the plugin's internal
 * queue is unbounded and invisible: here every queued byte is counted, so MAX_BUFFERED_BYTES holds.
 * The plugin only takes messages, not bytes, so each pre-encoded block is read back into the message
 * that the plugin serializes to the same bytes.
 */
export class PluginWriter implements SseWriter, AsyncIterable<EventMessage> {
  private readonly queue: { message: EventMessage; bytes: number }[] = [];
  private queuedBytes = 0;
  private waiting: ((result: IteratorResult<EventMessage>) => void) | undefined = undefined;
  private ended = false;
  readonly chunked = false;

  constructor(private readonly reply: FastifyReply) {}

  open(status: number, headers: Record<string, string>, first: Buffer, onClientGone: () => void): void {
    for (const [name, value] of Object.entries(headers)) this.reply.header(name, value);
    this.reply.code(status);
    this.push(first);
    this.reply.sse(this);
    this.reply.raw.on('close', onClientGone);
  }

  write(block: Buffer): void {
    this.push(block);
  }

  get pendingBytes(): number {
    return this.queuedBytes + this.reply.raw.writableLength;
  }

  end(last?: Buffer): void {
    if (last) this.push(last);
    this.ended = true;
    this.wake();
  }

  [Symbol.asyncIterator](): AsyncIterator<EventMessage> {
    return {
      next: () => {
        const message = this.take();
        if (message) return Promise.resolve({ value: message, done: false });
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.waiting = resolve));
      },
      return: () => {
        this.ended = true;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  // The plugin serializes {id,event,data,retry,comment}; parse our block back into those fields so
  // both writers put the same bytes on the wire.
  private push(block: Buffer): void {
    if (this.ended) return;
    const message: EventMessage = {};
    for (const line of block.toString('utf8').split('\n')) {
      if (line.startsWith('id: ')) message.id = line.slice(4);
      else if (line.startsWith('event: ')) message.event = line.slice(7);
      else if (line.startsWith('data: ')) message.data = message.data === undefined ? line.slice(6) : `${message.data}\n${line.slice(6)}`;
      else if (line.startsWith('retry: ')) message.retry = Number(line.slice(7));
      else if (line.startsWith(':')) message.comment = line.slice(1);
    }
    this.queue.push({ message, bytes: block.length });
    this.queuedBytes += block.length;
    this.wake();
  }

  private take(): EventMessage | undefined {
    const entry = this.queue.shift();
    if (!entry) return undefined;
    this.queuedBytes -= entry.bytes;
    return entry.message;
  }

  private wake(): void {
    const resolve = this.waiting;
    if (!resolve) return;
    this.waiting = undefined;
    const message = this.take();
    if (message) resolve({ value: message, done: false });
    else if (this.ended) resolve({ value: undefined, done: true });
    else this.waiting = resolve;
  }
}
