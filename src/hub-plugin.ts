import fp from 'fastify-plugin';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import type { Hub } from './domain/hub.js';
import type { Broker } from './broker/broker.js';
import type { Presence } from './broker/presence.js';
import { ConnectionLimiter } from './connection-limiter.js';
import { PublishLimiter } from './rate-limiter.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The one Hub every transport talks to. */
    hub: Hub;
    /** The frozen configuration. */
    config: Readonly<Config>;
    /** Open streams and waiting long-polls against MAX_CONNECTIONS (in all and per IP). */
    connections: ConnectionLimiter;
    /** Publish rate per connection and per user (RATE_LIMIT_PER_SEC). */
    publishLimiter: PublishLimiter;
  }
}

/** Options of the hub plugin. */
export interface HubPluginOptions {
  hub: Hub;
  broker: Broker;
  /** Closed first on shutdown, so this instance's users leave every instance's `online` at once. */
  presence?: Presence;
  config: Readonly<Config>;
}

/**
 * Decorates `app.hub`, `app.config` and `app.connections`; serves `/healthz` and `/readyz`; closes
 * the broker when the app closes (after every transport has let go of its connections).
 */
export const hubPlugin = fp(
  async (app: FastifyInstance, options: HubPluginOptions) => {
    const { hub, broker, presence, config } = options;
    app.decorate('hub', hub);
    app.decorate('config', config);
    app.decorate('connections', new ConnectionLimiter(config.maxConnections, config.maxConnectionsPerIp));
    const publishLimiter = new PublishLimiter(config.rateLimitPerSec);
    app.decorate('publishLimiter', publishLimiter);

    app.get('/healthz', { config: { public: true } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { config: { public: true } }, async (_request, reply) => {
      if (hub.shuttingDown) return reply.code(503).send({ status: 'shutting_down' });
      if (!broker.isReady()) return reply.code(503).send({ status: 'broker_unavailable' });
      return { status: 'ready', broker: broker.name };
    });

    // Runs before the transports' own preClose hooks close their streams: refuse new work first.
    app.addHook('preClose', async () => {
      hub.beginShutdown();
      await presence?.close();
    });
    app.addHook('onClose', async () => {
      publishLimiter.close();
      await presence?.close(); // a no-op after preClose; closes it when the app never got to listen
      await broker.close();
    });
  },
  { name: 'realtime-arena-hub', fastify: '5.x' },
);
