import { BaseClient } from './types.js';

/**
 * A background publisher: it only POSTs events (over the worker's shared keep-alive pool) and
 * subscribes to nothing, so the transport under test carries deliveries only.
 */
export class PublisherClient extends BaseClient {
  async open(): Promise<void> {
    this.connectMs = 0;
    this.isOpen = true;
  }
  drop(): void {}
  pause(): void {}
  resume(): void {}
  close(): void {
    this.isOpen = false;
  }
}
