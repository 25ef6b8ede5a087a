/** Slack's published limits the stand-in can enforce. */
export interface RateLimitOptions {
  /** chat.postMessage per channel, sustained. @default 1 */
  postMessagePerSecondPerChannel?: number;
  /** chat.postMessage per channel, short burst allowance. @default 3 */
  postMessageBurst?: number;
  /** chat.update per workspace (Tier 3), sustained. @default 50 */
  updatePerMinute?: number;
  /** chat.update burst allowance. @default 50 */
  updateBurst?: number;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

interface BucketRule {
  capacity: number;
  perMs: number;
}

/**
 * Token buckets: `capacity` calls at once, refilled at a steady rate. A call
 * that finds the bucket empty is refused with the whole seconds until the next
 * token, which is what Slack puts in `Retry-After`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly postMessage: BucketRule;
  private readonly update: BucketRule;

  constructor(
    options: RateLimitOptions,
    private readonly now: () => number,
  ) {
    this.postMessage = {
      capacity: options.postMessageBurst ?? 3,
      perMs: (options.postMessagePerSecondPerChannel ?? 1) / 1000,
    };
    this.update = {
      capacity: options.updateBurst ?? 50,
      perMs: (options.updatePerMinute ?? 50) / 60_000,
    };
  }

  /** Takes a token for the call; answers the Retry-After seconds when there is none. */
  take(method: string, channel: string | undefined): number | undefined {
    if (method === "chat.postMessage") return this.takeFrom(`post:${channel ?? ""}`, this.postMessage);
    if (method === "chat.update") return this.takeFrom("update", this.update);
    return undefined;
  }

  reset(): void {
    this.buckets.clear();
  }

  private takeFrom(key: string, rule: BucketRule): number | undefined {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: rule.capacity, updatedAt: now };
    bucket.tokens = Math.min(rule.capacity, bucket.tokens + (now - bucket.updatedAt) * rule.perMs);
    bucket.updatedAt = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / rule.perMs / 1000));
  }
}
