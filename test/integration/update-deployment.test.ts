import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type Deployment, moveTo } from "../../src/domain/deployment.js";
import { update } from "../../src/engine/update-deployment.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { testRedis } from "../support/redis.js";
import { testDeployment } from "../support/test-deployment.js";

/*
 * update() decides on the record its caller already holds when it is given
 * one, and on the store's latest record whenever that one is out of date:
 * a save refused as stale, or a refusal, is decided again on a fresh read.
 */

async function recorded(store: DeploymentStore, id: string): Promise<Deployment> {
  const created = await store.create(
    testDeployment({ id, environment: "production", steps: [{ name: "deploy" }] }, 1_000),
  );
  if (!created.ok) throw new Error(`${id} was not recorded`);
  return created.deployment;
}

describe("update with the record in hand", () => {
  let ctx: Awaited<ReturnType<typeof testRedis>>;
  let store: DeploymentStore;

  beforeEach(async () => {
    ctx = await testRedis("update");
    store = new DeploymentStore(ctx.redis, ctx.prefix);
  });
  afterEach(async () => ctx.close());

  it("saves the change of the record it was given when nobody wrote since", async () => {
    const known = await recorded(store, "d-upd00001");
    const seen: number[] = [];
    const { saved, result } = await update(
      { store },
      known.id,
      (current) => {
        seen.push(current.rev);
        return { next: moveTo(current, "checking", 2_000), result: "moved" };
      },
      known,
    );
    expect(result).toBe("moved");
    expect(seen).toEqual([0]);
    expect(saved?.rev).toBe(1);
    expect((await store.require(known.id)).state).toBe("checking");
  });

  it("decides again on the latest record when the one given is stale, keeping the other writer's change", async () => {
    const known = await recorded(store, "d-upd00002");
    await store.save({ ...known, failureReason: "written by someone else", updatedAt: 1_500 });
    const seen: number[] = [];
    const { saved } = await update(
      { store },
      known.id,
      (current) => {
        seen.push(current.rev);
        return { next: moveTo(current, "checking", 2_000), result: undefined };
      },
      known,
    );
    expect(seen).toEqual([0, 1]);
    expect(saved?.rev).toBe(2);
    const stored = await store.require(known.id);
    expect(stored.state).toBe("checking");
    expect(stored.failureReason).toBe("written by someone else");
  });

  it("lets a refusal stand only on a record just read from the store", async () => {
    const known = await recorded(store, "d-upd00003");
    const checking = await store.save(moveTo(known, "checking", 1_500));
    const change = (current: Deployment) =>
      current.state === "checking"
        ? { next: moveTo(current, "running", 2_000), result: "started" }
        : { refused: `not checking but ${current.state}` };
    // Given the older record, it refuses on it, reads the store, and goes ahead on what it finds.
    expect((await update({ store }, known.id, change, known)).result).toBe("started");
    // Given a record whose change the store refuses as stale, it reads the store, where the refusal stands.
    expect(await update({ store }, known.id, change, checking)).toEqual({ result: "not checking but running" });
    expect((await store.require(known.id)).rev).toBe(2);
  });
});
