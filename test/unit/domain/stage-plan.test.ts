import { describe, expect, it } from "vitest";
import {
  DEFAULT_STRATEGY_OPTIONS,
  exposure,
  planSteps,
  type StageInput,
  type Step,
  type StrategyOptions,
} from "../../../src/domain/stage-plan.js";
import { environmentSchema } from "../../../src/manifests/schema.js";
import { strategyOptions } from "../../../src/manifests/strategy-options.js";

const STAGES: StageInput[] = [
  { name: "tests", run: ["npm", "test"], hotfix: "after" },
  { name: "backup", action: "backup", hotfix: "skip" },
  { name: "deploy", action: "deploy" },
  { name: "health-check", action: "healthCheck" },
];

const MINUTE = 60_000;

function options(change: Partial<StrategyOptions> = {}): StrategyOptions {
  return { ...DEFAULT_STRATEGY_OPTIONS, ...change };
}

/** One line per step: name, then what it does to traffic and how long it holds. */
function outline(steps: readonly Step[]): string[] {
  return steps.map((s) =>
    [
      s.name,
      s.weight === undefined ? "" : `${s.weight}%`,
      s.instance === undefined ? "" : `#${s.instance}/${s.instances}`,
      s.flag === undefined ? "" : `${s.flag}=${s.flagPercent}%`,
      s.holdMs === undefined ? "" : `hold ${s.holdMs / MINUTE}m`,
      s.promote ? "promote" : "",
      s.rollout ? "rollout" : "",
    ]
      .filter(Boolean)
      .join(" "),
  );
}

/** The step statuses after the first `done` steps succeeded. */
function doneUpTo(steps: readonly Step[], done: number): { step: Step; status: string }[] {
  return steps.map((step, i) => ({ step, status: i < done ? "succeeded" : "pending" }));
}

describe("planSteps", () => {
  it("runs the stages as written all at once", () => {
    expect(outline(planSteps(STAGES, "all-at-once"))).toEqual(["tests", "backup", "deploy", "health-check"]);
  });

  it("adds the seed's canary steps after the stages: 5% 15m, 25% 1h, 50% 2h, then 100% promoted", () => {
    expect(outline(planSteps(STAGES, "canary"))).toEqual([
      "tests",
      "backup",
      "deploy",
      "health-check",
      "canary-5% 5% hold 15m rollout",
      "canary-25% 25% hold 60m rollout",
      "canary-50% 50% hold 120m rollout",
      "canary-100% 100% promote",
    ]);
  });

  it("switches blue-green traffic at once and keeps blue for the configured time", () => {
    expect(outline(planSteps(STAGES, "blue-green", options({ keepBlueMs: 10 * MINUTE })))).toEqual([
      "tests",
      "backup",
      "deploy",
      "health-check",
      "switch-traffic 100% promote",
      "keep-blue hold 10m",
      "archive-blue",
    ]);
    expect(outline(planSteps(STAGES, "blue-green", options({ keepBlueMs: 0 }))).at(-1)).toBe(
      "switch-traffic 100% promote",
    );
  });

  it("archives blue after the keep window, through the target if it can (the step may be skipped), unless told not to", () => {
    const steps = planSteps(STAGES, "blue-green");
    expect(steps.at(-1)).toEqual({ name: "archive-blue", action: "archive", ifSupported: true });
    expect(outline(planSteps(STAGES, "blue-green", options({ archiveBlue: false }))).at(-1)).toBe("keep-blue hold 30m");
  });

  it("switches blue-green traffic in held steps, as a canary's, before the switch to 100%", () => {
    const steps = planSteps(
      STAGES,
      "blue-green",
      options({
        blueGreenSteps: [
          { weight: 10, holdMs: 5 * MINUTE },
          { weight: 50, holdMs: 10 * MINUTE },
        ],
        keepBlueMs: 20 * MINUTE,
      }),
    );
    expect(outline(steps)).toEqual([
      "tests",
      "backup",
      "deploy",
      "health-check",
      "green-10% 10% hold 5m rollout",
      "green-50% 50% hold 10m rollout",
      "switch-traffic 100% promote",
      "keep-blue hold 20m",
      "archive-blue",
    ]);
    // Green serves (and is analysed) from its first step, blue until the switch.
    expect(exposure("blue-green", doneUpTo(steps, 4))).toEqual({ candidate: false, stable: true });
    expect(exposure("blue-green", doneUpTo(steps, 5))).toEqual({ candidate: true, stable: true });
    expect(exposure("blue-green", doneUpTo(steps, 7))).toEqual({ candidate: true, stable: false });
  });

  it("rolls instance by instance, each verified and watched before the next", () => {
    const steps = planSteps(STAGES, "rolling", options({ rollingInstances: 3, rollingObserveMs: 2 * MINUTE }));
    expect(outline(steps)).toEqual([
      "tests",
      "backup",
      "deploy-1-of-3 #1/3",
      "verify-1-of-3 #1/3 hold 2m",
      "deploy-2-of-3 #2/3",
      "verify-2-of-3 #2/3 hold 2m",
      "deploy-3-of-3 #3/3",
      "verify-3-of-3 #3/3 hold 2m",
      "health-check",
    ]);
    expect(steps[2]?.action).toBe("deploy");
    expect(steps[3]?.action).toBe("healthCheck");
  });

  it("does not hold between rolling instances when nothing is watched", () => {
    const steps = planSteps(STAGES, "rolling", options({ rollingInstances: 2, rollingObserveMs: 0 }));
    expect(steps.every((s) => s.holdMs === undefined)).toBe(true);
  });

  it("deploys a feature flag dark, then flips the flag", () => {
    const steps = planSteps(STAGES, "feature-flag", options({ flag: { name: "new-checkout", percent: 25 } }));
    expect(outline(steps).at(-1)).toBe("flag-new-checkout-25% new-checkout=25%");
    expect(steps.at(-1)?.action).toBe("setFlag");
  });

  it("on a hotfix skips what says skip, soaks after deploying, and runs the full suite afterwards", () => {
    expect(outline(planSteps(STAGES, "canary", options({ hotfixSoakMs: 5 * MINUTE, canarySteps: [] }), true))).toEqual([
      "deploy",
      "hotfix-soak hold 5m",
      "health-check",
      "canary-100% 100% promote",
      "tests",
    ]);
  });

  it("leaves stages without a deploy action as they are", () => {
    expect(outline(planSteps([{ name: "migrate", run: ["./migrate"] }], "canary"))).toEqual(["migrate"]);
  });
});

