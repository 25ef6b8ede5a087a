/*
 * The stage plan: how an environment's stages become the steps a deployment
 * runs, for its strategy. The manifest lists what to run (tests, deploy,
 * health check, smoke tests); the strategy decides how the new version
 * reaches traffic around the `deploy` stage:
 *
 *   all-at-once   the stages as written; deploy promotes at once.
 *   canary        the stages, then traffic steps (5% → 25% → 50% by default,
 *                 each held), then 100% and promote.
 *   blue-green    the stages (deploy green, check it), then switch traffic
 *                 to green (at once, or in held steps like the canary's),
 *                 keep blue as the way back for a while, then archive blue
 *                 through the target (a step skipped, saying so, when the
 *                 target has no archive action).
 *   rolling       deploy replaced by "update instance i, verify it" per
 *                 instance, each watched for a while before the next,
 *                 stopping at the first failure.
 *   feature-flag  the stages deploy dark, then the flag is flipped.
 *
 * A hotfix skips or postpones the stages marked so, and soaks in an
 * environment that asks for it. Holds are data (`holdMs`): the engine waits
 * them out with delayed jobs, never in a worker.
 */
import type { Strategy } from "./strategy.js";

/** What a `tag` stage marks in the service's repository. */
export const STAGE_TAGS = ["release-candidate"] as const;
export type StageTag = (typeof STAGE_TAGS)[number];

export type PlanAction =
  | "deploy"
  | "setTraffic"
  | "healthCheck"
  | "backup"
  | "verifyRollback"
  | "rollback"
  | "setFlag"
  | "archive"
  | "restore";

/** A stage as a manifest gives it. */
export interface StageInput {
  readonly name: string;
  readonly run?: readonly string[];
  readonly action?: PlanAction;
  readonly tag?: StageTag;
  readonly timeoutSeconds?: number;
  /** On a hotfix: run as usual, skip, or run after the rollout ("full suite afterwards"). Default run. */
  readonly hotfix?: "run" | "skip" | "after";
  readonly report?: ReportInput;
}

/** A test report a stage writes: read after it ran; the stage passes only with nothing failed. */
export interface ReportInput {
  /** Relative to the target's working directory; `{deployment}` stands for the deployment's id. */
  readonly file: string;
  /** `junit` (XML) or `json` (Jest/Vitest); default by the file's extension. */
  readonly format?: "junit" | "json";
  /** How the record names the suite, e.g. "Unit Tests". */
  readonly label?: string;
}

/** A traffic step before 100%: a canary's, or a blue-green switch made gradually. */
export interface TrafficStep {
  /** Percentage of traffic to the new version. */
  readonly weight: number;
  readonly holdMs: number;
}

export interface StrategyOptions {
  readonly canarySteps: readonly TrafficStep[];
  /** Blue-green: the held steps before all traffic switches to green; none switches at once. */
  readonly blueGreenSteps: readonly TrafficStep[];
  /** Blue-green: how long blue stays ready as the way back after the switch. */
  readonly keepBlueMs: number;
  /** Blue-green: whether blue is archived through the target once it is no longer kept (never when it is not kept). */
  readonly archiveBlue: boolean;
  readonly rollingInstances: number;
  /** Rolling: how long each updated instance is watched (and analysed, with metrics) before the next; 0 for none. */
  readonly rollingObserveMs: number;
  readonly flag?: { readonly name: string; readonly percent: number };
  /** Hotfix: how long to soak after deploying, 0 for none. */
  readonly hotfixSoakMs: number;
}

/** One step of a deployment's plan; stored with the deployment, so a manifest edit never changes a running one. */
export interface Step {
  readonly name: string;
  readonly run?: readonly string[];
  readonly action?: PlanAction;
  readonly tag?: StageTag;
  readonly timeoutSeconds?: number;
  readonly weight?: number;
  /** The final traffic step: the new version becomes the stable one. */
  readonly promote?: boolean;
  readonly instance?: number;
  readonly instances?: number;
  readonly flag?: string;
  readonly flagPercent?: number;
  /** Wait this long after the step before the next one starts. */
  readonly holdMs?: number;
  /** A traffic step before 100%: Promote skips what is left of these. */
  readonly rollout?: boolean;
  /** Skipped, saying so, when the target does not declare the step's action (archiving blue). */
  readonly ifSupported?: boolean;
  /** A restore: the id of the backup to restore. */
  readonly backupId?: string;
  /** The test report the step writes. */
  readonly report?: ReportInput;
}

const MINUTE = 60_000;

/** The flag a feature-flag release flips when neither the manifest nor the command names one. */
export const DEFAULT_FLAG = { name: "release", percent: 100 } as const;

/** The seed guide's canary: 5% for 15 min, 25% for 1 h, 50% for 2 h, then 100%. */
export const DEFAULT_CANARY_STEPS: readonly TrafficStep[] = [
  { weight: 5, holdMs: 15 * MINUTE },
  { weight: 25, holdMs: 60 * MINUTE },
  { weight: 50, holdMs: 120 * MINUTE },
];

export const DEFAULT_STRATEGY_OPTIONS: StrategyOptions = {
  canarySteps: DEFAULT_CANARY_STEPS,
  blueGreenSteps: [],
  keepBlueMs: 30 * MINUTE,
  archiveBlue: true,
  rollingInstances: 3,
  rollingObserveMs: 0,
  hotfixSoakMs: 0,
};

