import type { RedisClient } from "../store/redis.js";

/*
 * A token bucket per key in Redis, shared by every notifier process: Slack's
 * limits are per workspace and channel, not per process. `take` either
 * spends a token and answers 0, or answers how long to wait for one. A call
 * that can wait leaves `reserve` tokens in the bucket: it goes only when
 * more than that are there, so calls without a reserve, waiting at the same
 * time, go first.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local needed = 1 + tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or capacity
local at = tonumber(state[2]) or now
tokens = math.min(capacity, tokens + (now - at) / interval)
if tokens >= needed then
  redis.call('HSET', KEYS[1], 'tokens', tostring(tokens - 1), 'at', tostring(now))
  redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * interval) + 1000)
  return 0
end
return math.ceil((needed - tokens) * interval)
`;

export interface PaceOptions {
  /** Calls allowed at once after a quiet spell. */
  readonly burst: number;
  /** One more call allowed every this many ms. */
  readonly intervalMs: number;
}

export class Pacer {
  constructor(
    private readonly redis: RedisClient,
    /** The Redis key of a bucket (keys.ts `pace`). */
    private readonly keyOf: (bucket: string) => string,
    private readonly options: PaceOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * 0 when a call may go now (and counts it), else the ms to wait. With a
   * `reserve` (less than the burst), it waits until that many tokens would be
   * left after it.
   */
  async take(key: string, reserve = 0): Promise<number> {
    return (await this.redis.eval(
      TAKE,
      1,
      this.keyOf(key),
      String(this.options.burst),
      String(this.options.intervalMs),
      String(this.now()),
      String(Math.min(reserve, this.options.burst - 1)),
    )) as number;
  }
}
