import { describe, expect, it } from "vitest";
import type { RestoreRecord } from "../../../src/domain/backup.js";
import {
  type Deployment,
  durationMs,
  endedBack,
  holdsEnvironment,
  moveTo,
  type NewDeployment,
  newDeployment,
  newVersionServes,
  nextStageIndex,
  progressPercent,
  restoringAfterEnd,
  type StageStatus,
  updateStage,
} from "../../../src/domain/deployment.js";
import { IllegalTransitionError } from "../../../src/domain/deployment-state.js";
import type { Step } from "../../../src/domain/stage-plan.js";
import { STRATEGIES } from "../../../src/domain/strategy.js";

const T0 = 1_700_000_000_000;

const input: NewDeployment = {
  id: "d-7k3m9x2q",
  service: "api",
  environment: "production",
  version: "v1.2.0",
  strategy: "canary",
  hotfix: false,
  waitLimitMs: 4 * 3_600_000,
  requestedBy: "U123",
  source: "slack",
  steps: ["backup", "deploy", "health", "smoke"].map((name) => ({ name })),
  channel: "C456",
};

function withStatuses(statuses: readonly StageStatus[], state: Deployment["state"] = "running"): Deployment {
  const base = newDeployment({ ...input, steps: statuses.map((_, i) => ({ name: `stage-${i}` })) }, T0);
  return { ...base, state, stages: base.stages.map((s, i) => ({ ...s, status: statuses[i] ?? "pending" })) };
}

describe("newDeployment", () => {
  it("starts requested, at revision 0, with pending stages and the channel", () => {
    const d = newDeployment(input, T0);
    expect(d).toMatchObject({
      id: "d-7k3m9x2q",
      service: "api",
      environment: "production",
      version: "v1.2.0",
      strategy: "canary",
      hotfix: false,
      expiresAt: T0 + 4 * 3_600_000,
      requestedBy: "U123",
      source: "slack",
      createdAt: T0,
      rev: 0,
      state: "requested",
      updatedAt: T0,
      stages: [
        { name: "backup", status: "pending", attempts: 0 },
        { name: "deploy", status: "pending", attempts: 0 },
        { name: "health", status: "pending", attempts: 0 },
        { name: "smoke", status: "pending", attempts: 0 },
      ],
      channel: "C456",
    });
    expect(d.finishedAt).toBeUndefined();
  });

  it("knows the strategies of the guide", () => {
    expect(STRATEGIES).toEqual(["all-at-once", "blue-green", "canary", "rolling", "feature-flag"]);
  });
});

describe("moveTo", () => {
  it("moves along an allowed edge, stamps updatedAt, leaves finishedAt unset while not final", () => {
    const d = newDeployment(input, T0);
    const next = moveTo(d, "checking", T0 + 5);
    expect(next.state).toBe("checking");
    expect(next.updatedAt).toBe(T0 + 5);
    expect(next.finishedAt).toBeUndefined();
    expect(d.state).toBe("requested");
    expect(d.updatedAt).toBe(T0);
  });

  it("sets finishedAt when the new state is final", () => {
    const running = moveTo(moveTo(newDeployment(input, T0), "checking", T0 + 1), "running", T0 + 2);
    const done = moveTo(running, "succeeded", T0 + 90_000);
    expect(done.finishedAt).toBe(T0 + 90_000);
    expect(done.updatedAt).toBe(T0 + 90_000);
    expect(running.finishedAt).toBeUndefined();
  });

  it("records why a deployment failed", () => {
    const failed = moveTo(newDeployment(input, T0), "failed", T0 + 3, {
      failureReason: "checklist item coverage failed",
    });
    expect(failed.failureReason).toBe("checklist item coverage failed");
    expect(failed.finishedAt).toBe(T0 + 3);
  });

  it("throws IllegalTransitionError on a forbidden move and changes nothing", () => {
    const d = newDeployment(input, T0);
    expect(() => moveTo(d, "succeeded", T0 + 1)).toThrow(IllegalTransitionError);
    expect(() => moveTo(d, "succeeded", T0 + 1)).toThrow("a deployment cannot move from requested to succeeded");
    expect(d.state).toBe("requested");
  });

  it("cannot move out of a final state", () => {
    const cancelled = moveTo(newDeployment(input, T0), "cancelled", T0 + 1);
    expect(() => moveTo(cancelled, "running", T0 + 2)).toThrow(IllegalTransitionError);
  });
});

