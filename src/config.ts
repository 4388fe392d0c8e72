/**
 * Configuration: environment variables, each also a `--flag` of `npm start` (a flag wins).
 * Parsed once at start-up into a frozen object; a bad value throws an error naming the variable.
 */

/** The server's configuration. */
export interface Config {
  /** TCP port (PORT, default 8080). */
  port: number;
  /** Listen address (HOST, default 0.0.0.0). */
  host: string;
  /** Broker implementation (BROKER: memory | redis). */
  broker: 'memory' | 'redis';
  /** Redis URL for BROKER=redis (REDIS_URL). */
  redisUrl: string;
  /** REDIS_URL is a node of a Redis Cluster: sharded pub/sub, slot-routed commands (REDIS_CLUSTER, default false). */
  redisCluster: boolean;
  /** With BROKER=redis: how long a presence entry lives in Redis unrenewed (PRESENCE_LEASE_MS, default 15000). */
  presenceLeaseMs: number;
  /** With BROKER=redis: how often an instance renews its presence entries (PRESENCE_RENEW_MS, default 5000, < lease). */
  presenceRenewMs: number;
  /** Events kept per group (HISTORY_SIZE, default 1000). */
  historySize: number;
  /** Idle group eviction (GROUP_IDLE_MS, default 600000). */
  groupIdleMs: number;
  /** Groups held in this process; idle ones are evicted first at the cap (MAX_GROUPS, default 100000). */
  maxGroups: number;
  /** Default long-poll wait (LONGPOLL_TIMEOUT_MS, default 25000, max 60000). */
  longpollTimeoutMs: number;
  /** SSE comment heartbeat period (SSE_HEARTBEAT_MS, default 15000). */
  sseHeartbeatMs: number;
  /** WebSocket protocol ping period (WS_PING_MS, default 25000). */
  wsPingMs: number;
  /** Open streams and waiting long-polls allowed at once (MAX_CONNECTIONS, default 100000). */
  maxConnections: number;
  /** The same, per client IP (MAX_CONNECTIONS_PER_IP, default 10000). */
  maxConnectionsPerIp: number;
  /** Group subscriptions one WebSocket or STOMP connection may hold (MAX_SUBSCRIPTIONS_PER_CONNECTION, 100). */
  maxSubscriptionsPerConnection: number;
  /** Long-polls waiting on one group at once (MAX_LONGPOLLS_PER_GROUP, default 10000). */
  maxLongpollsPerGroup: number;
  /** STOMP heart-beat we offer and expect, both directions (STOMP_HEARTBEAT_MS, default 10000; 0 = off). */
  stompHeartbeatMs: number;
  /** Unsent bytes per consumer before it is cut with slow_consumer (MAX_BUFFERED_BYTES, 1 MiB). */
  maxBufferedBytes: number;
  /** Largest publish body, HTTP body, WebSocket message or STOMP frame (MAX_BODY_BYTES, 4096). */
  maxBodyBytes: number;
  /** Publishes per second per connection, 0 = unlimited (RATE_LIMIT_PER_SEC, default 0). */
  rateLimitPerSec: number;
  /** HS256 secret that turns authentication on (AUTH_SECRET). */
  authSecret: string | undefined;
  /** External STOMP broker for relay mode (STOMP_RELAY_URL). */
  stompRelayUrl: string | undefined;
  /** SSE writer (SSE_WRITER: direct | plugin). */
  sseWriter: 'direct' | 'plugin';
  /**
   * Stream writes to a socket are coalesced per event-loop turn (FLUSH_WINDOW_MS = 0, the default) or
   * held up to this many ms (adds up to that much latency; process-wide, docs/decisions.md).
   */
  flushWindowMs: number;
  /** Drain time on SIGTERM before streams are closed (SHUTDOWN_GRACE_MS, default 5000). */
  shutdownGraceMs: number;
  /** Most events one poll answer carries (POLL_MAX_EVENTS, default 1000, >= 1); `next` says where to resume. */
  pollMaxEvents: number;
  /** Linger of a woken long-poll before it answers, so it carries a burst (LONGPOLL_BATCH_MS, 0 = end of the turn). */
  longpollBatchMs: number;
  /** Time to receive a request's headers and body, then 408 and close (REQUEST_TIMEOUT_MS, default 10000). */
  requestTimeoutMs: number;
  /** Requests one HTTP socket may have in flight (pipelined) before it is closed (MAX_PIPELINED_REQUESTS, 16). */
  maxPipelinedRequests: number;
  /** Pino level (LOG_LEVEL, default info). */
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Log lines (LOG_FORMAT): `json` (pino), `pretty` (one human line each), `auto` (pretty on a TTY, else json). */
  logFormat: 'auto' | 'json' | 'pretty';
}

/** Thrown for a bad configuration value; the message names the variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, string | undefined>;

function int(src: Source, name: string, fallback: number, min: number, max: number): number {
  const raw = src[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}

function oneOf<T extends string>(src: Source, name: string, allowed: readonly T[], fallback: T): T {
  const raw = src[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got '${raw}'`);
  }
  return raw as T;
}

function bool(src: Source, name: string, fallback: boolean): boolean {
  const raw = src[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new ConfigError(name, `must be true or false (1/0, yes/no, on/off), got '${raw}'`);
}

function url(src: Source, name: string, fallback: string | undefined, schemes: string[]): string | undefined {
  const raw = src[name];
  if (raw === undefined || raw === '') return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL, got '${raw}'`);
  }
  if (!schemes.includes(parsed.protocol)) throw new ConfigError(name, `must use ${schemes.join(' or ')}, got '${raw}'`);
  return raw;
}

/** Turns `--history-size 10` / `--HISTORY_SIZE=10` style flags into variable names. */
export function flagsToEnv(argv: readonly string[]): Source {
  const out: Source = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'unexpected argument (flags look like --port 8080)');
    const eq = arg.indexOf('=');
    const key = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replace(/-/g, '_').toUpperCase();
    if (!(KNOWN as readonly string[]).includes(key)) throw new ConfigError(key, `unknown flag ${arg}`);
    const value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined) throw new ConfigError(key, `flag ${arg} needs a value`);
    out[key] = value;
  }
  return out;
}