function fromStage(stage: StageInput): Step {
  return {
    name: stage.name,
    ...(stage.run ? { run: stage.run } : {}),
    ...(stage.action ? { action: stage.action } : {}),
    ...(stage.tag ? { tag: stage.tag } : {}),
    ...(stage.timeoutSeconds === undefined ? {} : { timeoutSeconds: stage.timeoutSeconds }),
    ...(stage.report ? { report: stage.report } : {}),
  };
}

/** Held traffic steps before 100%, named `<prefix>-<weight>%`; Promote skips what is left of them. */
function rolloutSteps(prefix: string, steps: readonly TrafficStep[]): Step[] {
  return steps.map((step) => ({
    name: `${prefix}-${step.weight}%`,
    action: "setTraffic",
    weight: step.weight,
    holdMs: step.holdMs,
    rollout: true,
  }));
}

/** The name of the blue-green step that archives blue once it is no longer kept as the way back. */
export const ARCHIVE_BLUE = "archive-blue";

/** The steps a deployment of `stages` runs with `strategy`. */
export function planSteps(
  stages: readonly StageInput[],
  strategy: Strategy,
  options: StrategyOptions = DEFAULT_STRATEGY_OPTIONS,
  hotfix = false,
): Step[] {
  const kept = hotfix ? stages.filter((s) => s.hotfix !== "skip" && s.hotfix !== "after") : [...stages];
  const afterwards = hotfix ? stages.filter((s) => s.hotfix === "after").map(fromStage) : [];
  const deployAt = kept.findIndex((s) => s.action === "deploy");
  const steps = kept.map(fromStage);
  if (deployAt === -1) return [...steps, ...afterwards];

  const soak: Step[] =
    hotfix && options.hotfixSoakMs > 0 ? [{ name: "hotfix-soak", holdMs: options.hotfixSoakMs }] : [];
  const before = steps.slice(0, deployAt + 1);
  const after = steps.slice(deployAt + 1);
  switch (strategy) {
    case "all-at-once":
      return [...before, ...soak, ...after, ...afterwards];
    case "canary":
      return [
        ...before,
        ...soak,
        ...after,
        ...rolloutSteps("canary", options.canarySteps),
        { name: "canary-100%", action: "setTraffic", weight: 100, promote: true },
        ...afterwards,
      ];
    case "blue-green":
      return [
        ...before,
        ...soak,
        ...after,
        ...rolloutSteps("green", options.blueGreenSteps),
        { name: "switch-traffic", action: "setTraffic", weight: 100, promote: true },
        ...(options.keepBlueMs > 0
          ? [
              { name: "keep-blue", holdMs: options.keepBlueMs },
              ...(options.archiveBlue ? [{ name: ARCHIVE_BLUE, action: "archive" as const, ifSupported: true }] : []),
            ]
          : []),
        ...afterwards,
      ];
    case "rolling": {
      const deploy = steps[deployAt] as Step;
      const instances = Math.max(1, options.rollingInstances);
      const rolled = Array.from({ length: instances }, (_, i) => [
        { ...deploy, name: `${deploy.name}-${i + 1}-of-${instances}`, instance: i + 1, instances },
        {
          name: `verify-${i + 1}-of-${instances}`,
          action: "healthCheck" as const,
          instance: i + 1,
          instances,
          ...(options.rollingObserveMs > 0 ? { holdMs: options.rollingObserveMs } : {}),
        },
      ]).flat();
      return [...steps.slice(0, deployAt), ...rolled, ...soak, ...after, ...afterwards];
    }
    case "feature-flag": {
      const flag = options.flag ?? DEFAULT_FLAG;
      return [
        ...before,
        ...soak,
        ...after,
        { name: `flag-${flag.name}-${flag.percent}%`, action: "setFlag", flag: flag.name, flagPercent: flag.percent },
        ...afterwards,
      ];
    }
    default: {
      const unreachable: never = strategy;
      return unreachable;
    }
  }
}

/** The traffic share the new version has after the steps done so far. */
export function currentWeight(steps: readonly { step: Step; status: string }[]): number | undefined {
  let weight: number | undefined;
  for (const { step, status } of steps) {
    if (status === "succeeded" && step.weight !== undefined) weight = step.weight;
  }
  return weight;
}

/** Who serves traffic after the steps done so far: the new version, the stable one, or both (a baseline to compare with). */
export interface Exposure {
  readonly candidate: boolean;
  readonly stable: boolean;
}

/**
 * Canary and blue-green move traffic by weight: nothing reaches the new
 * version before its first traffic step, the stable one serves until 100%.
 * Rolling replaces instances: both serve until the last one is updated.
 * All-at-once and feature flags replace the version outright at deploy.
 */
export function exposure(strategy: Strategy, steps: readonly { step: Step; status: string }[]): Exposure {
  const done = steps.filter((s) => s.status === "succeeded").map((s) => s.step);
  switch (strategy) {
    case "canary":
    case "blue-green": {
      const weight = currentWeight(steps) ?? 0;
      return { candidate: weight > 0, stable: weight < 100 };
    }
    case "rolling": {
      const updated = done.filter((step) => step.action === "deploy" && step.instance !== undefined);
      const last = updated.at(-1);
      return { candidate: last !== undefined, stable: last === undefined || last.instance !== last.instances };
    }
    case "all-at-once":
    case "feature-flag": {
      const deployed = done.some((step) => step.action === "deploy");
      return { candidate: deployed, stable: !deployed };
    }
    default: {
      const unreachable: never = strategy;
      return unreachable;
    }
  }
}
