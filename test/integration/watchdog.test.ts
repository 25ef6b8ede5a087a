import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moveTo, newDeployment } from "../../src/domain/deployment.js";
import { Notifications } from "../../src/engine/notifications.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { runWatchdog } from "../../src/engine/watchdog.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { Waitlist } from "../../src/store/waitlist.js";
import { testRedis } from "../support/redis.js";

/*
 * The watchdog brings Slack up to date with the record when the sync that
 * should have done it is gone: a deployment whose messages last showed an
 * older revision than its record gets a sync again — one, however many runs
 * ask for it — and one Slack already shows as it is gets none.
 */

const T0 = 1_800_000_000_000;

describe("watchdog re-syncs what Slack shows behind the record", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let store: DeploymentStore;
  let queues: Queues;

  beforeEach(async () => {
    ctx = await testRedis("watchdog");
    store = new DeploymentStore(ctx.redis, ctx.prefix);
    queues = createQueues(ctx.redis, ctx.prefix);
  });
  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  async function ended(id: string): Promise<number> {
    const d = newDeployment(
      {
        id,
        service: "web",
        environment: "production",
        version: "v1.2.0",
        strategy: "all-at-once",
        hotfix: false,
        waitLimitMs: 3_600_000,
        requestedBy: "U1",
        source: "slack",
        steps: [{ name: "deploy", action: "deploy" }],
        channel: "C0DEPLOYS",
      },
      T0,
    );
    expect((await store.create(d)).ok).toBe(true);
    const running = await store.save(moveTo(await store.require(id), "running", T0 + 1_000));
    return (await store.save(moveTo(running, "failed", T0 + 2_000, { failureReason: "stage deploy failed" }))).rev;
  }

  async function syncsFor(id: string): Promise<number> {
    const jobs = await queues.notify.getJobs(["waiting", "delayed", "prioritized"]);
    return jobs.filter((j) => (j.data as { deploymentId?: string }).deploymentId === id).length;
  }

  it("queues one sync for a deployment Slack shows behind, none once Slack shows its last revision", async () => {
    const behind = await ended("d-behind01");
    const shown = await ended("d-shown001");
    await store.markRendered("d-behind01", behind - 1);
    await store.markRendered("d-shown001", shown);
    // An older sync finishing late never lowers what Slack is known to show.
    await store.markRendered("d-shown001", shown - 2);
    expect(await store.renderedRevs(["d-behind01", "d-shown001", "d-never001"])).toEqual([behind - 1, shown, -1]);

    const deps = {
      store,
      catalog: new Catalog(new Map()),
      queues,
      notifications: new Notifications(queues.notify),
      waitlist: new Waitlist(ctx.redis, ctx.prefix),
    };
    const log = createLogger("silent");
    // Too soon after the change: its own sync may still be on its way.
    await runWatchdog({ ...deps, now: () => T0 + 5_000 }, log);
    expect(await syncsFor("d-behind01")).toBe(0);

    for (let run = 0; run < 3; run += 1) await runWatchdog({ ...deps, now: () => T0 + 60_000 }, log);
    expect(await syncsFor("d-behind01")).toBe(1);
    expect(await syncsFor("d-shown001")).toBe(0);
  });
});
