import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Notifications, SYNC_COALESCE_MS } from "../../src/engine/notifications.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { eventually } from "../support/eventually.js";
import { testRedis } from "../support/redis.js";
import { testDeployment } from "../support/test-deployment.js";

describe("a change told of later", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let notifications: Notifications;
  const deployment = testDeployment({ id: "d-deferred", environment: "development", steps: [] }, Date.now());

  beforeEach(async () => {
    ctx = await testRedis("deferred-change");
    queues = createQueues(ctx.redis, ctx.prefix);
    notifications = new Notifications(queues.notify);
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  const syncs = async () => (await queues.notify.getJobs(["delayed", "waiting", "prioritized"])).length;

  it("queues no sync when dropped before its time, because a newer change is told of", async () => {
    const later = notifications.changedLater(deployment, 60_000);
    await later.drop();
    expect(await syncs()).toBe(0);
    // Dropped is final: a flush on the way out adds nothing.
    await later.flush();
    expect(await syncs()).toBe(0);
  });

  it("queues its sync by itself once its time has passed, and only that one, due when it would have been", async () => {
    const later = notifications.changedLater(deployment, 20);
    await eventually("the sync to be queued", async () => ((await syncs()) === 1 ? true : undefined));
    // The 20 ms it waited count against the sync's own pause.
    const [job] = await queues.notify.getJobs(["delayed", "waiting", "prioritized"]);
    expect(job?.opts.delay).toBe(SYNC_COALESCE_MS - 20);
    await later.drop();
    await later.flush();
    expect(await syncs()).toBe(1);
  });

  it("queues its sync at once when flushed before its time, as after a failure", async () => {
    const later = notifications.changedLater(deployment, 60_000);
    await later.flush();
    expect(await syncs()).toBe(1);
    await later.drop();
    expect(await syncs()).toBe(1);
  });
});
