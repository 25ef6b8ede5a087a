import { Redis } from "ioredis";

/**
 * Two kinds of connection. Workers block and must ride out a Redis restart,
 * so their commands wait (BullMQ requires `maxRetriesPerRequest: null`).
 * Producers answer people: when Redis is down they fail at once, so a Slack
 * command can say so inside Slack's 3 s instead of hanging.
 */
export function connectRedis(url: string, kind: "worker" | "producer"): Redis {
  return new Redis(url, {
    lazyConnect: false,
    connectionName: `slipway-${kind}`,
    ...(kind === "worker"
      ? { maxRetriesPerRequest: null }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000, enableAutoPipelining: true }),
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}

/** Resolves once the connection is ready; fails with a message saying how to fix it when Redis does not answer in time. */
export async function whenReady(redis: Redis, url: string, timeoutMs = 10_000): Promise<void> {
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
export async function durabilityWarnings(redis: Redis): Promise<string[]> {
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
