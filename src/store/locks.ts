import { type Keys, keys } from "./keys.js";
import type { RedisClient } from "./redis.js";

export interface Lock {
  readonly service: string;
  readonly environment: string;
  readonly owner: string;
  readonly reason: string;
  readonly at: number;
  /** When it lifts by itself; absent for a lock held until someone unlocks it. */
  readonly expiresAt?: number;
}

/** Locks per service and environment: while one is held, nothing deploys there. */
export class LockStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async get(service: string, environment: string): Promise<Lock | undefined> {
    const raw = await this.redis.get(this.k.lock(service, environment));
    return raw === null ? undefined : (JSON.parse(raw) as Lock);
  }

  /** Takes the lock unless someone holds it; answers the holder's lock when refused. */
  async take(lock: Lock): Promise<{ ok: true } | { ok: false; held: Lock }> {
    const key = this.k.lock(lock.service, lock.environment);
    const json = JSON.stringify(lock);
    const set =
      lock.expiresAt === undefined
        ? await this.redis.set(key, json, "NX")
        : await this.redis.set(key, json, "PX", Math.max(1, lock.expiresAt - lock.at), "NX");
    if (set === "OK") return { ok: true };
    const held = await this.get(lock.service, lock.environment);
    return held ? { ok: false, held } : this.take(lock);
  }

  async release(service: string, environment: string): Promise<boolean> {
    return (await this.redis.del(this.k.lock(service, environment))) === 1;
  }
}
