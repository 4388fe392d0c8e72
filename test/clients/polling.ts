import type { RtEvent } from '../../src/domain/events.js';
import { ReceivingClient, type ClientOptions, type SubscribeResult, type TestClient } from './types.js';

interface PollBody {
  events: RtEvent[];
  next: number;
  truncated?: boolean;
}

/** Short or long polling by cursor, as a browser loop would. */
export class PollingClient extends ReceivingClient implements TestClient {
  private running = false;
  private loop: Promise<void> | undefined;
  private abort = new AbortController();

  constructor(
    readonly transport: 'short-polling' | 'long-polling',
    private readonly baseUrl: string,
    private readonly options: ClientOptions = {},
  ) {
    super();
  }

  async subscribe(group: string, since?: number): Promise<SubscribeResult> {
    // The first answer fixes the cursor; with no `since` a long poll must not wait, hence timeout=1.
    const first = await this.poll(group, since, 1);
    this.take(first);
    this.running = true;
    this.loop = this.run(group, first.next);
    return { seq: first.next, truncated: first.truncated === true };
  }

  private async run(group: string, cursor: number): Promise<void> {
    while (this.running) {
      try {
        const body = await this.poll(group, cursor, 2000);
        this.take(body);
        cursor = body.next;
      } catch {
        if (!this.running) return;
        await new Promise((r) => setTimeout(r, 20));
      }
      if (this.transport === 'short-polling' && this.running) await new Promise((r) => setTimeout(r, this.options.pollMs ?? 20));
    }
  }

  private async poll(group: string, since: number | undefined, timeout: number): Promise<PollBody> {
    const path = this.transport === 'short-polling' ? 'poll' : 'longpoll';
    const query = new URLSearchParams();
    if (since !== undefined) query.set('since', String(since));
    if (this.transport === 'long-polling') query.set('timeout', String(timeout));
    if (this.options.user) query.set('user', this.options.user);
    const response = await fetch(`${this.baseUrl}/${path}/groups/${group}?${query}`, { signal: this.abort.signal });
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
    return (await response.json()) as PollBody;
  }

  private take(body: PollBody): void {
    if (body.truncated) this.truncated = true;
    for (const event of body.events) this.push(event);
  }

  async close(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await this.loop?.catch(() => {});
  }
}
