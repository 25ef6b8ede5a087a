import { keysPattern } from "./keys.js";
import { masters, type RedisClient } from "./redis.js";

/** Deletes every key under `prefix` (a test run's or a demo's own key space), on every master of a cluster. */
export async function deleteKeys(redis: RedisClient, prefix: string): Promise<void> {
  for (const node of masters(redis)) {
    let cursor = "0";
    do {
      const [next, found] = await node.scan(cursor, "MATCH", keysPattern(prefix), "COUNT", 500);
      cursor = next;
      // One key per DEL: keys of different hash slots cannot be deleted together on a cluster.
      if (found.length > 0) await Promise.all(found.map((key) => node.del(key)));
    } while (cursor !== "0");
  }
}
