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

/** Another service like web, with a release freeze over one day's 12:00–14:00 UTC. */
const FROZEN = MANIFEST.replace("service: web", "service: shop")
  .replace("C0WEB00001", "C0SHOP0001")
  .replace(
    "  production:\n",
    `  production:
    windows:
      timezone: UTC
      freezes: [{ from: "2030-01-01 12:00", to: "2030-01-01 14:00", reason: Release freeze }]
`,
  );

const log = createLogger("silent");
const TARGET = { service: "web", environment: "production" };
const SHOP = { service: "shop", environment: "production" };

describe("the waiting line", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;
  /** The engine's clock: the real one unless a test sets it. */
  let clock: number | undefined;

  beforeEach(async () => {
    ctx = await testRedis("waiting-line");
    const loaded = await loadManifests(await manifestDir({ "web.yaml": MANIFEST, "shop.yaml": FROZEN }));
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    clock = undefined;
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues, {
      now: () => clock ?? Date.now(),
    });
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  async function ask(version: string, whenBusy?: "queue" | "queue_newest", target = TARGET) {
    return requestDeployment(deps, {
      actor: { kind: "slack", id: "U0ASKER001" },
      via: "slash_command",
      request: { ...target, version, hotfix: false },
      ...(whenBusy ? { whenBusy } : {}),
    });
  }

  /** Ends the active deployment as a worker would (without the notifier's start, which is what is lost). */
  async function endActive(target = TARGET): Promise<string> {
    const id = (await deps.store.activeFor(target.service, target.environment)) ?? "";
    const d = await deps.store.require(id);
    await deps.store.save(moveTo(moveTo(d, "running", deps.now()), "succeeded", deps.now()));
    return id;
  }

  /** The pipeline's (or the notifier's) jobs waiting to run, by name. */
  async function waitingJobs(name: string, queue = queues.pipeline) {
    return (await queue.getJobs(["wait", "delayed", "prioritized"])).filter((j) => j.name === name);
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

  it("has a queued deployment whose window closed before its turn wait for the next opening, telling the channel once", async () => {
    const opening = Date.UTC(2030, 0, 1, 14, 0);
    clock = Date.UTC(2030, 0, 1, 11, 0);
    expect((await ask("v1.0.0", undefined, SHOP)).code).toBe("started");
    const queued = await ask("v1.1.0", "queue", SHOP);
    if (queued.code !== "queued") throw new Error(`expected queued, got ${queued.code}`);
    await endActive(SHOP);

    // Its turn comes in the freeze: it keeps its place, now scheduled for the freeze's end, instead of leaving.
    clock = Date.UTC(2030, 0, 1, 12, 30);
    const starts = await Promise.all([startNextWaiting(deps, SHOP, log), startNextWaiting(deps, SHOP, log)]);
    expect(starts).toEqual([
      { code: "nothing", nextAt: opening },
      { code: "nothing", nextAt: opening },
    ]);
    expect(await startNextWaiting(deps, SHOP, log)).toEqual({ code: "nothing", nextAt: opening });
    const [moved, ...others] = await deps.waitlist.line("shop", "production");
    expect(others).toEqual([]);
    expect(moved).toMatchObject({ id: queued.waiting.id, notBefore: opening });
    expect(moved?.behind).toBeUndefined();

    const notices = await waitingJobs("waitingRescheduled", queues.notify);
    expect(notices.map((j) => j.data)).toEqual([
      {
        channel: "C0SHOP0001",
        service: "shop",
        environment: "production",
        version: "v1.1.0",
        deploymentId: queued.waiting.id,
        requester: { kind: "slack", id: "U0ASKER001" },
        reason: expect.stringContaining("deployments are frozen until"),
        opensAt: opening,
      },
    ]);
    expect(await waitingJobs("waitingDropped", queues.notify)).toEqual([]);
    const restarts = await waitingJobs("startWaiting");
    expect(restarts.map((j) => j.id)).toContain(JOB_IDS.startWaiting("shop", "production", `at-${opening}`));

    // At the opening it starts, as the id it waited as.
    clock = opening;
    const started = await startNextWaiting(deps, SHOP, log);
    expect(started.code === "started" ? started.deployment.id : started.code).toBe(queued.waiting.id);
    expect(await deps.waitlist.line("shop", "production")).toEqual([]);
  });
});
