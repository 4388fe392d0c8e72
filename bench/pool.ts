import { Worker } from 'node:worker_threads';
import type { ClientSpec } from './clients/types.js';
import type { Command, Tick, WorkerInit, WorkerMessage } from './load/protocol.js';

/**
 * Starts bench/worker. Run from TypeScript (tsx), the worker registers tsx's loader itself first:
 * Node 20 ignores `--import tsx` in a worker's execArgv, so the documented form fails there.
 */
function spawnWorker(workerData: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./worker.js', import.meta.url), { workerData });
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData });
}

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * The main thread's handle on the load workers: starts them, spreads client specs over them,
 * sends commands to all at once and collects their ticks. Workers live for the whole run (a tsx
 * worker takes a moment to start), and each phase starts with a fresh engine inside them.
 */
export class WorkerPool {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private tickListener: ((tick: Tick) => void) | undefined = undefined;

  private constructor(private readonly workers: Worker[]) {
    for (const worker of workers) {
      worker.on('message', (message: WorkerMessage) => this.onMessage(message));
      worker.on('error', (err) => {
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
      });
    }
  }

  /** Starts `count` workers and waits until each answers a no-op. */
  static async start(count: number, init: Omit<WorkerInit, 'index'>): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, (_, index) => spawnWorker({ ...init, index }));
    const pool = new WorkerPool(workers);
    await pool.all({ op: 'progress', heads: {} });
    return pool;
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Receives every worker's tick. */
  onTick(listener: ((tick: Tick) => void) | undefined): void {
    this.tickListener = listener;
  }

  /** Sends one command to one worker. */
  call<T>(index: number, command: Command): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.workers[index]!.postMessage({ id, command });
    });
  }

  /** Sends a command (or one per worker) to every worker and waits for all replies. */
  all<T>(command: Command | ((index: number) => Command | undefined)): Promise<T[]> {
    return Promise.all(
      this.workers.map((_, i) => {
        const cmd = typeof command === 'function' ? command(i) : command;
        return cmd ? this.call<T>(i, cmd) : Promise.resolve(undefined as T);
      }),
    );
  }

  /** Splits specs by id, so every worker gets a share of every group and role, even in small batches. */
  split(specs: readonly ClientSpec[]): ClientSpec[][] {
    const parts: ClientSpec[][] = this.workers.map(() => []);
    for (const spec of specs) parts[spec.id % parts.length]!.push(spec);
    return parts;
  }

  /** Opens specs across the workers; concurrency is per worker. */
  async open(specs: readonly ClientSpec[], concurrency: number): Promise<{ opened: number; failed: number }> {
    const parts = this.split(specs);
    const replies = await this.all<{ opened: number; failed: number }>((i) => (parts[i]!.length ? { op: 'open', specs: parts[i]!, concurrency } : undefined));
    return replies.reduce((a, r) => ({ opened: a.opened + (r?.opened ?? 0), failed: a.failed + (r?.failed ?? 0) }), { opened: 0, failed: 0 });
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private onMessage(message: WorkerMessage): void {
    if (message.type === 'tick') {
      this.tickListener?.(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.error !== undefined) pending.reject(new Error(`worker: ${message.error}`));
    else pending.resolve(message.result);
  }
}