describe("nextStageIndex", () => {
  it.each([
    [["pending", "pending", "pending"], 0],
    [["succeeded", "pending", "pending"], 1],
    [["succeeded", "skipped", "pending"], 2],
    [["succeeded", "running", "pending"], 1],
    [["succeeded", "failed", "pending"], 1],
    [["skipped", "succeeded", "succeeded"], -1],
    [[], -1],
  ] as const)("%j → %d", (statuses, index) => {
    expect(nextStageIndex(withStatuses(statuses))).toBe(index);
  });
});

describe("updateStage", () => {
  it("returns a copy with the stage changed and updatedAt stamped", () => {
    const d = newDeployment(input, T0);
    const next = updateStage(d, 1, { status: "running", attempts: 1, startedAt: T0 + 10 }, T0 + 10);
    expect(next.stages[1]).toEqual({
      name: "deploy",
      step: { name: "deploy" },
      status: "running",
      attempts: 1,
      startedAt: T0 + 10,
    });
    expect(next.updatedAt).toBe(T0 + 10);
    expect(d.stages[1]).toEqual({ name: "deploy", step: { name: "deploy" }, status: "pending", attempts: 0 });
    expect(next.stages[0]).toBe(d.stages[0]);
  });

  it("throws RangeError for a stage that does not exist", () => {
    const d = newDeployment(input, T0);
    expect(() => updateStage(d, 4, { status: "running" }, T0)).toThrow(RangeError);
    expect(() => updateStage(d, -1, { status: "running" }, T0)).toThrow("deployment d-7k3m9x2q has no stage -1");
  });
});

describe("progressPercent", () => {
  it.each([
    [["pending", "pending", "pending", "pending"], 0],
    [["succeeded", "pending", "pending", "pending"], 25],
    [["succeeded", "skipped", "pending"], 67],
    [["succeeded", "pending", "pending"], 33],
    [["succeeded", "failed", "pending"], 33],
    [["succeeded", "running"], 50],
    [["succeeded", "skipped", "succeeded"], 100],
  ] as const)("%j → %d%%", (statuses, percent) => {
    expect(progressPercent(withStatuses(statuses))).toBe(percent);
  });

  it("without stages reads 0 until the deployment ends, then 100", () => {
    expect(progressPercent(withStatuses([], "running"))).toBe(0);
    expect(progressPercent(withStatuses([], "succeeded"))).toBe(100);
    expect(progressPercent(withStatuses([], "failed"))).toBe(100);
  });
});

describe("durationMs", () => {
  it("runs to now while in progress and stops at finishedAt", () => {
    const d = newDeployment(input, T0);
    expect(durationMs(d, T0 + 42_000)).toBe(42_000);
    const done = moveTo(d, "cancelled", T0 + 5_000);
    expect(durationMs(done, T0 + 999_999)).toBe(5_000);
  });
});

