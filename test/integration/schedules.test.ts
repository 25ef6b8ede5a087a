import type { Redis } from "ioredis";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { listSchedules, SCHEDULE_ID_PREFIX } from "../../src/engine/jobs.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { reconcileSchedules } from "../../src/engine/schedules.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * Schedules made to match the manifests at start, against real Redis and
 * BullMQ's job schedulers: each start reads the manifests as they are then.
 * Two processes starting together are two sets of queues on connections of
 * their own, reconciling at the same moment.
 */

function manifest(staging: string): string {
  return `service: nightly
channels: { deploy: C0NIGHTLY1 }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  development:
    stages: [{ name: deploy, action: deploy }]
  staging:
${staging}    stages: [{ name: deploy, action: deploy }]
`;
}

const DAILY = `    schedule: { cron: "0 2 * * *", timezone: Europe/Berlin, from: development }\n`;
const HOURLY = `    schedule: { cron: "30 * * * *", timezone: UTC, from: development }\n`;

async function catalogOf(staging: string): Promise<Catalog> {
  const loaded = await loadManifests(await manifestDir({ "nightly.yaml": manifest(staging) }));
  expect(loaded.errors).toEqual([]);
  return new Catalog(loaded.services);
}

describe("schedules reconciled from the manifests at start", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  const opened: { redis: Redis; queues: Queues }[] = [];

  /** A starting process: its own Redis connection and queues, reconciling `staging`'s manifest. */
  async function start(staging: string): Promise<void> {
    const redis = ctx.redis.duplicate();
    const queues = createQueues(redis, ctx.prefix);
    opened.push({ redis, queues });
    await reconcileSchedules(requestDeps(redis, ctx.prefix, await catalogOf(staging), queues), createLogger("silent"));
  }

  async function schedules() {
    const queues = createQueues(ctx.redis, ctx.prefix);
    opened.push({ redis: ctx.redis, queues });
    return listSchedules(queues.pipeline, SCHEDULE_ID_PREFIX);
  }

  beforeEach(async () => {
    ctx = await testRedis("schedules");
  });

  afterEach(async () => {
    for (const { redis, queues } of opened.splice(0)) {
      await queues.close();
      if (redis !== ctx.redis) await redis.quit();
    }
    await ctx.close();
  });

  it("creates one scheduler when two processes start together", async () => {
    await Promise.all([start(DAILY), start(DAILY), start(DAILY)]);
    expect(await schedules()).toEqual([
      { id: `${SCHEDULE_ID_PREFIX}nightly.staging`, pattern: "0 2 * * *", tz: "Europe/Berlin" },
    ]);
  });

  it("changes a schedule changed in the manifest, and removes one taken out of it, at the next start", async () => {
    await start(DAILY);
    await start(HOURLY);
    expect(await schedules()).toEqual([
      { id: `${SCHEDULE_ID_PREFIX}nightly.staging`, pattern: "30 * * * *", tz: "UTC" },
    ]);
    await start("");
    expect(await schedules()).toEqual([]);
  });
});
