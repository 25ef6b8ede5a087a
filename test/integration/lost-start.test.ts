import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { UnrecoverableError } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moveTo, updateStage } from "../../src/domain/deployment.js";
import { planSteps } from "../../src/domain/stage-plan.js";
import { JOB_IDS } from "../../src/engine/jobs.js";
import { Notifications } from "../../src/engine/notifications.js";
import { advance } from "../../src/engine/pipeline.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { keys } from "../../src/store/keys.js";
import { eventually } from "../support/eventually.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { testDeployment } from "../support/test-deployment.js";

/*
 * A Redis restarted from its append-only file may come back without its last
 * writes (with appendfsync everysec, a write acknowledged while a slow fsync
 * held the file back). A step's job can then be running a step whose start
 * the store no longer has: the record says the step is pending. When the step
 * ends, its result is refused by the compare-and-set. That job owns the step
 * all the same (no other attempt was recorded): it used to be fenced off as
 * if a newer attempt had replaced it, an unrecoverable failure nobody logs,
 * and the deployment sat with its step pending and no job until the
 * watchdog's next round after two quiet minutes (seen in
 * test/resilience/redis-restart.test.ts). Now the job fails and BullMQ's
 * retry runs the step again and queues the next one.
 *
 * The restart is reproduced with no worker running: the job's processor is
 * called as a worker would, and while its step runs, the deployment's key is
 * put back as it was before the step started (DUMP and RESTORE, what a
 * restart that lost the start leaves).
 */

const STEPS = ["build", "backup", "deploy"] as const;

describe("a step whose start a Redis restart lost", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let store: DeploymentStore;
  let catalog: Catalog;
  let release: string;

  beforeEach(async () => {
    ctx = await testRedis("lost-start");
    release = join(await mkdtemp(join(tmpdir(), "slipway-release-")), "go");
    // backup runs until the test releases it; the others end at once.
    const dir = await manifestDir({
      "web.yaml": `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions:
    deploy: [node, -e, "process.exit(0)"]
environments:
  development:
    stages:
      - { name: build, run: [node, -e, "process.exit(0)"] }
      - name: backup
        run: [node, -e, "const t = setInterval(() => require('node:fs').existsSync('${release}') && clearInterval(t), 20)"]
      - { name: deploy, action: deploy }
`,
    });
    const loaded = await loadManifests(dir);
    expect(loaded.errors).toEqual([]);
    catalog = new Catalog(loaded.services);
    queues = createQueues(ctx.redis, ctx.prefix);
    store = new DeploymentStore(ctx.redis, ctx.prefix);
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  it("retries the step's job, which runs it again and goes on to the next step", async () => {
    const id = "d-loststart";
    const service = catalog.service("web");
    if (!service) throw new Error("no service web");
    const created = testDeployment(
      {
        id,
        environment: "development",
        steps: planSteps(service.manifest.environments.development?.stages ?? [], "all-at-once"),
      },
      Date.now(),
    );
    expect(created.stages.map((s) => s.name)).toEqual([...STEPS]);
    expect((await store.create(created)).ok).toBe(true);
    // Built, and backup's job queued: what the build step's job left.
    const running = await store.save(moveTo(await store.require(id), "running", Date.now()));
    await store.save(updateStage(running, 0, { status: "succeeded", attempts: 1, finishedAt: Date.now() }, Date.now()));
    const key = keys(ctx.prefix).deployment("web", id);
    const beforeStart = await ctx.redis.dumpBuffer(key);

    const deps = { store, catalog, queues, notifications: new Notifications(queues.notify), now: Date.now };
    const log = createLogger("silent");
    const jobId = JOB_IDS.advance(id, 1);
    const run = () => advance(deps, id, 1, new AbortController().signal, log, jobId);
    const first = run().then(
      () => undefined,
      (error: unknown) => error,
    );
    await eventually("backup to start", async () => (await store.require(id)).stages[1]?.status === "running");
    // Redis comes back without the start; then the step ends.
    await ctx.redis.restore(key, 0, beforeStart, "REPLACE");
    await writeFile(release, "");

    // The job fails as a retryable error: BullMQ runs it again (it gives up on an UnrecoverableError).
    const error = await first;
    expect(error).toMatchObject({ code: "start_lost" });
    expect(error).not.toBeInstanceOf(UnrecoverableError);
    expect(await queues.pipeline.getJob(JOB_IDS.advance(id, 2))).toBeUndefined();

    expect(await run()).toBe(2);
    const d = await store.require(id);
    expect(d.stages.map((s) => `${s.name} ${s.status} ${s.attempts} ${s.runner}`)).toEqual([
      "build succeeded 1 undefined",
      `backup succeeded 1 ${jobId}`,
      `deploy succeeded 1 ${jobId}`,
    ]);
    expect(d.state).toBe("succeeded");
    expect(await queues.pipeline.getJob(JOB_IDS.advance(id, 2))).toBeUndefined();
  });
});
