import type { Redis } from "ioredis";
import { type Keys, keys } from "../store/keys.js";

/**
 * Where a deployment's messages are in Slack: the root message's ts, the
 * revision it last showed, and the ts of each reply already posted. Kept
 * apart from the deployment record so that Slack bookkeeping never competes
 * with the pipeline's compare-and-set writes.
 */
export interface SlackRefs {
  rootTs?: string;
  renderedRev: number;
  replies: Record<string, string>;
}

export class SlackRefStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async get(deploymentId: string): Promise<SlackRefs> {
    const raw = await this.redis.hgetall(this.k.slackRefs(deploymentId));
    const replies: Record<string, string> = {};
    for (const [field, value] of Object.entries(raw)) {
      if (field.startsWith("reply:")) replies[field.slice("reply:".length)] = value;
    }
    return {
      ...(raw.rootTs ? { rootTs: raw.rootTs } : {}),
      renderedRev: raw.renderedRev ? Number(raw.renderedRev) : -1,
      replies,
    };
  }

  async setRoot(deploymentId: string, ts: string, rev: number): Promise<void> {
    await this.redis.hset(this.k.slackRefs(deploymentId), "rootTs", ts, "renderedRev", String(rev));
  }

  async setRendered(deploymentId: string, rev: number): Promise<void> {
    await this.redis.hset(this.k.slackRefs(deploymentId), "renderedRev", String(rev));
  }

  async setReply(deploymentId: string, name: string, ts: string): Promise<void> {
    await this.redis.hset(this.k.slackRefs(deploymentId), `reply:${name}`, ts);
  }

  /** A short per-deployment lock, so edits of one deployment's messages never overtake each other. */
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
