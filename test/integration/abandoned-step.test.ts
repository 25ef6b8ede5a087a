import type { Worker } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moveTo } from "../../src/domain/deployment.js";
import { planSteps } from "../../src/domain/stage-plan.js";
import { enqueueAdvance } from "../../src/engine/next-jobs.js";
import { LOST_WORKERS_LIMIT } from "../../src/engine/pipeline.js";
import { startPipelineWorker } from "../../src/engine/pipeline-worker.js";
import { createQueues, DEFAULT_JOB_OPTIONS, type Queues } from "../../src/engine/queues.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import type { DeploymentStore } from "../../src/store/deployment-store.js";
import { eventually } from "../support/eventually.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";
import { testDeployment } from "../support/test-deployment.js";

/*
 * A step whose job is cut short again and again (its lock lost to a frozen
 * worker, its worker stopping for a restart) is never a reason to fail the
 * deployment. Each cut fails the job as retryable; once the job has used up
 * its retries, the step is queued again, and the job that takes it over
 * finds it has lost LOST_WORKERS_LIMIT workers in a row and pauses the
 * deployment for an operator, as for workers that died. Before, the last
 * retry's failure failed the deployment.
 *
 * The cut is the one a lost lock makes: the worker cancels the job, whose
 * step sees its signal fire and stops.
 */

const MIGRATE = "console.log('migrating'); setInterval(() => {}, 1000);";
/** Deadline for each retry: BullMQ's backoff (up to 8 s) and a step starting, on a busy machine. */
const RETRY_DEADLINE_MS = 120_000;

describe("a step cut short every time its job runs it", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let store: DeploymentStore;
  let worker: Worker;
  let catalog: Catalog;

  beforeEach(async () => {
    ctx = await testRedis("abandoned-step");
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
      - name: migrate
        run: [node, -e, ${JSON.stringify(MIGRATE)}]
        timeoutSeconds: 600
      - { name: deploy, action: deploy }
`,
    });
    const loaded = await loadManifests(dir);
    expect(loaded.errors).toEqual([]);
    catalog = new Catalog(loaded.services);
    queues = createQueues(ctx.redis, ctx.prefix);
    const deps = requestDeps(ctx.redis, ctx.prefix, catalog, queues);
    store = deps.store;
    worker = startPipelineWorker({
      connection: ctx.redis.duplicate(),
      keyPrefix: ctx.prefix,
      deps: { ...deps, redis: ctx.redis, keyPrefix: ctx.prefix },
      log: createLogger("silent"),
      concurrency: 1,
    });
    await worker.waitUntilReady();
  });

  afterEach(async () => {
    await worker.close(true);
    await queues.close();
    await ctx.close();
  });

  it(`pauses for an operator after ${LOST_WORKERS_LIMIT} cuts instead of failing the deployment`, {
    timeout: 10 * RETRY_DEADLINE_MS,
  }, async () => {
    // The job's retries run out at the last cut: the pause must come from the step queued again after it.
    expect(DEFAULT_JOB_OPTIONS.attempts).toBe(LOST_WORKERS_LIMIT);
    const id = "d-abandoned";
    const stages = catalog.service("web")?.manifest.environments.development?.stages ?? [];
    const created = testDeployment(
      { id, environment: "development", steps: planSteps(stages, "all-at-once") },
      Date.now(),
    );
    expect((await store.create(created)).ok).toBe(true);
    await store.save(moveTo(await store.require(id), "running", Date.now()));
    await enqueueAdvance(queues, id, 0);

    for (let cut = 1; cut <= LOST_WORKERS_LIMIT; cut += 1) {
      const runner = await eventually(
        `attempt ${cut} of migrate to run`,
        async () => {
          const migrate = (await store.require(id)).stages[0];
          return migrate?.status === "running" && migrate.attempts === cut ? migrate.runner : undefined;
        },
        RETRY_DEADLINE_MS,
      );
      expect(worker.cancelJob(runner ?? "", "lock lost")).toBe(true);
    }

    const paused = await eventually(
      "the deployment to pause for an operator",
      async () => {
        const d = await store.require(id);
        return d.paused ? d : undefined;
      },
      RETRY_DEADLINE_MS,
    );
    expect(paused.state).toBe("running");
    expect(paused.paused?.reason).toContain(`step migrate lost ${LOST_WORKERS_LIMIT} workers in a row`);
    expect(paused.stages.map((s) => `${s.name} ${s.status} ${s.attempts}`)).toEqual([
      `migrate running ${LOST_WORKERS_LIMIT}`,
      "deploy pending 0",
    ]);
  });
});
