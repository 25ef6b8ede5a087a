import { type Keys, keys } from "../store/keys.js";
import type { RedisClient } from "../store/redis.js";

/** A message Slipway posted: where it is, and a hash of what it shows now. */
export interface PostedMessage {
  readonly ts: string;
  readonly hash: string;
}

/**
 * A post that was about to be made and whose ts was never recorded: Slack
 * may hold it (the process died, or Redis went away, between the post and
 * the record), so it is looked for before being posted again.
 */
export interface PendingPost {
  /** When the first attempt to post it began (ms since epoch). */
  readonly at: number;
  /** When the latest attempt began; absent on marks written before it was kept. */
  readonly last?: number;
}

/** What was posted, and what may have been, for one deployment. */
export interface SlackRefs {
  readonly posted: Map<string, PostedMessage>;
  readonly pending: Map<string, PendingPost>;
}

/** The per-deployment lock held while a sync runs. */
export interface RefLock {
  readonly token: string;
}

/** Marks a post pending unless the caller has lost the lock (answers 0); keeps the first attempt's time and the latest's. */
const MARK_PENDING = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local now = tonumber(ARGV[3])
local previous = redis.call('HGET', KEYS[2], ARGV[2])
local first = previous and cjson.decode(previous).at or now
redis.call('HSET', KEYS[2], ARGV[2], cjson.encode({ at = first, last = now }))
return 1
`;

/**
 * What Slack already shows for each deployment: every message posted for it,
 * by name (`root`, `checklist`, `approval`, `stage3`, `summary`…), and the
 * posts begun but not yet recorded. Kept apart from the deployment record so
 * that Slack bookkeeping never competes with the pipeline's compare-and-set
 * writes.
 */
export class SlackRefStore {
  private readonly k: Keys;

  constructor(
    private readonly redis: RedisClient,
    prefix: string,
  ) {
    this.k = keys(prefix);
  }

  async get(deploymentId: string): Promise<SlackRefs> {
    const [posted, pending] = await Promise.all([
      this.redis.hgetall(this.k.slackRefs(deploymentId)),
      this.redis.hgetall(this.pendingKey(deploymentId)),
    ]);
    return {
      posted: new Map(Object.entries(posted).map(([name, value]) => [name, JSON.parse(value) as PostedMessage])),
      pending: new Map(Object.entries(pending).map(([name, value]) => [name, JSON.parse(value) as PendingPost])),
    };
  }

  /**
   * Records, before the post is made, that `name` is being posted. Answers
   * false, recording nothing, when `lock` has expired and may be another
   * sync's now: then this one must not post.
   */
  async markPending(lock: RefLock, deploymentId: string, name: string, at: number): Promise<boolean> {
    const marked = await this.redis.eval(
      MARK_PENDING,
      2,
      this.lockKey(deploymentId),
      this.pendingKey(deploymentId),
      lock.token,
      name,
      String(at),
    );
    return marked === 1;
  }

  /** Records where a message is and what it shows; it is no longer pending. */
  async set(deploymentId: string, name: string, message: PostedMessage): Promise<void> {
    const results = await this.redis
      .multi()
      .hset(this.k.slackRefs(deploymentId), name, JSON.stringify(message))
      .hdel(this.pendingKey(deploymentId), name)
      .exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (failed) throw failed;
  }

  /** A short per-deployment lock, so syncs of one deployment's messages never overtake each other. */
  async withLock<T>(
    deploymentId: string,
    ttlMs: number,
    work: (lock: RefLock) => Promise<T>,
  ): Promise<{ ran: true; value: T } | { ran: false }> {
    const lockKey = this.lockKey(deploymentId);
    const token = `${process.pid}.${Math.random().toString(36).slice(2)}`;
    const got = await this.redis.set(lockKey, token, "PX", ttlMs, "NX");
    if (got !== "OK") return { ran: false };
    try {
      return { ran: true, value: await work({ token }) };
    } finally {
      await this.redis.eval(
        "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0",
        1,
        lockKey,
        token,
      );
    }
  }

  private lockKey(deploymentId: string): string {
    return `${this.k.slackRefs(deploymentId)}:lock`;
  }

  private pendingKey(deploymentId: string): string {
    return `${this.k.slackRefs(deploymentId)}:pending`;
  }
}
