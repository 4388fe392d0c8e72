import { SeqTracker } from '../accounting.js';
import { hasTruncated, readNext, scanEvents } from '../fastread.js';
import { HttpConn } from './http-conn.js';
import { BaseClient, errorCode } from './types.js';

/**
 * Short polling: `GET /poll/groups/:g?since=N` on one keep-alive connection, then wait
 * `pollIntervalMs` after each answer (as a k6 script's `sleep` would) and ask again with `next`.
 * The first poll carries no cursor and answers the head (the baseline) unless the spec gives one.
 */
export class ShortPollingClient extends BaseClient {
  private conn: HttpConn | undefined = undefined;
  private next = 0;
  private timer: NodeJS.Timeout | undefined = undefined;
  /** Incremented on every open/drop so a poll loop from a previous connection stops. */
  private generation = 0;
  /** Set by the first `resume()` of a client opened with `startPaused`. */
  private started = false;

  async open(): Promise<void> {
    const started = this.ctx.now();
    this.closing = false;
    this.conn ??= new HttpConn(this.ctx.target, this.spec.localAddress);
    const generation = ++this.generation;
    const cursor = this.cursor();
    if (cursor !== undefined) this.tracker ??= new SeqTracker(cursor); // the first answer may carry events
    const answer = await this.poll(cursor, generation);
    if (answer < 0) throw new Error('first_poll_failed');
    this.subscribed(cursor ?? answer, started);
    this.next = answer;
    if (!this.spec.startPaused || this.started) this.schedule(generation);
  }

  drop(): void {
    this.stop();
    this.conn?.destroy();
  }

  pause(): void {
    clearTimeout(this.timer); // a poller that stops asking is the polling form of a slow consumer
    this.timer = undefined;
  }

  resume(): void {
    this.started = true;
    if (this.isOpen && !this.conn?.busy) this.schedule(this.generation);
  }

  close(): void {
    this.stop();
    this.conn?.destroy();
  }

  private stop(): void {
    this.closing = true;
    this.isOpen = false;
    this.generation++;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(generation: number): void {
    const interval = this.spec.pollIntervalMs ?? 1000;
    if (interval <= 0) void this.loop(generation);
    else this.timer = setTimeout(() => void this.loop(generation), interval);
  }

  private async loop(generation: number): Promise<void> {
    if (generation !== this.generation) return;
    const next = await this.poll(this.next, generation);
    if (generation !== this.generation) return;
    if (next >= 0) this.next = next;
    this.schedule(generation);
  }

  /** One poll; returns `next`, or -1 after reporting the failure. */
  private async poll(since: number | undefined, generation: number): Promise<number> {
    const started = this.ctx.now();
    try {
      const res = await this.conn!.request('GET', since === undefined ? `/poll/groups/${this.spec.group}` : `/poll/groups/${this.spec.group}?since=${since}`);
      if (generation !== this.generation) return -1; // dropped or closed meanwhile: not ours any more
      if (res.status !== 200) {
        this.ctx.onError(this, errorCode(res.body, res.status));
        return -1;
      }
      if (this.tracker && hasTruncated(res.body)) this.tracker.markTruncated();
      const events = this.tracker ? scanEvents(res.body, this.sink) : 0;
      this.ctx.onPoll(this, events, this.ctx.now() - started);
      return readNext(res.body);
    } catch (err) {
      if (generation === this.generation) this.ctx.onError(this, (err as Error).message);
      return -1;
    }
  }
}
