import { describe, expect, it } from "vitest";
import { type Deployment, newDeployment, type StageStatus } from "../../../src/domain/deployment.js";
import { failureRoute, whatIsLive } from "../../../src/domain/failure-route.js";
import type { OnFailure } from "../../../src/domain/on-failure.js";
import type { Step } from "../../../src/domain/stage-plan.js";
import type { Strategy } from "../../../src/domain/strategy.js";
import { endBadly } from "../../../src/engine/rollback.js";

const T0 = 1_700_000_000_000;

const test: Step = { name: "unit-tests", run: ["node", "test.mjs"] };
const deploy: Step = { name: "deploy", action: "deploy" };
const smoke: Step = { name: "smoke-tests", run: ["node", "smoke.mjs"] };
const weight = (w: number): Step => ({ name: `canary-${w}%`, action: "setTraffic", weight: w });

/** A running deployment whose steps stand as given. */
function deployment(
  strategy: Strategy,
  stages: readonly (readonly [Step, StageStatus])[],
  options: { onFailure?: OnFailure; previousVersion?: string } = {},
): Deployment {
  const base = newDeployment(
    {
      id: "d-route1",
      service: "web",
      environment: "staging",
      version: "v1.2.0",
      strategy,
      hotfix: false,
      waitLimitMs: 3_600_000,
      requestedBy: "U123",
      source: "slack",
      steps: stages.map(([step]) => step),
      channel: "C456",
      ...(options.onFailure ? { failurePolicy: { onFailure: options.onFailure, gaps: [] } } : {}),
      ...(options.previousVersion ? { previousVersion: options.previousVersion } : {}),
    },
    T0,
  );
  return {
    ...base,
    state: "running",
    stages: base.stages.map((s, i) => ({ ...s, status: stages[i]?.[1] ?? "pending", attempts: 1 })),
  };
}

/** Nothing deployed yet: the tests failed. */
const beforeDeploy = [
  [test, "failed"],
  [deploy, "pending"],
] as const;
/** Deployed outright, then the smoke tests failed. */
const deployedOutright = [
  [test, "succeeded"],
  [deploy, "succeeded"],
  [smoke, "failed"],
] as const;
/** A canary at 10%, whose 50% step failed. */
const canaryAt10 = [
  [deploy, "succeeded"],
  [weight(10), "succeeded"],
  [weight(50), "failed"],
] as const;

describe("failureRoute: what an environment's onFailure does with a deployment that cannot go on", () => {
  it.each([
    // onFailure, stages, previous version, route
    ["rollback", beforeDeploy, "v1.1.0", "end"],
    ["rollback", deployedOutright, "v1.1.0", "way-back"],
    ["rollback", deployedOutright, undefined, "end"],
    ["rollback", canaryAt10, undefined, "way-back"],
    ["stop", beforeDeploy, "v1.1.0", "end"],
    ["stop", deployedOutright, "v1.1.0", "end"],
    ["stop", canaryAt10, "v1.1.0", "way-back"],
    ["pause", beforeDeploy, "v1.1.0", "end"],
    ["pause", deployedOutright, "v1.1.0", "pause"],
    ["pause", canaryAt10, "v1.1.0", "pause"],
    [undefined, deployedOutright, "v1.1.0", "end"],
    [undefined, canaryAt10, "v1.1.0", "way-back"],
  ] as const)("%s, %j, previous %s: %s", (onFailure, stages, previousVersion, route) => {
    const strategy = stages === canaryAt10 ? "canary" : "all-at-once";
    const d = deployment(strategy, stages, {
      ...(onFailure ? { onFailure } : {}),
      ...(previousVersion ? { previousVersion } : {}),
    });
    expect(failureRoute(d).route).toBe(route);
  });

  it("says when rollback found no earlier version to go back to", () => {
    expect(failureRoute(deployment("all-at-once", deployedOutright, { onFailure: "rollback" }))).toEqual({
      route: "end",
      noEarlierVersion: true,
    });
  });
});

