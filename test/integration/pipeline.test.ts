import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Job, QueueEvents, type Worker } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { NO_USER_GROUPS } from "../../src/engine/authorize.js";
import { applyControl } from "../../src/engine/controls.js";
import type { GateDeps } from "../../src/engine/gates.js";
import { JOB_IDS } from "../../src/engine/jobs.js";
import { enqueueAdvance } from "../../src/engine/next-jobs.js";
import { Notifications } from "../../src/engine/notifications.js";
import { startPipelineWorker } from "../../src/engine/pipeline-worker.js";
import { createQueues, type Queues, queueOptions } from "../../src/engine/queues.js";
import { requestDeployment } from "../../src/engine/request-deployment.js";
import { runWatchdog } from "../../src/engine/watchdog.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { renderRequestAnswer } from "../../src/slack/renderers/request-answer.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { LockStore } from "../../src/store/locks.js";
import { Waitlist } from "../../src/store/waitlist.js";
import { eventually } from "../support/eventually.js";
import { countingStage, manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";

const log = createLogger("silent");

async function counts(file: string): Promise<Record<string, number>> {
  const text = await readFile(file, "utf8").catch(() => "");
  const tally: Record<string, number> = {};
  for (const line of text.split("\n").filter(Boolean)) tally[line] = (tally[line] ?? 0) + 1;
  return tally;
}

describe("pipeline on BullMQ", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let worker: Worker;
  let events: QueueEvents;
  let store: DeploymentStore;
  let countFile: string;
  let catalog: Catalog;
  let deps: GateDeps;
  let ids = 0;

  beforeEach(async () => {
    ctx = await testRedis("pipeline");
    countFile = join(await mkdtemp(join(tmpdir(), "slipway-count-")), "runs.txt");
    const dir = await manifestDir({
      "web.yaml": `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  env: { COUNT_FILE: "${countFile}" }
  actions:
    deploy: [node, -e, "process.exit(0)"]
    setTraffic: [node, -e, "setTimeout(() => {}, 1500)"]
environments:
  bluegreen:
    strategy: blue-green
    blueGreen: { keepBlueFor: 3s, archive: false }
    stages:
      - { name: deploy, action: deploy }
  canary:
    strategy: canary
    canary: { steps: [{ weight: 25, hold: 1h }, { weight: 50, hold: 1h }] }
    stages:
      - { name: deploy, action: deploy }
  frozen:
    windows:
      timezone: UTC
      freezes: [{ from: "2000-01-01 00:00", to: "2999-01-01 00:00", reason: Holiday freeze }]
      hotfixBypass: true
    stages:
      - { name: deploy, action: deploy }
  development:
    stages:
${countingStage("build")}${countingStage("deploy")}${countingStage("smoke")}
  staging:
    stages:
${countingStage("build")}${countingStage("broken", "; process.exit(3)")}${countingStage("never")}
`,
    });
    const loaded = await loadManifests(dir);
    expect(loaded.errors).toEqual([]);
    catalog = new Catalog(loaded.services);
    queues = createQueues(ctx.redis, ctx.prefix);
    store = new DeploymentStore(ctx.redis, ctx.prefix);
    deps = {
      store,
      catalog,
      queues,
      notifications: new Notifications(queues.notify),
      audit: new AuditLog(ctx.redis, ctx.prefix),
      locks: new LockStore(ctx.redis, ctx.prefix),
      now: Date.now,
    };
    worker = startPipelineWorker({
      connection: ctx.redis.duplicate(),
      keyPrefix: ctx.prefix,
      deps: { ...requestDeps(() => "d-unused"), redis: ctx.redis, keyPrefix: ctx.prefix },
      log,
      concurrency: 2,
    });
    events = new QueueEvents("pipeline", queueOptions(ctx.redis.duplicate(), ctx.prefix, "pipeline"));
    await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  });

  afterEach(async () => {
    await worker.close();
    await events.close();
    await queues.close();
    await ctx.close();
  });

  function requestDeps(newId: () => string) {
    return { ...deps, newId, directory: NO_USER_GROUPS, waitlist: new Waitlist(ctx.redis, ctx.prefix) };
  }

  async function deploy(environment: string) {
    ids += 1;
    const outcome = await requestDeployment(
      requestDeps(() => `d-test${ids}x`),
      {
        actor: { kind: "slack", id: "U1" },
        via: "slash_command",
        request: { service: "web", environment, version: "v1.2.0", hotfix: false },
      },
    );
    if (outcome.code !== "started") throw new Error(`not started: ${outcome.code}`);
    return outcome.deployment.id;
  }

  /** The deployment once it has ended. */
  function ended(id: string) {
    return eventually("the deployment to end", async () => {
      const current = await store.require(id);
      return current.finishedAt !== undefined ? current : undefined;
    });
  }

  /** Resolves when the job with this id has completed or failed. */
  function settled(jobId: string): Promise<void> {
    return new Promise((resolve) => {
      const done = ({ jobId: id }: { jobId: string }) => {
        if (id !== jobId) return;
        events.off("completed", done);
        events.off("failed", done);
        resolve();
      };
      events.on("completed", done);
      events.on("failed", done);
    });
  }

  it("runs every stage once, in order, and ends succeeded", async () => {
    const id = await deploy("development");
    const d = await ended(id);
    expect(d.state).toBe("succeeded");
    expect(d.stages.map((s) => [s.name, s.status, s.attempts])).toEqual([
      ["build", "succeeded", 1],
      ["deploy", "succeeded", 1],
      ["smoke", "succeeded", 1],
    ]);
    expect(await counts(countFile)).toEqual({ build: 1, deploy: 1, smoke: 1 });
    expect(await store.activeFor("web", "development")).toBeUndefined();
    // Nothing to check and nobody to wait for: one write decides it runs and starts its first step, then
    // one per step records its result with the next step's start (the last one, the end).
    expect(d.rev).toBe(1 + d.stages.length);
    expect(d.checklist).toEqual([]);
  });

  it("cancels a deployment whose environment was locked after it was requested, before its check job decided", async () => {
    await worker.pause();
    const id = await deploy("development");
    const lock = { service: "web", environment: "development", owner: "U2", reason: "db migration", at: Date.now() };
    expect(await deps.locks.take(lock)).toEqual({ ok: true });
    worker.resume();
    const d = await ended(id);
    expect(d.state).toBe("cancelled");
    expect(d.failureReason).toBe("web development is locked by <@U2> (db migration); deploy again once it is unlocked");
    expect(d.stages.every((s) => s.status === "pending")).toBe(true);
    expect(await counts(countFile)).toEqual({});
  });

  it("does not re-run a completed stage when its job is retried", async () => {
    const id = await deploy("development");
    const done = await ended(id);
    expect(await counts(countFile)).toEqual({ build: 1, deploy: 1, smoke: 1 });
    // One job ran every step, the one its checks started in.
    const runners = new Set(done.stages.map((s) => s.runner));
    expect([...runners]).toEqual([JOB_IDS.check(id, 0)]);

    // BullMQ delivers at least once: run that job again, as a retry would, and jobs for the
    // first and the last step, as a duplicate or a late job would come.
    const job = await Job.fromId(queues.pipeline, JOB_IDS.check(id, 0));
    if (!job) throw new Error("the job that ran the steps was trimmed too early");
    await eventually("the job to complete", async () => ((await job.getState()) === "completed" ? true : undefined));
    const again = settled(JOB_IDS.check(id, 0));
    await job.retry("completed");
    await again;
    for (const stageIndex of [0, 2]) {
      const late = settled(JOB_IDS.advance(id, stageIndex));
      await enqueueAdvance(queues, id, stageIndex);
      await late;
    }
    expect(await counts(countFile)).toEqual({ build: 1, deploy: 1, smoke: 1 });
    const d = await store.require(id);
    expect(d.state).toBe("succeeded");
    expect(d.stages.every((s) => s.attempts === 1)).toBe(true);
  });

  it("stops at a failing stage, keeps its output, and ends failed", async () => {
    const id = await deploy("staging");
    const d = await ended(id);
    expect(d.state).toBe("failed");
    expect(d.failureReason).toBe("stage broken exited with code 3");
    expect(d.stages.map((s) => s.status)).toEqual(["succeeded", "failed", "pending"]);
    expect(d.stages[1]?.exitCode).toBe(3);
    expect(await counts(countFile)).toEqual({ build: 1, broken: 1 });
  });

  it("goes straight to 100% when Promote comes while a traffic step runs, instead of holding after it", async () => {
    const id = await deploy("canary");
    await eventually("canary-25% to be running", async () => {
      const d = await store.require(id);
      return d.stages.find((s) => s.name === "canary-25%")?.status === "running";
    });
    const answer = await applyControl(
      requestDeps(() => "d-unused"),
      {
        deploymentId: id,
        userId: "U1",
        control: "promote",
        via: "button",
      },
    );
    expect(answer).toEqual({ ok: true, code: "promoting", deploymentId: id, skipped: ["canary-50%"] });
    // The steps hold an hour each: only a deployment that skips the hold ends in time.
    const d = await ended(id);
    expect(d.stages.map((s) => `${s.name} ${s.status}`)).toEqual([
      "deploy succeeded",
      "canary-25% succeeded",
      "canary-50% skipped",
      "canary-100% succeeded",
    ]);
    expect(d.state).toBe("succeeded");
  });

  it("starts a deployment answered but never queued (the process died in between) at the watchdog's next round", async () => {
    ids += 1;
    const id = `d-test${ids}x`;
    // The answer is the last thing the process does: it dies before queuing the first job.
    const died = new Error("the process died after answering");
    await expect(
      requestDeployment(
        requestDeps(() => id),
        {
          actor: { kind: "slack", id: "U1" },
          via: "slash_command",
          request: { service: "web", environment: "development", version: "v1.2.0", hotfix: false },
          decided: async (outcome) => {
            expect(outcome.code).toBe("started");
            throw died;
          },
        },
      ),
    ).rejects.toBe(died);
    expect((await store.require(id)).state).toBe("requested");
    const jobs = await queues.pipeline.getJobs(["waiting", "delayed", "prioritized", "active", "completed"]);
    expect(jobs.filter((j) => (j.data as { deploymentId?: string }).deploymentId === id)).toEqual([]);

    const watchdogDeps = { ...requestDeps(() => "d-unused"), redis: ctx.redis, keyPrefix: ctx.prefix };
    // A round soon after the request leaves it alone: its job may still be on its way.
    await runWatchdog(watchdogDeps, log);
    expect((await queues.pipeline.getJobs(["waiting", "delayed", "prioritized", "active"])).length).toBe(0);
    // Once it has sat quiet past the watchdog's limit, a round queues its check, and it runs as any other.
    await runWatchdog({ ...watchdogDeps, now: () => Date.now() + 3 * 60_000 }, log);
    const d = await ended(id);
    expect(d.state).toBe("succeeded");
    expect(await counts(countFile)).toEqual({ build: 1, deploy: 1, smoke: 1 });
  });

  it("ends a final hold whose continuation was lost, when the last step's job runs again", async () => {
    const id = await deploy("bluegreen");
    const held = await eventually("keep-blue to hold", async () => {
      const d = await store.require(id);
      return d.stages.at(-1)?.status === "succeeded" && d.holdUntil !== undefined ? d : undefined;
    });
    // The continuation (the job that ends the deployment at the hold's end) is lost, as in a crash
    // between recording the last step and queuing it; then BullMQ delivers the last step's job again.
    const continuation = await Job.fromId(queues.pipeline, JOB_IDS.advance(id, held.stages.length));
    await continuation?.remove();
    const lastStep = await Job.fromId(queues.pipeline, held.stages.at(-1)?.runner ?? "");
    if (!lastStep) throw new Error("the last step's job was trimmed too early");
    // The store records the step before its job finishes: wait for the job itself to be done.
    await eventually("the last step's job to complete", async () =>
      (await lastStep.getState()) === "completed" ? true : undefined,
    );
    await lastStep.retry("completed");
    const d = await ended(id);
    expect(d.state).toBe("succeeded");
    expect(d.finishedAt).toBeGreaterThanOrEqual(held.holdUntil ?? Number.POSITIVE_INFINITY);
  });

  it("refuses a deployment during a freeze, saying once that a --hotfix may go ahead", async () => {
    const refused = await requestDeployment(
      requestDeps(() => "d-frozen1"),
      {
        actor: { kind: "slack", id: "U1" },
        via: "slash_command",
        request: { service: "web", environment: "frozen", version: "v1.2.0", hotfix: false },
      },
    );
    expect(refused).toMatchObject({ code: "window" });
    const message = renderRequestAnswer({ service: "web", environment: "frozen" }, refused);
    expect(message).toMatch(/^Not now: deployments are frozen until .*\(Holiday freeze\)/);
    expect(message).toMatch(/a --hotfix deployment may go ahead anyway\.$/);
    expect(message.match(/hotfix/g)).toHaveLength(1);
  });

  it("refuses a second deployment of the same service and environment while one is active", async () => {
    const first = await deploy("development");
    ids += 1;
    const second = await requestDeployment(
      requestDeps(() => "d-second2"),
      {
        actor: { kind: "slack", id: "U2" },
        via: "slash_command",
        request: { service: "web", environment: "development", version: "v1.3.0", hotfix: false },
      },
    );
    expect(second.code).toBe("busy");
    if (second.code === "busy") expect(second.holderId).toBe(first);
    await ended(first);
  });
});
