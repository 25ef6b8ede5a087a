import type { RedisClient } from "./redis.js";

/** Runs a defined script: its keys, then its arguments. */
export type RedisScript = (keys: readonly string[], args: readonly (string | number)[]) => Promise<unknown>;

type Defined = (...keysThenArgs: (string | number)[]) => Promise<unknown>;

/**
 * A Lua script the connection runs by its SHA (`EVALSHA`), loading it once
 * when Redis does not know it yet, instead of sending its text with every
 * call (ioredis's `defineCommand`). On a Redis Cluster it goes to the master
 * of its keys' slot, so all its keys must share a hash tag (keys.ts).
 */
export function defineScript(redis: RedisClient, name: string, numberOfKeys: number, lua: string): RedisScript {
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys, lua });
  const defined = (redis as unknown as Record<string, Defined>)[name];
  if (defined === undefined) throw new Error(`the Redis script ${name} could not be defined`);
  return (keys, args) => defined.call(redis, ...keys, ...args);
}
