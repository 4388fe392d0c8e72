import Fastify, { LogController, type FastifyInstance } from 'fastify';
import websocketPlugin from '@fastify/websocket';
import { loadConfig, ConfigError, type Config } from './config.js';
import { Hub } from './domain/hub.js';
import { compileRouteValidator } from './domain/validate.js';
import type { Broker, BrokerObserver } from './broker/broker.js';
import { MemoryBroker } from './broker/memory.js';
import { RedisBroker } from './broker/redis.js';
import type { Presence } from './broker/presence.js';
import { MemoryPresence } from './broker/presence-memory.js';
import { RedisPresence } from './broker/presence-redis.js';
import { Metrics, metricsPlugin } from './metrics.js';
import { setFlushWindow } from './protocol/cork.js';
import { hubPlugin } from './hub-plugin.js';
import { errorsPlugin } from './errors-plugin.js';
import { authPlugin } from './auth-plugin.js';
import { guardedServerFactory, httpGuardPlugin, TIMEOUT_CHECK_MS } from './http-guard.js';
import { chooseStompSubprotocol } from '../transports/stomp/codec.js';
import { WebSocketRegistry } from '../transports/ws-upgrade.js';
import { ServerWebSocket } from '../transports/server-websocket.js';
import httpApi from '../transports/http-api.js';
import shortPolling from '../transports/short-polling.js';
import longPolling from '../transports/long-polling.js';
import sse from '../transports/sse.js';
import websocket from '../transports/websocket.js';
import stomp from '../transports/stomp/index.js';
import compat from '../transports/compat.js';
import pages from '../transports/pages.js';
import reports from '../transports/reports.js';
import stompRelay from '../transports/stomp-relay/index.js';
import { StompBrokerConnection } from '../transports/stomp-relay/broker-connection.js';
import { loggerOptions, logsRequests } from './log-format.js';

/** Paths whose WebSocket upgrade speaks STOMP (and so negotiates a STOMP subprotocol). */
const STOMP_PATHS = new Set(['/stomp', '/location', '/stomp-relay']);

/** Options of buildApp beyond the configuration. */
export interface BuildOptions {
  /** A broker to use instead of the one the configuration names (tests). */
  broker?: Broker;
  /** A presence to use instead of the configuration's (tests); with `broker` given, memory by default. */
  presence?: Presence;
  /** Collect prom-client's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** Folder of bench runs the comparison page lists (default: reports/ at the repository root). */
  reportsDir?: string;
}

/**
 * Creates the broker the configuration names. The only place concrete brokers are named.
 * @param metrics where a broker backed by Redis reports publish timing, failures and delivery lag
 * @throws ConfigError naming REDIS_URL when BROKER=redis and Redis cannot be reached
 */
export async function createBroker(config: Readonly<Config>, metrics?: Metrics): Promise<Broker> {
  const options = { historySize: config.historySize, groupIdleMs: config.groupIdleMs, maxGroups: config.maxGroups };
  if (config.broker === 'memory') return new MemoryBroker(options);
  const observer: BrokerObserver | undefined = metrics && {
    call: (call, timed) => metrics.brokerCall('redis', call, timed),
    deliveryLag: metrics.brokerDeliveryLag('redis'),
  };
  return RedisBroker.connect({ ...options, url: config.redisUrl, cluster: config.redisCluster, observer });
}

/**
 * Creates the presence that goes with the configured broker: this process' subscribers with the memory
 * broker, every instance's (leased entries in Redis) with BROKER=redis.
 * @throws ConfigError naming REDIS_URL when BROKER=redis and Redis cannot be reached
 */
export async function createPresence(config: Readonly<Config>, metrics?: Metrics): Promise<Presence> {
  if (config.broker === 'memory') return new MemoryPresence();
  return RedisPresence.connect({
    url: config.redisUrl,
    cluster: config.redisCluster,
    leaseMs: config.presenceLeaseMs,
    renewMs: config.presenceRenewMs,
    observer: metrics && { call: (call, timed) => metrics.brokerCall('redis', call, timed) },
  });
}

/**
 * The composition root: builds the Fastify app with every transport, without listening.
 * @param overrides configuration values that win over the environment defaults
 */
