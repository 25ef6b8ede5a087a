import { describe, expect, it } from "vitest";
import type { FlagChange } from "../../../src/domain/deployment.js";
import { type Deployment, moveTo } from "../../../src/domain/deployment.js";
import { type FlagStanding, flagBlocked, flagChangeRefusal, flagState } from "../../../src/domain/feature-flag.js";
import { allStepsSucceeded, flagRelease } from "../../support/test-deployment.js";

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);
const LIVE: FlagStanding = { code: "live" };
const REPLACED: FlagStanding = { code: "replaced" };

const release = (percent = 10): Deployment => flagRelease(T0, percent);
const flipped = (d: Deployment): Deployment => allStepsSucceeded(d, T0);

function change(seq: number, percent: number, status: FlagChange["status"]): FlagChange {
  return { seq, percent, by: "U0ONCALL", at: T0 + seq * 1_000, status };
}

describe("flagState", () => {
  it("is dark until the flag step succeeds, then at the step's percentage", () => {
    expect(flagState(release())).toEqual({ name: "new-checkout", percent: undefined, pending: undefined });
    expect(flagState(flipped(release(10)))?.percent).toBe(10);
  });

  it("follows the last change that went through, and shows the one in flight", () => {
    const d = { ...flipped(release(10)), flagChanges: [change(1, 50, "done"), change(2, 100, "failed")] };
    expect(flagState(d)).toMatchObject({ percent: 50, pending: undefined });
    const moving = { ...d, flagChanges: [...d.flagChanges, change(3, 0, "pending")] };
    expect(flagState(moving)).toMatchObject({ percent: 50, pending: { seq: 3, percent: 0 } });
  });

  it("is undefined for a deployment with no flag step", () => {
    const canary = { ...release(), stages: release().stages.filter((s) => s.step.action !== "setFlag") };
    expect(flagState(canary)).toBeUndefined();
  });
});

describe("flagChangeRefusal", () => {
  const live = flipped(release(10));

  it("allows a new percentage on a flipped, steerable release", () => {
    expect(flagChangeRefusal(live, 25, LIVE)).toBeUndefined();
    expect(flagChangeRefusal(moveTo(live, "succeeded", T0 + 2_000), 0, LIVE)).toBeUndefined();
  });

  it("lets a paused release only lower its flag", () => {
    const paused = { ...live, paused: { by: "slipway", at: T0, reason: "inconclusive analysis" } };
    expect(flagChangeRefusal(paused, 50, LIVE)).toEqual({
      code: "paused",
      deploymentId: "d-flag0001",
      flag: "new-checkout",
      reason: "inconclusive analysis",
    });
    expect(flagChangeRefusal(paused, 0, LIVE)).toBeUndefined();
  });

  it("blocks any move once the release is over or replaced, whatever the percentage", () => {
    expect(flagBlocked(live, LIVE)).toBeUndefined();
    expect(flagBlocked(moveTo(live, "succeeded", T0), REPLACED)).toMatchObject({ code: "not_live" });
    // Still what runs, but the restore of a later deployment's backup holds the environment: it says so.
    expect(
      flagBlocked(moveTo(live, "succeeded", T0), { code: "restoring", restoringId: "d-later001", backupId: "b-1" }),
    ).toEqual({
      code: "restoring",
      deploymentId: "d-flag0001",
      service: "web",
      environment: "production",
      restoringId: "d-later001",
      backupId: "b-1",
    });
    expect(flagBlocked({ ...live, abort: { by: "U0X", at: T0 } }, LIVE)).toEqual({
      code: "being_aborted",
      deploymentId: "d-flag0001",
    });
  });

  it.each([
    ["before the flag step", release(), 25, LIVE, { code: "not_flipped", flag: "new-checkout" }],
    ["to where it already is", live, 10, LIVE, { code: "already_at", flag: "new-checkout", percent: 10 }],
    ["past 100", live, 101, LIVE, { code: "not_a_percentage", percent: 101 }],
    ["once a newer deployment is live", moveTo(live, "succeeded", T0), 25, REPLACED, { code: "not_live" }],
    [
      "after a rollback",
      moveTo(moveTo(live, "rolling_back", T0), "rolled_back", T0),
      25,
      LIVE,
      { code: "not_steerable", state: "rolled_back" },
    ],
    ["while aborting", { ...live, abort: { by: "U0X", at: T0 } }, 25, LIVE, { code: "being_aborted" }],
    [
      "while another change is in flight",
      { ...live, flagChanges: [change(1, 50, "pending")] },
      25,
      LIVE,
      { code: "pending", flag: "new-checkout", percent: 50 },
    ],
  ])("refuses %s", (_, d, percent, standing, refusal) => {
    expect(flagChangeRefusal(d, percent, standing)).toMatchObject(refusal);
  });
});
