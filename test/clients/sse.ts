import { EventSource } from 'eventsource';
import type { RtEvent } from '../../src/domain/events.js';
import { ReceivingClient, type ClientOptions, type SubscribeResult, type TestClient } from './types.js';

/** SSE through the `eventsource` package, an EventSource-compatible client (named events, Last-Event-ID). */
export class SseClient extends ReceivingClient implements TestClient {
  readonly transport = 'sse' as const;
  private source: EventSource | undefined;
  /** Control events (`truncated`, `error`) received, with their data. */
  readonly control: { event: string; data: unknown }[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly options: ClientOptions = {},
  ) {
    super();
  }

  subscribe(group: string, since?: number): Promise<SubscribeResult> {
    const query = new URLSearchParams();
    if (since !== undefined) query.set('since', String(since));
    if (this.options.user) query.set('user', this.options.user);
    const source = new EventSource(`${this.baseUrl}/sse/groups/${group}?${query}`);
    this.source = source;
    const onEvent = (message: MessageEvent) => this.push(JSON.parse(message.data as string) as RtEvent);
    source.addEventListener('chat', onEvent);
    source.addEventListener('location', onEvent);
    source.addEventListener('truncated', (message: MessageEvent) => {
      this.truncated = true;
      this.control.push({ event: 'truncated', data: JSON.parse(message.data as string) });
    });
    return new Promise((resolve, reject) => {
      source.onopen = () => resolve({ seq: undefined, truncated: false });
      source.onerror = (err) => {
        if (source.readyState === source.CLOSED) reject(new Error(`sse: ${err.message ?? 'closed'}`));
      };
    });
  }

  async close(): Promise<void> {
    this.source?.close();
  }
}
