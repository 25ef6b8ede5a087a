import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { moveTo, newDeployment, updateStage } from "../../src/domain/deployment.js";
import { DeploymentStore, LockedError, StaleWriteError } from "../../src/store/deployment-store.js";
import { LockStore } from "../../src/store/locks.js";
import { testRedis } from "../support/redis.js";

function sample(id: string, environment = "production") {
  return newDeployment(
    {
      id,
      service: "web",
      environment,
      version: "v1.2.0",
      strategy: "all-at-once",
      hotfix: false,
      waitLimitMs: 4 * 3_600_000,
      requestedBy: "U1",
      source: "slack",
      steps: ["build", "deploy"].map((name) => ({ name })),
      channel: "C0DEPLOYS",
    },
    1_000,
  );
}

describe("DeploymentStore", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let store: DeploymentStore;

  beforeEach(async () => {
    ctx = await testRedis("store");
    store = new DeploymentStore(ctx.redis, ctx.prefix);
  });
  afterEach(async () => ctx.close());

  it("round-trips a deployment and bumps the revision on every save", async () => {
    expect((await store.create(sample("d-aaaa2222"))).ok).toBe(true);
    const read = await store.require("d-aaaa2222");
    expect(read.rev).toBe(0);
    const saved = await store.save(moveTo(read, "running", 2_000));
    expect(saved.rev).toBe(1);
    const again = await store.require("d-aaaa2222");
    expect(again.state).toBe("running");
    expect(again.rev).toBe(1);
  });

  it("refuses a write based on a stale revision and keeps the newer state", async () => {
    await store.create(sample("d-bbbb2222"));
    const first = await store.require("d-bbbb2222");
    const second = await store.require("d-bbbb2222");
    await store.save(updateStage(first, 0, { status: "running", attempts: 1 }, 2_000));
    const stale = moveTo(second, "cancelled", 2_500);
    await expect(store.save(stale)).rejects.toBeInstanceOf(StaleWriteError);
    await expect(store.save(stale)).rejects.toThrow(/expected revision 0, found 1/);
    const stored = await store.require("d-bbbb2222");
    expect(stored.state).toBe("requested");
    expect(stored.stages[0]?.status).toBe("running");
  });

  it("refuses a write asked to wait for no lock while the service and environment are locked", async () => {
    await store.create(sample("d-eeee3333"));
    const read = await store.require("d-eeee3333");
    const locks = new LockStore(ctx.redis, ctx.prefix);
    const lock = { service: "web", environment: "production", owner: "U2", reason: "db migration", at: 1_500 };
    expect(await locks.take(lock)).toEqual({ ok: true });
    const running = moveTo(read, "running", 2_000);
    const refused = await store.save(running, { unlessLocked: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LockedError);
    expect((refused as LockedError).lock).toEqual(lock);
    expect((await store.require("d-eeee3333")).rev).toBe(0);
    // Without asking, the lock is not looked at; once it is released, the write goes through.
    expect((await store.save(updateStage(read, 0, { attempts: 1 }, 2_000))).rev).toBe(1);
    await locks.release("web", "production");
    const written = await store.save({ ...running, rev: 1 }, { unlessLocked: true });
    expect(written.state).toBe("running");
  });

  it("lets exactly one of many concurrent writers of the same revision win", async () => {
    await store.create(sample("d-cccc2222"));
    const read = await store.require("d-cccc2222");
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => store.save(updateStage(read, 0, { attempts: i + 1 }, 2_000))),
    );
    expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === "rejected" && o.reason instanceof StaleWriteError)).toHaveLength(19);
  });

  it("allows one active deployment per service and environment, released at a final state", async () => {
    await store.create(sample("d-dddd2222"));
    const refused = await store.create(sample("d-eeee2222"));
    expect(refused).toEqual({ ok: false, heldBy: "d-dddd2222" });
    expect((await store.create(sample("d-ffff2222", "staging"))).ok).toBe(true);

    const active = await store.require("d-dddd2222");
    await store.save(moveTo(moveTo(active, "running", 2_000), "failed", 3_000));
    expect(await store.activeFor("web", "production")).toBeUndefined();
    expect((await store.create(sample("d-gggg2222"))).ok).toBe(true);
    expect(await store.activeFor("web", "production")).toBe("d-gggg2222");
  });

  it("lists the most recent deployments first", async () => {
    await store.create({ ...sample("d-hhhh2222"), createdAt: 1 });
    await store.create({ ...sample("d-jjjj2222", "staging"), createdAt: 2 });
    expect((await store.recent(10)).map((d) => d.id)).toEqual(["d-jjjj2222", "d-hhhh2222"]);
  });

  it("records a success once, as the deployment becomes succeeded, not on later writes to it", async () => {
    const versions = ["v1.0.0", "v1.1.0"];
    for (const [i, version] of versions.entries()) {
      const id = `d-succ000${i}`;
      await store.create({ ...sample(id), version });
      const running = await store.save(moveTo(await store.require(id), "running", 2_000));
      await store.save(moveTo(running, "succeeded", 3_000));
    }
    // Later writes to the older success (an acknowledged alert, a flag change) change nothing of the history.
    let older = await store.require("d-succ0000");
    for (let i = 0; i < 60; i++) older = await store.save({ ...older, updatedAt: 4_000 + i });
    expect(await store.goodVersions("web", "production")).toEqual(["v1.1.0", "v1.0.0"]);
    expect(await store.lastSucceeded("web", "production")).toBe("v1.1.0");
  });

  it("remembers as the last one ended only a deployment that touched the running system", async () => {
    await store.create(
      newDeployment(
        {
          id: "d-touch001",
          service: "web",
          environment: "production",
          version: "v1.2.0",
          strategy: "all-at-once",
          hotfix: false,
          waitLimitMs: 60_000,
          requestedBy: "U1",
          source: "slack",
          steps: [{ name: "deploy", action: "deploy" }],
          channel: "C0DEPLOYS",
        },
        1_000,
      ),
    );
    const running = await store.save(moveTo(await store.require("d-touch001"), "running", 2_000));
    const deployed = await store.save(updateStage(running, 0, { status: "failed", attempts: 1 }, 2_500));
    await store.save(moveTo(deployed, "failed", 3_000));
    expect((await store.lastEnded("web", "production"))?.id).toBe("d-touch001");

    // A later one that failed before deploying anything does not hide it.
    await store.create(sample("d-touch002"));
    await store.save(moveTo(await store.require("d-touch002"), "failed", 4_000));
    expect((await store.lastEnded("web", "production"))?.id).toBe("d-touch001");
  });
});