describe("whatIsLive", () => {
  it("says how traffic is split between the new version and the stable one", () => {
    expect(whatIsLive(deployment("canary", canaryAt10, { previousVersion: "v1.1.0" }))).toBe(
      "10% of traffic on v1.2.0, 90% on v1.1.0",
    );
    expect(whatIsLive(deployment("blue-green", [[weight(100), "succeeded"]], { previousVersion: "v1.1.0" }))).toBe(
      "all traffic on v1.2.0, none on v1.1.0",
    );
    expect(
      whatIsLive(
        deployment("canary", [
          [deploy, "succeeded"],
          [weight(5), "failed"],
        ]),
      ),
    ).toBe("all traffic on the stable version, none on v1.2.0");
    expect(whatIsLive(deployment("all-at-once", deployedOutright, { previousVersion: "v1.1.0" }))).toBe(
      "all traffic on v1.2.0",
    );
    expect(
      whatIsLive(
        deployment("all-at-once", [[deploy, "failed"]], {
          previousVersion: "v1.1.0",
        }),
      ),
    ).toBe("v1.1.0 serves all traffic; the deploy of v1.2.0 did not finish, so it may be partly in place");
  });

  it("counts rolling instances and reads a flag's percentage", () => {
    const instance = (n: number): Step => ({ name: `deploy-${n}-of-3`, action: "deploy", instance: n, instances: 3 });
    expect(
      whatIsLive(
        deployment(
          "rolling",
          [
            [instance(1), "succeeded"],
            [instance(2), "succeeded"],
            [instance(3), "failed"],
          ],
          { previousVersion: "v1.1.0" },
        ),
      ),
    ).toBe("2 of 3 instances on v1.2.0, 1 on v1.1.0");
    const flag: Step = { name: "flag", action: "setFlag", flag: "new-checkout", flagPercent: 10 };
    expect(
      whatIsLive(
        deployment("feature-flag", [
          [deploy, "succeeded"],
          [flag, "succeeded"],
          [smoke, "failed"],
        ]),
      ),
    ).toBe("v1.2.0 deployed, its flag new-checkout on for 10% of traffic");
  });
});

describe("endBadly: every bad end goes one way", () => {
  const NOW = T0 + 60_000;

  it("ends failed, cancelled or expired when nothing reached the system", () => {
    for (const end of ["failed", "cancelled", "expired"] as const) {
      // An expiry comes while the deployment waits on people; a failure or cancel while it runs.
      const waiting = {
        ...deployment("canary", beforeDeploy, { onFailure: "pause" }),
        state: "awaiting_approval" as const,
      };
      const d = endBadly(end === "expired" ? waiting : deployment("canary", beforeDeploy), end, "why", NOW);
      expect(d).toMatchObject({ state: end, failureReason: "why", finishedAt: NOW });
    }
  });

  it("takes the way back with an incident when a cancel or failure would leave traffic split", () => {
    for (const end of ["failed", "cancelled"] as const) {
      const d = endBadly(
        deployment("canary", canaryAt10, { onFailure: "stop" }),
        end,
        "stage canary-50% exited with code 1",
        NOW,
      );
      expect(d.state).toBe("rolling_back");
      expect(d.rollback).toMatchObject({
        reason: "automatic rollback: stage canary-50% exited with code 1",
        by: "slipway",
      });
      expect(d.incident).toEqual({ at: NOW, summary: "stage canary-50% exited with code 1" });
    }
  });

  it("rolls a development deployment back to the last good version, or says there is none", () => {
    const back = endBadly(
      deployment("all-at-once", deployedOutright, { onFailure: "rollback", previousVersion: "v1.1.0" }),
      "failed",
      "stage smoke-tests exited with code 1",
      NOW,
    );
    expect(back.state).toBe("rolling_back");
    const first = endBadly(
      deployment("all-at-once", deployedOutright, { onFailure: "rollback" }),
      "failed",
      "stage smoke-tests exited with code 1",
      NOW,
    );
    expect(first).toMatchObject({
      state: "failed",
      failureReason:
        "stage smoke-tests exited with code 1; nothing succeeded in staging before, so there is no earlier version to roll back to",
    });
  });

  it("pauses with what is live where, for the root message and the incident alert", () => {
    const d = endBadly(
      deployment("canary", canaryAt10, { onFailure: "pause", previousVersion: "v1.1.0" }),
      "failed",
      "stage canary-50% exited with code 1",
      NOW,
    );
    expect(d.state).toBe("running");
    expect(d.paused).toEqual({
      by: "slipway",
      at: NOW,
      reason: "stage canary-50% exited with code 1, and staging pauses on failure",
    });
    expect(d.stuck?.what).toBe("stage canary-50% exited with code 1; 10% of traffic on v1.2.0, 90% on v1.1.0");
    expect(d.finishedAt).toBeUndefined();
  });
});
