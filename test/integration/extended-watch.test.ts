import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Deployment, moveTo } from "../../src/domain/deployment.js";
import type { WatchEnd } from "../../src/domain/monitoring-windows.js";
import { createQueues, type Queues } from "../../src/engine/queues.js";
import { type RequestDeps, requestDeployment } from "../../src/engine/request-deployment.js";
import { runAnalysis } from "../../src/engine/watch.js";
import { createLogger } from "../../src/logger.js";
import { Catalog } from "../../src/manifests/catalog.js";
import { loadManifests } from "../../src/manifests/load.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { testRedis } from "../support/redis.js";
import { requestDeps } from "../support/request-deps.js";

/*
 * The extended window's decisions that need no metrics, against real Redis
 * and BullMQ with no worker running: the `analyse` job is called as a worker
 * would call it, again after a crash, to show that a trip starts one
 * rollback deployment however often it is repeated, that a rollback is
 * refused (and said so) while a newer deployment is under way, and that a
 * newer deployment that changed what runs ends the watch. The metrics
 * source is never reached: each decision is made before measuring.
 */

const MANIFEST = `service: web
channels: { deploy: C0WEB00001, incidents: C0WEBINC01 }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
metrics:
  source: scrape
  scrape: { template: "http://127.0.0.1:9/{{version}}/metrics" }
  interval: 30s
  custom: [{ name: conversion-rate, scrape: "value(conversion_rate)", worse: lower, limit: 0.1 }]
environments:
  production:
    stages: [{ name: deploy, action: deploy }]
`;

const log = createLogger("silent");
const TRIPPED = "conversion rate 2% (limit: ≥ 10%)";

describe("the extended window of a succeeded deployment", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let queues: Queues;
  let deps: RequestDeps;

  beforeEach(async () => {
    ctx = await testRedis("extended-watch");
    const loaded = await loadManifests(await manifestDir({ "web.yaml": MANIFEST }));
    expect(loaded.errors).toEqual([]);
    queues = createQueues(ctx.redis, ctx.prefix);
    deps = requestDeps(ctx.redis, ctx.prefix, new Catalog(loaded.services), queues);
  });

  afterEach(async () => {
    await queues.close();
    await ctx.close();
  });

  /** `version` deployed and succeeded in production, as a worker would end it; its extended window as given. */
  async function succeeded(version: string, watch?: Deployment["extendedWatch"]): Promise<Deployment> {
    const outcome = await requestDeployment(deps, {
      actor: { kind: "slack", id: "U0ASKER001" },
      via: "slash_command",
      request: { service: "web", environment: "production", version, hotfix: false },
    });
    if (outcome.code !== "started") throw new Error(`${version} did not start: ${outcome.code}`);
    const d = moveTo(outcome.deployment, "running", deps.now());
    const deployed = { ...d, stages: d.stages.map((s) => ({ ...s, status: "succeeded" as const })) };
    return deps.store.save({
      ...moveTo(deployed, "succeeded", deps.now()),
      ...(watch ? { extendedWatch: watch } : {}),
    });
  }

  /** The watched deployment with its extended window tripped, the rollback not asked for yet (a crash came between). */
  async function tripped(d: Deployment, rollbackId: string): Promise<Deployment> {
    const ended: WatchEnd = { at: deps.now(), outcome: "tripped", summary: TRIPPED, rollbackId };
    return deps.store.save({ ...d, extendedWatch: { until: deps.now() + 3_600_000, ended } });
  }

  const analyse = (id: string) => runAnalysis(deps, id, -2, 0, new AbortController().signal, log);

  it("starts one rollback deployment for a trip, as Slipway, however often the job is repeated", async () => {
    await succeeded("v1.0.0");
    const watched = await tripped(await succeeded("v1.1.0"), "d-rb000001");
    await Promise.all([analyse(watched.id), analyse(watched.id)]);
    await analyse(watched.id);

    const after = await deps.store.require(watched.id);
    expect(after.extendedWatch?.ended).toMatchObject({
      outcome: "tripped",
      rollback: { started: true, deploymentId: "d-rb000001", to: "v1.0.0" },
    });
    const back = await deps.store.require("d-rb000001");
    expect(back).toMatchObject({
      version: "v1.0.0",
      rollbackOf: "v1.1.0",
      source: "slipway",
      requestedBy: "slipway",
      incident: { summary: TRIPPED },
    });
    expect(await deps.store.activeFor("web", "production")).toBe("d-rb000001");
    const rollbacks = (await deps.audit.recent("web", 50)).filter(
      (e) => e.action === "rollback" || e.action === "deploy",
    );
    // Two jobs racing (which BullMQ never runs at once) may both ask; only one deployment starts.
    expect(rollbacks.filter((e) => e.deploymentId === "d-rb000001" && e.outcome === "ok")).toHaveLength(1);
  });

  it("says why it did not roll back while a newer deployment is under way", async () => {
    await succeeded("v1.0.0");
    const watched = await succeeded("v1.1.0");
    const newer = await requestDeployment(deps, {
      actor: { kind: "slack", id: "U0ASKER001" },
      via: "slash_command",
      request: { service: "web", environment: "production", version: "v1.2.0", hotfix: false },
    });
    if (newer.code !== "started") throw new Error(`v1.2.0 did not start: ${newer.code}`);
    await tripped(watched, "d-rb000002");
    await analyse(watched.id);
    const after = await deps.store.require(watched.id);
    expect(after.extendedWatch?.ended).toMatchObject({
      outcome: "tripped",
      rollback: { started: false, code: "not_latest", newer: newer.deployment.id },
    });
    expect(await deps.store.get("d-rb000002")).toBeUndefined();
  });

  it("ends the watch once a newer deployment has changed what runs, before measuring anything", async () => {
    const watched = await succeeded("v1.1.0", { until: Date.now() + 3_600_000 });
    const newer = await requestDeployment(deps, {
      actor: { kind: "slack", id: "U0ASKER001" },
      via: "slash_command",
      request: { service: "web", environment: "production", version: "v1.2.0", hotfix: false },
    });
    if (newer.code !== "started") throw new Error(`v1.2.0 did not start: ${newer.code}`);
    // The newer deployment has begun deploying: v1.1.0 is no longer all that runs.
    const running = moveTo(newer.deployment, "running", deps.now());
    await deps.store.save({
      ...running,
      stages: running.stages.map((s) => ({ ...s, status: "running" as const })),
    });
    await analyse(watched.id);
    expect((await deps.store.require(watched.id)).extendedWatch?.ended).toMatchObject({
      outcome: "superseded",
      by: newer.deployment.id,
    });
  });
});
