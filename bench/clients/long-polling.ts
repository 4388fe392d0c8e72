import { SeqTracker } from '../accounting.js';
import { hasTruncated, readNext, scanEvents } from '../fastread.js';
import { HttpConn } from './http-conn.js';
import { BaseClient, errorCode } from './types.js';

/**
 * Long polling: `GET /longpoll/groups/:g?since=N&timeout=T` back to back on one keep-alive
 * connection. The first request of a connection asks with `timeout=1`, so "connected" means the
 * server answered (with what it has) rather than "a request is somewhere in flight".
 */
export class LongPollingClient extends BaseClient {
  private conn: HttpConn | undefined = undefined;
  private next = 0;
  private generation = 0;
  private paused = false;

  async open(): Promise<void> {
    const started = this.ctx.now();
    this.closing = false;
    this.paused = false;
    this.conn ??= new HttpConn(this.ctx.target, this.spec.localAddress);
    const generation = ++this.generation;
    const since = this.cursor() ?? (await this.readHead());
    this.tracker ??= new SeqTracker(since); // before the first answer: it may carry events
    const next = await this.poll(since, 1, generation);
    if (next < 0) throw new Error('first_poll_failed');
    this.subscribed(since, started);
    this.next = next;
    void this.loop(generation);
  }

  drop(): void {
    this.stop();
    this.conn?.destroy();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    if (this.isOpen && !this.conn?.busy) void this.loop(this.generation);
  }

  close(): void {
    this.stop();
    this.conn?.destroy();
  }

  private stop(): void {
    this.closing = true;
    this.isOpen = false;
    this.generation++;
  }

  private async loop(generation: number): Promise<void> {
    const timeout = this.spec.longPollTimeoutMs ?? 25_000;
    // Bounded by the generation: drop/close bump it and the loop ends after the answer in flight.
    while (generation === this.generation && !this.paused) {
      const next = await this.poll(this.next, timeout, generation);
      if (generation !== this.generation) return;
      if (next >= 0) this.next = next;
      else await new Promise((resolve) => setTimeout(resolve, 100)); // back off after an error
    }
  }

  private async poll(since: number, timeout: number, generation: number): Promise<number> {
    const started = this.ctx.now();
    try {
      const res = await this.conn!.request('GET', `/longpoll/groups/${this.spec.group}?since=${since}&timeout=${timeout}`, undefined, timeout + 15_000);
      if (generation !== this.generation) return -1; // dropped or closed meanwhile: not ours any more
      if (res.status !== 200) {
        this.ctx.onError(this, errorCode(res.body, res.status));
        return -1;
      }
      if (hasTruncated(res.body)) this.tracker!.markTruncated();
      const events = scanEvents(res.body, this.sink);
      this.ctx.onPoll(this, events, this.ctx.now() - started);
      return readNext(res.body);
    } catch (err) {
      if (generation === this.generation) this.ctx.onError(this, (err as Error).message);
      return -1;
    }
  }
}