const KNOWN = [
  'PORT', 'HOST', 'BROKER', 'REDIS_URL', 'REDIS_CLUSTER', 'HISTORY_SIZE', 'GROUP_IDLE_MS', 'MAX_GROUPS', 'LONGPOLL_TIMEOUT_MS',
  'SSE_HEARTBEAT_MS', 'WS_PING_MS', 'STOMP_HEARTBEAT_MS', 'MAX_CONNECTIONS', 'MAX_CONNECTIONS_PER_IP', 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 'MAX_LONGPOLLS_PER_GROUP', 'MAX_BUFFERED_BYTES', 'MAX_BODY_BYTES',
  'RATE_LIMIT_PER_SEC', 'AUTH_SECRET', 'STOMP_RELAY_URL', 'SSE_WRITER', 'SHUTDOWN_GRACE_MS', 'LOG_LEVEL',
  'PRESENCE_LEASE_MS', 'PRESENCE_RENEW_MS',
  'POLL_MAX_EVENTS', 'LONGPOLL_BATCH_MS', 'REQUEST_TIMEOUT_MS', 'MAX_PIPELINED_REQUESTS',
  'LOG_FORMAT',
  'FLUSH_WINDOW_MS',
] as const;

/**
 * Builds the configuration from the environment and command-line flags.
 * @throws ConfigError naming the variable
 */
export function loadConfig(env: Source = process.env, argv: readonly string[] = []): Readonly<Config> {
  const src: Source = { ...env, ...flagsToEnv(argv) };
  const config: Config = {
    port: int(src, 'PORT', 8080, 0, 65535),
    host: src.HOST || '0.0.0.0',
    broker: oneOf(src, 'BROKER', ['memory', 'redis'], 'memory'),
    redisUrl: url(src, 'REDIS_URL', 'redis://127.0.0.1:6379', ['redis:', 'rediss:'])!,
    redisCluster: bool(src, 'REDIS_CLUSTER', false),
    presenceLeaseMs: int(src, 'PRESENCE_LEASE_MS', 15_000, 100, 3_600_000),
    presenceRenewMs: int(src, 'PRESENCE_RENEW_MS', 5_000, 50, 3_600_000),
    historySize: int(src, 'HISTORY_SIZE', 1000, 1, 1_000_000),
    groupIdleMs: int(src, 'GROUP_IDLE_MS', 600_000, 1, 86_400_000),
    maxGroups: int(src, 'MAX_GROUPS', 100_000, 1, 100_000_000),
    longpollTimeoutMs: int(src, 'LONGPOLL_TIMEOUT_MS', 25_000, 1, 60_000),
    sseHeartbeatMs: int(src, 'SSE_HEARTBEAT_MS', 15_000, 10, 3_600_000),
    wsPingMs: int(src, 'WS_PING_MS', 25_000, 10, 3_600_000),
    stompHeartbeatMs: int(src, 'STOMP_HEARTBEAT_MS', 10_000, 0, 3_600_000),
    maxConnections: int(src, 'MAX_CONNECTIONS', 100_000, 1, 10_000_000),
    maxConnectionsPerIp: int(src, 'MAX_CONNECTIONS_PER_IP', 10_000, 1, 10_000_000),
    maxSubscriptionsPerConnection: int(src, 'MAX_SUBSCRIPTIONS_PER_CONNECTION', 100, 1, 100_000),
    maxLongpollsPerGroup: int(src, 'MAX_LONGPOLLS_PER_GROUP', 10_000, 1, 10_000_000),
    maxBufferedBytes: int(src, 'MAX_BUFFERED_BYTES', 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxBodyBytes: int(src, 'MAX_BODY_BYTES', 4096, 256, 16 * 1024 * 1024),
    rateLimitPerSec: int(src, 'RATE_LIMIT_PER_SEC', 0, 0, 1_000_000),
    authSecret: src.AUTH_SECRET || undefined,
    stompRelayUrl: url(src, 'STOMP_RELAY_URL', undefined, ['stomp:', 'ws:', 'wss:', 'tcp:']),
    sseWriter: oneOf(src, 'SSE_WRITER', ['direct', 'plugin'], 'direct'),
    flushWindowMs: int(src, 'FLUSH_WINDOW_MS', 0, 0, 1000),
    shutdownGraceMs: int(src, 'SHUTDOWN_GRACE_MS', 5000, 0, 600_000),
    pollMaxEvents: int(src, 'POLL_MAX_EVENTS', 1000, 1, 1_000_000),
    longpollBatchMs: int(src, 'LONGPOLL_BATCH_MS', 50, 0, 10_000),
    requestTimeoutMs: int(src, 'REQUEST_TIMEOUT_MS', 10_000, 100, 600_000),
    maxPipelinedRequests: int(src, 'MAX_PIPELINED_REQUESTS', 16, 1, 10_000),
    logLevel: oneOf(src, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
    logFormat: oneOf(src, 'LOG_FORMAT', ['auto', 'json', 'pretty'], 'auto'),
  };
  if (config.presenceRenewMs >= config.presenceLeaseMs) {
    throw new ConfigError('PRESENCE_RENEW_MS', `must be less than PRESENCE_LEASE_MS (${config.presenceLeaseMs}), got ${config.presenceRenewMs}`);
  }
  return Object.freeze(config);
}