export async function buildApp(overrides: Partial<Config> = {}, options: BuildOptions = {}): Promise<FastifyInstance> {
  const config: Readonly<Config> = Object.freeze({ ...loadConfig({}), ...overrides });
  setFlushWindow(config.flushWindowMs);
  const metrics = new Metrics({ defaultMetrics: options.defaultMetrics });
  const broker = options.broker ?? (await createBroker(config, metrics));
  const presence =
    options.presence ??
    (options.broker
      ? new MemoryPresence()
      : await createPresence(config, metrics).catch(async (err: unknown) => {
          await broker.close();
          throw err;
        }));
  let relay: StompBrokerConnection | undefined;
  let log: FastifyInstance['log'] | undefined;
  if (config.stompRelayUrl) {
    const dropped = metrics.transport('stomp-relay');
    relay = await StompBrokerConnection.connect({
      url: config.stompRelayUrl,
      heartbeatMs: config.stompHeartbeatMs,
      maxPendingBytes: config.maxBufferedBytes,
      timeoutMs: 5000,
      observer: {
        publishDropped: (reason) => dropped.dropped(reason),
        state: (up, detail) => (up ? log?.info({ relay: 'stomp' }, detail) : log?.warn({ relay: 'stomp' }, detail)),
      },
    }).catch(async (err: Error) => {
      await presence.close();
      await broker.close();
      throw new ConfigError('STOMP_RELAY_URL', `cannot reach the relay broker: ${err.message}`);
    });
  }
  // Every accepted event, from any transport, also goes to the relay broker (seq authority stays here).
  const hub = new Hub(broker, {
    published: relay
      ? (event, source) => {
          metrics.published(event, source);
          relay.publish(event);
        }
      : (event, source) => metrics.published(event, source),
  }, presence, { maxGroups: config.maxGroups });
  metrics.watchGroups(() => ({ subscribed: hub.stats().groups, ...(broker instanceof MemoryBroker ? { held: broker.groupCount } : {}) }));

  const app = Fastify({
    logger: loggerOptions(config),
    // A line per request costs CPU on every poll; LOG_LEVEL=debug (or trace) brings them back.
    logController: new LogController({ disableRequestLogging: !logsRequests(config) }),
    bodyLimit: config.maxBodyBytes,
    requestTimeout: config.requestTimeoutMs,
    http: { connectionsCheckingInterval: TIMEOUT_CHECK_MS },
    serverFactory: guardedServerFactory,
    forceCloseConnections: true,
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
  });
  log = app.log;
  app.setValidatorCompiler(compileRouteValidator);
  await app.register(errorsPlugin);
  await app.register(metricsPlugin, { metrics });
  await app.register(hubPlugin, { hub, broker, presence, config });
  await app.register(httpGuardPlugin);
  await app.register(authPlugin, { secret: config.authSecret });
  await app.register(httpApi);
  await app.register(shortPolling);
  await app.register(longPolling);
  await app.register(sse);
  // The WebSocket endpoints in a scope of their own: @fastify/websocket adds an onRequest and an
  // onResponse hook and a handler wrapper to every route of its scope, which the HTTP routes (the
  // short-polling one above all) would pay on every request for nothing (the Spring compatibility
  // routes, one of them STOMP, are not hot and stay with it). An upgrade asking for an
  // HTTP route gets that route's HTTP answer, and errorsPlugin closes its socket after it.
  await app.register(async (upgrades) => {
    await upgrades.register(websocketPlugin, {
      // The default preClose closes every socket with no code before the transports can say why;
      // each transport closes its own sockets with its protocol's reconnect hint in its preClose hook.
      preClose: (done: () => void) => done(),
      options: {
        // The transports answer oversized messages with their own error (error op / ERROR frame); this
        // ceiling only stops a message too big to be worth reading (ws closes with 1009).
        maxPayload: Math.max(1024 * 1024, config.maxBodyBytes * 4),
        perMessageDeflate: false,
        // ws does the handshake, ServerWebSocket the framing (ws's Receiver and Sender cost ~0.9 KB per
        // connection); it has a slot for its connection: shared listeners instead of closures per connection.
        WebSocket: ServerWebSocket as never, // the plugin's typing wants ws's namespace statics on the class
        // Per socket, ws's `clients` Set costs an entry and a close closure, and auto-pong a closure:
        // the endpoints keep their own Sets (app.websockets) and answer pings themselves (ws-upgrade.ts).
        clientTracking: false,
        autoPong: false,
        handleProtocols: (protocols: Set<string>, request: { url?: string }) =>
          STOMP_PATHS.has((request.url ?? '').split('?')[0]!) ? chooseStompSubprotocol(protocols) : false,
      },
    });
    app.decorate('websocketServer', upgrades.websocketServer); // for whoever holds the app (tests, tools)
    app.decorate('websockets', new WebSocketRegistry());
    upgrades.addHook('onClose', async () => {
      await app.websockets.terminateAll(); // anything a transport's preClose left open
      await new Promise<void>((resolve) => upgrades.websocketServer.close(() => resolve()));
    });
    await upgrades.register(websocket);
    await upgrades.register(stomp);
    await upgrades.register(compat); // the Spring app's STOMP endpoint beside its HTTP routes
    if (relay) {
      const connection = relay;
      await upgrades.register(stompRelay, { broker: connection });
      upgrades.addHook('onClose', () => connection.close());
    }
  });
  await app.register(pages);
  await app.register(reports, { dir: options.reportsDir });
  return app;
}
