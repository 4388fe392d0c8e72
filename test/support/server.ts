import type { TestContext } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { buildApp, type BuildOptions } from '../../src/app.js';
import type { Config } from '../../src/config.js';

/** A test server listening on a free loopback port. */
export interface TestServer {
  app: FastifyInstance;
  /** `http://127.0.0.1:<port>` */
  baseUrl: string;
  /** `ws://127.0.0.1:<port>` */
  wsUrl: string;
}

/** Builds the app with quiet defaults, listens on port 0 and closes it after the test. */
export async function startServer(t: TestContext, overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<TestServer> {
  const app = await buildApp({ logLevel: 'silent', ...overrides }, { defaultMetrics: false, ...options });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('no address');
  t.after(() => app.close());
  return { app, baseUrl: `http://127.0.0.1:${address.port}`, wsUrl: `ws://127.0.0.1:${address.port}` };
}

/** Builds the app without listening (for `inject`) and closes it after the test. */
export async function buildTestApp(t: TestContext, overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = await buildApp({ logLevel: 'silent', ...overrides }, { defaultMetrics: false, ...options });
  t.after(() => app.close());
  return app;
}

/** Resolves when `predicate` holds, polling every 5 ms; rejects after `timeoutMs`. */
export async function until(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Reads a metric sample's value from the app's registry (0 when absent). */
export async function metricValue(app: FastifyInstance, name: string, labels: Record<string, string>): Promise<number> {
  const metric = app.metrics.registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  let sum = 0;
  for (const value of data.values) {
    const l = value.labels as Record<string, string>;
    if (Object.entries(labels).every(([k, v]) => l[k] === v) && !('le' in l)) sum += value.value;
  }
  return sum;
}
