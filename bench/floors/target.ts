import type { FastifyInstance } from 'fastify';
import { RemoteServer } from '../server-process.js';
import { buildFloor } from './index.js';

/** The floor's entry script, relative to the project root (what LocalServer runs for a floor run). */
export const FLOOR_ENTRY = 'bench/floors/main.ts';

/**
 * A floor in this process, beside a `--url` server (the tests' setting): read through its /metrics
 * like any remote server, stopped with the run. Its CPU figures are this process's, so only the
 * accounting and the report's shape mean anything here.
 */
export class InProcessFloor extends RemoteServer {
  private constructor(
    url: string,
    private readonly app: FastifyInstance,
  ) {
    super(url);
  }

  static async start(): Promise<InProcessFloor> {
    const app = await buildFloor();
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    return new InProcessFloor(`http://127.0.0.1:${port}`, app);
  }

  override async stop(): Promise<void> {
    await this.app.close();
  }
}
