import type { Redis } from "ioredis";
import { masters, type RedisClient } from "../../src/store/redis.js";

/**
 * Every key matching `pattern` with its whole value as text, whatever its
 * type (strings, hashes, lists, sets, sorted sets, streams), for tests that
 * look for what must never be stored.
 */
export async function dumpKeys(redis: RedisClient, pattern: string): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const node of masters(redis)) {
    let cursor = "0";
    do {
      const [next, batch] = await node.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      for (const key of batch) found.set(key, await readValue(node, key));
    } while (cursor !== "0");
  }
  return found;
}

async function readValue(redis: Redis, key: string): Promise<string> {
  const type = await redis.type(key);
  switch (type) {
    case "string":
      return (await redis.get(key)) ?? "";
    case "hash":
      return JSON.stringify(await redis.hgetall(key));
    case "list":
      return JSON.stringify(await redis.lrange(key, 0, -1));
    case "set":
      return JSON.stringify(await redis.smembers(key));
    case "zset":
      return JSON.stringify(await redis.zrange(key, "0", "-1", "WITHSCORES"));
    case "stream":
      return JSON.stringify(await redis.xrange(key, "-", "+"));
    case "none":
      return "";
    default:
      return `(unreadable type ${type})`;
  }
}