describe("exposure", () => {
  it("canary: nothing on the new version before its first step, both while split, only it at 100%", () => {
    const steps = planSteps(STAGES, "canary");
    expect(exposure("canary", doneUpTo(steps, 4))).toEqual({ candidate: false, stable: true });
    expect(exposure("canary", doneUpTo(steps, 5))).toEqual({ candidate: true, stable: true });
    expect(exposure("canary", doneUpTo(steps, 8))).toEqual({ candidate: true, stable: false });
  });

  it("blue-green: green serves everything from the switch on", () => {
    const steps = planSteps(STAGES, "blue-green");
    expect(exposure("blue-green", doneUpTo(steps, 4))).toEqual({ candidate: false, stable: true });
    expect(exposure("blue-green", doneUpTo(steps, 5))).toEqual({ candidate: true, stable: false });
  });

  it("rolling: both serve until the last instance is updated", () => {
    const steps = planSteps(STAGES, "rolling", options({ rollingInstances: 3 }));
    expect(exposure("rolling", doneUpTo(steps, 2))).toEqual({ candidate: false, stable: true });
    expect(exposure("rolling", doneUpTo(steps, 3))).toEqual({ candidate: true, stable: true });
    expect(exposure("rolling", doneUpTo(steps, 6))).toEqual({ candidate: true, stable: true });
    expect(exposure("rolling", doneUpTo(steps, 7))).toEqual({ candidate: true, stable: false });
  });

  it("all at once and feature flags: the new version replaces the old at deploy", () => {
    for (const strategy of ["all-at-once", "feature-flag"] as const) {
      const steps = planSteps(STAGES, strategy);
      expect(exposure(strategy, doneUpTo(steps, 2))).toEqual({ candidate: false, stable: true });
      expect(exposure(strategy, doneUpTo(steps, 3))).toEqual({ candidate: true, stable: false });
    }
  });
});

describe("strategyOptions", () => {
  const environment = (text: object) =>
    environmentSchema.parse({ stages: [{ name: "deploy", action: "deploy" }], ...text });

  it("watches each rolling instance for two analysis intervals when the service has metrics, else not at all", () => {
    expect(strategyOptions("production", environment({}), 30_000).rollingObserveMs).toBe(60_000);
    expect(strategyOptions("production", environment({})).rollingObserveMs).toBe(0);
    expect(
      strategyOptions("production", environment({ rolling: { instances: 4, observe: "5m" } }), 30_000),
    ).toMatchObject({ rollingInstances: 4, rollingObserveMs: 5 * MINUTE });
  });

  it("reads blue-green steps without their final 100%, the keep window and whether blue is archived", () => {
    expect(
      strategyOptions(
        "production",
        environment({
          blueGreen: {
            steps: [{ weight: 10, hold: "5m" }, { weight: 50, hold: "10m" }, { weight: 100 }],
            keepBlueFor: "1h",
          },
        }),
      ),
    ).toMatchObject({
      blueGreenSteps: [
        { weight: 10, holdMs: 5 * MINUTE },
        { weight: 50, holdMs: 10 * MINUTE },
      ],
      keepBlueMs: 60 * MINUTE,
      archiveBlue: true,
    });
    expect(strategyOptions("production", environment({}))).toMatchObject({
      blueGreenSteps: [],
      keepBlueMs: 30 * MINUTE,
      archiveBlue: true,
    });
    expect(strategyOptions("production", environment({ blueGreen: { archive: false } })).archiveBlue).toBe(false);
  });

  it("reads how often a hotfix is analysed", () => {
    expect(environment({ hotfix: { interval: "5s" } }).hotfix?.interval).toBe(5_000);
  });

  it("soaks a hotfix 5 minutes in staging by default, and as long as the manifest says elsewhere", () => {
    expect(strategyOptions("staging", environment({})).hotfixSoakMs).toBe(5 * MINUTE);
    expect(strategyOptions("production", environment({})).hotfixSoakMs).toBe(0);
    expect(strategyOptions("production", environment({ hotfix: { soak: "2m" } })).hotfixSoakMs).toBe(2 * MINUTE);
  });
});
