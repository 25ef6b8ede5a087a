import { mkdtemp, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Worker } from "bullmq";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Deployment, moveTo, updateStage } from "../../src/domain/deployment.js";
import { planSteps } from "../../src/domain/stage-plan.js";
import { JOB_IDS } from "../../src/engine/jobs.js";
import { enqueueAdvance } from "../../src/engine/next-jobs.js";
import { Notifications } from "../../src/engine/notifications.js";
import { advance } from "../../src/engine/pipeline.js";
import { createQueues, type Queues, queueOptions } from "../../src/engine/queues.js";
import { runWatchdog } from "../../src/engine/watchdog.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { Waitlist } from "../../src/store/waitlist.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { testDeployment } from "../support/test-deployment.js";

/*
 * The watchdog brings Slack up to date with the record when the sync that
 * should have done it is gone: a deployment whose messages last showed an
 * older revision than its record gets a sync again — one, however many runs
 * ask for it — and one Slack already shows as it is gets none.
 *
 * It also moves a deployment whose step is recorded running while nothing
 * runs it: Redis lost the step's result on a kill, but kept its job's end
 * (or lost the job). No worker runs here: jobs are taken and ended as a
 * worker would (BullMQ's manual processing), and a job's processor is called
 * as a worker would call it.
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
    const d = testDeployment({ id, environment: "production", steps: [{ name: "deploy", action: "deploy" }] }, T0);
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

/** Past the quiet time the watchdog waits for before it calls a deployment's work lost. */
const QUIET_PAST_MS = 3 * 60_000;
const TOKEN = "test-token";

