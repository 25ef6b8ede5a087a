import type { Redis } from "ioredis";
import { type Keys, keys } from "../store/keys.js";

/** A message Slipway posted: where it is, and a hash of what it shows now. */
export interface PostedMessage {
  readonly ts: string;
  readonly hash: string;
}

/**
 * What Slack already shows for each deployment: every message posted for it,
 * by name (`root`, `checklist`, `approval`, `stage3`, `summary`…). Kept apart
 * from the deployment record so that Slack bookkeeping never competes with
 * the pipeline's compare-and-set writes.
 */
export class SlackRefStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async get(deploymentId: string): Promise<Map<string, PostedMessage>> {
    const raw = await this.redis.hgetall(this.k.slackRefs(deploymentId));
    return new Map(Object.entries(raw).map(([name, value]) => [name, JSON.parse(value) as PostedMessage]));
  }

  async set(deploymentId: string, name: string, message: PostedMessage): Promise<void> {
    await this.redis.hset(this.k.slackRefs(deploymentId), name, JSON.stringify(message));
  }

  /** A short per-deployment lock, so syncs of one deployment's messages never overtake each other. */
  async withLock<T>(
    deploymentId: string,
    ttlMs: number,
    work: () => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const lockKey = `${this.k.slackRefs(deploymentId)}:lock`;
    const token = `${process.pid}.${Math.random().toString(36).slice(2)}`;
    const got = await this.redis.set(lockKey, token, "PX", ttlMs, "NX");
    if (got !== "OK") return { ran: false };
    try {
      return { ran: true, value: await work() };
    } finally {
      await this.redis.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        1,
        lockKey,
        token,
      );
    }
  }
}
