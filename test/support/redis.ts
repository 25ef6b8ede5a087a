import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { deleteKeys } from "../../src/store/delete-keys.js";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";

/** A key prefix no other test uses, so tests can share one Redis server. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString("hex")}`;
}

/** A test's own Redis connection and prefix, cleaned up by `close()`. */
export async function testRedis(label: string): Promise<{ redis: Redis; prefix: string; close(): Promise<void> }> {
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const prefix = uniquePrefix(label);
  return {
    redis,
    prefix,
    async close() {
      await deleteKeys(redis, prefix);
      await redis.quit();
    },
  };
}