describe("watchdog and a step recorded running while nothing runs it", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let store: DeploymentStore;
  let queues: Queues;
  let catalog: Catalog;
  let runs: string;
  let taker: Worker;
  let clock: number;
  const log = createLogger("silent");

  beforeEach(async () => {
    ctx = await testRedis("watchdog-orphan");
    runs = join(await mkdtemp(join(tmpdir(), "slipway-runs-")), "runs.txt");
    // Each run of deploy adds one character to the runs file.
    const deploy = `[node, -e, "require('node:fs').appendFileSync(process.env.RUNS, 'x')"]`;
    // web's deploy is safe to repeat; vault's is not.
    const dir = await manifestDir({
      "web.yaml": `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  timeoutSeconds: 5
  env: { RUNS: "${runs}" }
  actions:
    deploy: ${deploy}
environments:
  development:
    stages:
      - { name: deploy, action: deploy }
`,
      "vault.yaml": `service: vault
channels: { deploy: C0DEPLOYS }
target:
  type: command
  timeoutSeconds: 5
  env: { RUNS: "${runs}" }
  notIdempotent: [deploy]
  actions:
    deploy: ${deploy}
environments:
  development:
    stages:
      - { name: deploy, action: deploy }
`,
    });
    const loaded = await loadManifests(dir);
    expect(loaded.errors).toEqual([]);
    catalog = new Catalog(loaded.services);
    store = new DeploymentStore(ctx.redis, ctx.prefix);
    queues = createQueues(ctx.redis, ctx.prefix);
    taker = new Worker("pipeline", null, queueOptions(ctx.redis, ctx.prefix, "pipeline"));
    clock = Date.now();
  });
  afterEach(async () => {
    await taker.close();
    await queues.close();
    await ctx.close();
  });

  function deps() {
    return {
      store,
      catalog,
      queues,
      notifications: new Notifications(queues.notify),
      waitlist: new Waitlist(ctx.redis, ctx.prefix),
      now: () => clock,
    };
  }

  /** Takes the next pipeline job as a worker would: it is then active, its lock held. */
  async function take(expected: string) {
    const job = await taker.getNextJob(TOKEN, { block: false });
    expect(job?.id).toBe(expected);
    if (!job) throw new Error(`no job ${expected} to take`);
    return job;
  }

  /**
   * A deployment whose step `deploy` its job started and ran: the record says
   * running under that job, whatever became of the job after (`runner`).
   */
  async function runningStep(
    id: string,
    service: "web" | "vault",
    runner: "completed" | "removed" | "active",
  ): Promise<Deployment> {
    const manifest = catalog.service(service)?.manifest;
    const created = testDeployment(
      {
        id,
        service,
        environment: "development",
        steps: planSteps(manifest?.environments.development?.stages ?? [], "all-at-once"),
      },
      clock,
    );
    expect((await store.create(created)).ok).toBe(true);
    const started = await store.save(moveTo(await store.require(id), "running", clock));
    await enqueueAdvance(queues, id, 0);
    const job = await take(JOB_IDS.advance(id, 0));
    const d = await store.save(
      updateStage(
        started,
        0,
        { status: "running", attempts: 1, startedAt: clock, runner: JOB_IDS.advance(id, 0), lost: 0 },
        clock,
      ),
    );
    if (runner === "completed") await job.moveToCompleted(undefined, TOKEN, false);
    if (runner === "removed") {
      await job.moveToCompleted(undefined, TOKEN, false);
      await job.remove();
    }
    const state = await queues.pipeline.getJobState(JOB_IDS.advance(id, 0));
    expect(state).toBe({ completed: "completed", removed: "unknown", active: "active" }[runner]);
    return d;
  }

  async function advanceJobs(id: string): Promise<string[]> {
    const jobs = await queues.pipeline.getJobs(["waiting", "prioritized", "delayed", "active"]);
    return jobs.filter((j) => (j.data as { deploymentId?: string }).deploymentId === id).map((j) => j.id ?? "");
  }

  async function deploysRun(): Promise<number> {
    return (await readFile(runs, "utf8").catch(() => "")).length;
  }

  for (const runner of ["completed", "removed"] as const) {
    it(`queues the step again once quiet when its job ${runner === "completed" ? "completed" : "is gone"}, and the deployment finishes`, async () => {
      const id = `d-${runner}`;
      const d = await runningStep(id, "web", runner);

      // Not yet quiet: the step's own job may still be about to record.
      await runWatchdog(deps(), log);
      expect(await advanceJobs(id)).toEqual([]);

      clock += QUIET_PAST_MS;
      for (let round = 0; round < 3; round += 1) await runWatchdog(deps(), log);
      // Past its timeout too, it is reported once; the job is queued under the revision the report left.
      const seen = await store.require(id);
      expect(seen.rev).toBe(d.rev + 1);
      expect(seen.stuck?.suggestion).toBe(
        "Slipway queues it again and runs it on a free worker; if nothing moves in a few minutes, Abort or /rollback takes development the way back",
      );
      const again = JOB_IDS.advance(id, 0, `watchdog${seen.rev}`);
      expect(await advanceJobs(id)).toEqual([again]);

      // A worker takes the new job, and it takes the step over: one more attempt, its worker counted lost.
      await take(again);
      await advance(deps(), id, 0, new AbortController().signal, log, again);
      const done = await store.require(id);
      expect(done.state).toBe("succeeded");
      expect(done.stuck).toBeUndefined();
      expect(done.stages[0]).toMatchObject({ status: "succeeded", attempts: 2, lost: 1, runner: again });
      expect(await deploysRun()).toBe(1);
    });
  }

  it("waits the quiet time and the grace past a timeout it is given, not the defaults", async () => {
    const id = "d-shortwait";
    const d = await runningStep(id, "web", "completed");
    // Seven seconds on: past 5 s quiet and past the 5 s timeout plus 1 s grace, well short of the defaults.
    clock += 7_000;
    await runWatchdog(deps(), log);
    expect(await advanceJobs(id)).toEqual([]);
    expect((await store.require(id)).stuck).toBeUndefined();

    await runWatchdog(deps(), log, { everyMs: 1_000, quietMs: 5_000, graceMs: 1_000 });
    const seen = await store.require(id);
    expect(seen.rev).toBe(d.rev + 1);
    expect(seen.stuck?.what).toMatch(/^step deploy has been running for 7s, past its 5s timeout; its job ended/);
    expect(await advanceJobs(id)).toEqual([JOB_IDS.advance(id, 0, `watchdog${seen.rev}`)]);
  });

  it("lets one job take over a step whose job is gone, however many try at once", async () => {
    const id = "d-twotakers";
    const d = await runningStep(id, "web", "removed");
    clock += QUIET_PAST_MS;
    await runWatchdog(deps(), log);
    // The step's own job queued again under its id (a late hand-over), next to the watchdog's.
    await enqueueAdvance(queues, id, 0);
    const ids = [JOB_IDS.advance(id, 0, `watchdog${d.rev + 1}`), JOB_IDS.advance(id, 0)];
    const jobs = [await taker.getNextJob(TOKEN, { block: false }), await taker.getNextJob(TOKEN, { block: false })];
    expect(jobs.map((j) => j?.id).sort()).toEqual([...ids].sort());

    await Promise.all(ids.map((jobId) => advance(deps(), id, 0, new AbortController().signal, log, jobId)));
    const done = await store.require(id);
    expect(done.state).toBe("succeeded");
    expect(done.stages[0]).toMatchObject({ status: "succeeded", attempts: 2, lost: 1 });
    expect(await deploysRun()).toBe(1);
  });

  it("reports, and does not run again, a step whose action is not safe to repeat", async () => {
    const id = "d-unsafe";
    const d = await runningStep(id, "vault", "completed");
    clock += QUIET_PAST_MS;
    for (let round = 0; round < 3; round += 1) await runWatchdog(deps(), log);
    expect(await advanceJobs(id)).toEqual([]);
    const reported = await store.require(id);
    expect(reported.stages[0]).toMatchObject({ status: "running", attempts: 1, runner: JOB_IDS.advance(id, 0) });
    expect(reported.stuck).toEqual({
      at: clock,
      what: "step deploy has been running for 3m 00s, past its 5s timeout; its job ended or is gone without the step's result recorded, and nothing runs it (its deploy may have half happened)",
      suggestion:
        "Slipway will not run it again by itself, as the target marks deploy not safe to repeat; check the target, then Abort or /rollback takes development the way back",
    });
    expect(reported.rev).toBe(d.rev + 1);
    expect(await deploysRun()).toBe(0);
  });

  it("leaves alone a step whose job a worker holds, and says so once it is overdue", async () => {
    const id = "d-held";
    const d = await runningStep(id, "web", "active");
    clock += QUIET_PAST_MS;
    for (let round = 0; round < 3; round += 1) await runWatchdog(deps(), log);
    expect(await advanceJobs(id)).toEqual([JOB_IDS.advance(id, 0)]);
    // Another job for the step (a Resume's) leaves it in the hands of the job that holds it.
    await advance(deps(), id, 0, new AbortController().signal, log, JOB_IDS.advance(id, 0, "other"));
    const held = await store.require(id);
    expect(held.stages[0]).toEqual(d.stages[0]);
    expect(held.stuck?.what).toBe(
      "step deploy has been running for 3m 00s, past its 5s timeout; its worker still holds it, but the step has not returned (that worker may be stopped or too busy to go on)",
    );
    expect(await deploysRun()).toBe(0);
  });
});
