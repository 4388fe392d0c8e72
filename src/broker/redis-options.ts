import type { RedisOptions } from 'ioredis';

/**
 * ioredis options for every connection this process opens to Redis (broker and presence). No offline
 * queue and no resend: while Redis is away a command fails at once (`broker_unavailable`) instead of
 * hanging, and a command whose reply was lost is never replayed (a publish would become a second event).
 */
export function redisConnectionOptions(commandTimeoutMs = 2000): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: commandTimeoutMs,
    connectTimeout: 5000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  };
}

/** The options of each Redis Cluster node: the shared ones plus the URL's credentials and TLS. */
export function clusterNodeOptions(url: string, base: RedisOptions): RedisOptions {
  const parsed = new URL(url);
  return {
    ...base,
    username: decodeURIComponent(parsed.username) || undefined,
    password: decodeURIComponent(parsed.password) || undefined,
    tls: parsed.protocol === 'rediss:' ? {} : undefined,
  };
}
