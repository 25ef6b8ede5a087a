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
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 2_000 }),
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
}
