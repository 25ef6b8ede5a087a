import { afterEach, describe, expect, it } from "vitest";
import { Pacer } from "../../src/slack/pacer.js";
import { keys } from "../../src/store/keys.js";
import { testRedis } from "../support/redis.js";

const closing: Array<() => Promise<void>> = [];

afterEach(async () => {
  await Promise.all(closing.splice(0).map((close) => close()));
});

/** A pacer of three calls at once and one more a second, on a clock the test moves. */
async function pacerAt(clock: { now: number }): Promise<Pacer> {
  const ctx = await testRedis("pacer");
  closing.push(ctx.close);
  return new Pacer(ctx.redis, keys(ctx.prefix).pace, { burst: 3, intervalMs: 1_000 }, () => clock.now);
}

describe("the notifier's pacer", () => {
  it("lets a burst go, then one call per interval, answering how long to wait", async () => {
    const clock = { now: 1_000_000 };
    const pacer = await pacerAt(clock);
    expect([await pacer.take("post:C1"), await pacer.take("post:C1"), await pacer.take("post:C1")]).toEqual([0, 0, 0]);
    expect(await pacer.take("post:C1")).toBe(1_000);
    // Another channel has its own bucket.
    expect(await pacer.take("post:C2")).toBe(0);
    clock.now += 1_000;
    expect(await pacer.take("post:C1")).toBe(0);
    expect(await pacer.take("post:C1")).toBe(1_000);
  });

  it("a call with a reserve waits while a call without one goes", async () => {
    const clock = { now: 1_000_000 };
    const pacer = await pacerAt(clock);
    expect(await pacer.take("post:C1", 1)).toBe(0);
    expect(await pacer.take("post:C1", 1)).toBe(0);
    // One token left: kept for a call without a reserve.
    expect(await pacer.take("post:C1", 1)).toBe(1_000);
    expect(await pacer.take("post:C1")).toBe(0);
    // Empty: the reply waits for two tokens, the root for one.
    expect(await pacer.take("post:C1", 1)).toBe(2_000);
    expect(await pacer.take("post:C1")).toBe(1_000);
    clock.now += 1_000;
    expect(await pacer.take("post:C1", 1)).toBe(1_000);
    expect(await pacer.take("post:C1")).toBe(0);
    // A reserve as large as the burst still lets the call go once the bucket is full.
    clock.now += 3_000;
    expect(await pacer.take("post:C1", 5)).toBe(0);
  });
});