describe("newVersionServes", () => {
  const stage = (step: Step, status: StageStatus) => ({ name: step.name, step, status, attempts: 1 });
  const deploy: Step = { name: "deploy", action: "deploy" };

  it("is true for a canary or blue-green weight above 0, an updated rolling instance, a flag turned on", () => {
    const weight = (w: number): Step => ({ name: `canary-${w}%`, action: "setTraffic", weight: w });
    expect(
      newVersionServes({ strategy: "canary", stages: [stage(deploy, "succeeded"), stage(weight(50), "succeeded")] }),
    ).toBe(true);
    expect(
      newVersionServes({ strategy: "canary", stages: [stage(deploy, "succeeded"), stage(weight(50), "failed")] }),
    ).toBe(false);
    expect(newVersionServes({ strategy: "blue-green", stages: [stage(weight(100), "succeeded")] })).toBe(true);
    const instance: Step = { name: "deploy-1-of-3", action: "deploy", instance: 1, instances: 3 };
    expect(newVersionServes({ strategy: "rolling", stages: [stage(instance, "succeeded")] })).toBe(true);
    expect(newVersionServes({ strategy: "rolling", stages: [stage(instance, "failed")] })).toBe(false);
    const flag = (percent: number): Step => ({ name: "flag", action: "setFlag", flag: "f", flagPercent: percent });
    expect(
      newVersionServes({
        strategy: "feature-flag",
        stages: [stage(deploy, "succeeded"), stage(flag(25), "succeeded")],
      }),
    ).toBe(true);
    expect(
      newVersionServes({ strategy: "feature-flag", stages: [stage(deploy, "succeeded"), stage(flag(0), "succeeded")] }),
    ).toBe(false);
  });

  it("is false for all-at-once: the version is replaced outright, not split", () => {
    expect(newVersionServes({ strategy: "all-at-once", stages: [stage(deploy, "succeeded")] })).toBe(false);
  });
});

describe("endedBack", () => {
  const rollback = (actions: { name: string; ok: boolean }[]) => ({
    reason: "rolled back by <@U1>",
    by: "U1",
    startedAt: T0,
    actions: actions.map((a) => ({ ...a, output: "" })),
  });

  it("holds for a rolled-back deployment, and a failed one whose way back's last action succeeded", () => {
    const rolledBack = { ...withStatuses(["succeeded"], "rolled_back"), rollback: rollback([]) };
    expect(endedBack(rolledBack)).toBe(true);
    // Its validation failed after the rollback action put the earlier version back.
    const validationFailed = {
      ...withStatuses(["succeeded"], "failed"),
      rollback: rollback([
        { name: "traffic-to-stable", ok: false },
        { name: "rollback", ok: true },
      ]),
    };
    expect(endedBack(validationFailed)).toBe(true);
  });

  it("does not hold when the rollback action failed, no way back ran, or the deployment succeeded", () => {
    const actionFailed = {
      ...withStatuses(["succeeded"], "failed"),
      rollback: rollback([
        { name: "traffic-to-stable", ok: true },
        { name: "rollback", ok: false },
      ]),
    };
    expect(endedBack(actionFailed)).toBe(false);
    expect(endedBack(withStatuses(["failed"], "failed"))).toBe(false);
    expect(endedBack(withStatuses(["succeeded"], "succeeded"))).toBe(false);
  });
});

describe("holdsEnvironment", () => {
  const asked = { backupId: "b-1", takenBy: "d-7k3m9x2q", by: "U1", at: T0, afterEnd: true as const };
  const withRestore = (restore?: RestoreRecord) => ({
    ...withStatuses(["succeeded"], "rolled_back"),
    ...(restore ? { restore } : {}),
  });

  it("holds while under way, and after the end while the backup is restored and validated again", () => {
    expect(holdsEnvironment(withStatuses(["running"]))).toBe(true);
    expect(holdsEnvironment(withRestore(asked))).toBe(true);
    expect(holdsEnvironment(withRestore({ ...asked, ok: true }))).toBe(true);
    expect(restoringAfterEnd(withRestore({ ...asked, ok: true }))).toBe(true);
  });

  it("lets go once ended with no restore, or once the restore failed or was validated", () => {
    expect(holdsEnvironment(withRestore())).toBe(false);
    expect(holdsEnvironment(withRestore({ ...asked, ok: false }))).toBe(false);
    expect(holdsEnvironment(withRestore({ ...asked, ok: true, validation: [] }))).toBe(false);
    // A restore asked with a rollback runs before the deployment ends.
    const { afterEnd: _, ...withRollback } = asked;
    expect(restoringAfterEnd(withRestore(withRollback))).toBe(false);
  });
});
