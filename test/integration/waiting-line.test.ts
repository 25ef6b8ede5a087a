import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moveTo } from "../../src/domain/deployment.js";
import { JOB_IDS } from "../../src/engine/jobs.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { type RequestDeps, requestDeployment } from "../../src/engine/request-deployment.js";
import { startNextWaiting } from "../../src/engine/waiting-deployments.js";
import { runWatchdog } from "../../src/engine/watchdog.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * The waiting line against real Redis and BullMQ, with no worker running:
 * the starts are called as the workers would call them, together and again,
 * to show that a waiting deployment starts once whoever asks, and that the
 * watchdog asks when the start its predecessor's end should have queued was
 * lost.
 */

const MANIFEST = `service: web
channels: { deploy: C0WEB00001 }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  production:
    stages: [{ name: deploy, action: deploy }]
`;

const log = createLogger("silent");
const TARGET = { service: "web", environment: "production" };

describe("the waiting line", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;

  beforeEach(async () => {
    ctx = await testRedis("waiting-line");
    const loaded = await loadManifests(await manifestDir({ "web.yaml": MANIFEST }));
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues);
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  async function ask(version: string, whenBusy?: "queue" | "queue_newest") {
    return requestDeployment(deps, {
      actor: { kind: "slack", id: "U0ASKER001" },
      via: "slash_command",
      request: { ...TARGET, version, hotfix: false },
      ...(whenBusy ? { whenBusy } : {}),
    });
  }

  /** Ends the active deployment as a worker would (without the notifier's start, which is what is lost). */
  async function endActive(): Promise<string> {
    const id = (await deps.store.activeFor("web", "production")) ?? "";
    const d = await deps.store.require(id);
    await deps.store.save(moveTo(moveTo(d, "running", deps.now()), "succeeded", deps.now()));
    return id;
  }

  /** The pipeline's jobs waiting to run, by name. */
  async function waitingJobs(name: string) {
    return (await queues.pipeline.getJobs(["wait", "delayed", "prioritized"])).filter((j) => j.name === name);
  }

  it("starts a waiting deployment once when two workers start it together, and a retried start only clears the line", async () => {
    expect((await ask("v1.0.0")).code).toBe("started");
    const queued = await ask("v1.1.0", "queue");
    if (queued.code !== "queued") throw new Error(`expected queued, got ${queued.code}`);
    await endActive();

    const outcomes = await Promise.all([startNextWaiting(deps, TARGET, log), startNextWaiting(deps, TARGET, log)]);
    // One starts it; the other finds it started (busy) or already out of the line (nothing).
    expect(outcomes.filter((o) => o.code === "started")).toHaveLength(1);
    expect(await deps.store.activeFor("web", "production")).toBe(queued.waiting.id);
    const started = (await deps.store.recent(10)).filter((d) => d.version === "v1.1.0");
    expect(started.map((d) => d.id)).toEqual([queued.waiting.id]);

    // A retried start (its first try crashed before clearing the line) finds it started: nothing new.
    await deps.waitlist.add(queued.waiting, false);
    await endActive();
    expect(await startNextWaiting(deps, TARGET, log)).toEqual({ code: "nothing" });
    expect(await deps.waitlist.line("web", "production")).toEqual([]);
    expect((await deps.store.recent(10)).filter((d) => d.version === "v1.1.0")).toHaveLength(1);
  });

  it("has the watchdog ask for the start a crash lost, once however often it runs", async () => {
    await ask("v1.0.0");
    const queued = await ask("v1.1.0", "queue");
    if (queued.code !== "queued") throw new Error(`expected queued, got ${queued.code}`);
    // The start queued as it joined the line ran while v1.0.0 still held production.
    await queues.pipeline.remove(JOB_IDS.startWaiting("web", "production", queued.waiting.id));
    await endActive();

    await runWatchdog(deps, log);
    await runWatchdog(deps, log);
    expect(await waitingJobs("startWaiting")).toHaveLength(1);
    expect((await startNextWaiting(deps, TARGET, log)).code).toBe("started");
  });
});
