// The part of the xk6-sse extension (github.com/phymbert/xk6-sse, module `k6/x/sse`) that
// sse-xk6.js uses, so the type check covers that script too. Stock k6 has no such module.
declare module 'k6/x/sse' {
  export interface SseEvent {
    id: string;
    name: string;
    data: string;
    comment: string;
  }
  export interface SseClient {
    on(event: 'open', handler: () => void): void;
    on(event: 'event', handler: (event: SseEvent) => void): void;
    on(event: 'error', handler: (error: { error(): string }) => void): void;
    close(): void;
  }
  export interface SseParams {
    method?: string;
    body?: string;
    headers?: Record<string, string>;
    tags?: Record<string, string>;
  }
  export interface SseResponse {
    url: string;
    status: number;
    headers: Record<string, string>;
    error: string;
  }
  const sse: {
    /** Blocks the VU until the stream ends or client.close() is called. */
    open(url: string, params: SseParams | null, setup: (client: SseClient) => void): SseResponse;
  };
  export default sse;
}
