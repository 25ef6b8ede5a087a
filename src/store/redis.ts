import { Cluster, Redis, type RedisOptions } from "ioredis";
import { SlipwayError } from "../errors.js";
import { parseRedisUrl, type RedisTarget } from "./redis-url.js";

/**
 * Two kinds of connection. Workers block and must ride out a Redis restart
 * or failover, so their commands wait (BullMQ requires
 * `maxRetriesPerRequest: null`). Producers answer people: when Redis is down
 * they fail at once, so a Slack command can say so inside Slack's 3 s
 * instead of hanging.
 *
 * Behind Sentinels the client asks them where the master is and, when its
 * connection to the master drops (a dead master, or one Sentinel demotes),
 * asks them again and reconnects to the new master by itself. ioredis's
 * optional `failoverDetector` is left off: its extra Sentinel connections
 * were seen closing a reconnect that was still asking where the master is,
 * leaving the client with "Connection is closed". A
 * connection that still reaches the old master after it came back as a
 * replica (a READONLY reply) reconnects and resends. On a Redis Cluster it
 * is a cluster client: it learns the slot map from the nodes given and
 * sends each command to the master of its key's slot (see keys.ts for why
 * every key has a hash tag).
 */
export function connectRedis(url: string, kind: "worker" | "producer"): RedisClient {
  const options: RedisOptions = {
    lazyConnect: false,
    connectionName: `slipway-${kind}`,
    ...(kind === "worker"
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, enableAutoPipelining: true }),
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    reconnectOnError: (error) => (error.message.startsWith("READONLY") ? 2 : false),
  };
  const target = redisTarget(url);
  switch (target.kind) {
    case "standalone":
      return new Redis(target.url, options);
    case "sentinel":
      return new Redis({
        ...options,
        sentinels: [...target.sentinels],
        name: target.name,
        db: target.db,
        ...(target.username ? { username: target.username } : {}),
        ...(target.password ? { password: target.password } : {}),
        sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      });
    case "cluster": {
      const { enableOfflineQueue, enableAutoPipelining, retryStrategy: _perNode, ...nodeOptions } = options;
      return new Cluster([...target.nodes], {
        redisOptions: {
          ...nodeOptions,
          ...(target.username ? { username: target.username } : {}),
          ...(target.password ? { password: target.password } : {}),
        },
        ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
        ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
        clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
      });
    }
    default: {
      const unreachable: never = target;
      return unreachable;
    }
  }
}

/** A connection to one Redis server (directly or through Sentinels) or to a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** The servers that hold keys: every master of a cluster, or the one server. */
export function masters(redis: RedisClient): Redis[] {
  return redis instanceof Cluster ? redis.nodes("master") : [redis];
}

/** The Redis `url` names; config has already refused a malformed one. */
export function redisTarget(url: string): RedisTarget {
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new SlipwayError("invalid_config", parsed.problem);
  return parsed.target;
}

/**
 * How many replicas must hold a write Slipway cannot afford to lose (a
 * deployment record, a step's completion) before it goes on: one behind
 * Sentinel, whose failover promotes a replica; none for a lone server.
 */
export function replicasToWaitFor(url: string): number {
  return redisTarget(url).kind === "sentinel" ? 1 : 0;
}

/** Resolves once the connection is ready; fails with a message saying how to fix it when Redis does not answer in time. */
export async function whenReady(redis: RedisClient, url: string, timeoutMs = 10_000): Promise<void> {
  if (redis.status === "ready") return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      reject(
        new Error(
          `cannot reach Redis at ${url} after ${timeoutMs / 1000}s; start it (redis-server) or set REDIS_URL to a running server`,
        ),
      );
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve();
    };
    redis.once("ready", onReady);
  });
}

/**
 * Warns loudly when Redis may lose Slipway's state: an eviction policy other
 * than noeviction can drop deployments and jobs under memory pressure, and
 * without persistence a restart loses everything in flight. Hosted Redis
 * often refuses CONFIG; then it says it could not check.
 */
export async function durabilityWarnings(redis: RedisClient): Promise<string[]> {
  try {
    const [, policy] = (await redis.config("GET", "maxmemory-policy")) as string[];
    const [, appendonly] = (await redis.config("GET", "appendonly")) as string[];
    const [, save] = (await redis.config("GET", "save")) as string[];
    const warnings: string[] = [];
    if (policy !== "noeviction") {
      warnings.push(
        `Redis maxmemory-policy is ${policy}; set it to noeviction, or Redis may evict deployments and queued jobs`,
      );
    }
    if (appendonly !== "yes" && !save) {
      warnings.push(
        "Redis persists nothing (appendonly no, no save points); a Redis restart loses every deployment in flight — turn on appendonly yes",
      );
    }
    return warnings;
  } catch (error) {
    return [
      `could not read Redis's configuration (${(error as Error).message}); make sure it runs with appendonly yes and maxmemory-policy noeviction`,
    ];
  }
}
