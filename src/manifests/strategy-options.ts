import { DEFAULT_STRATEGY_OPTIONS, type StrategyOptions } from "../domain/stage-plan.js";
import type { EnvironmentConfig } from "./schema.js";

/** A hotfix soaks this long in an environment named staging unless its manifest says otherwise (the seed's 5-minute test). */
const STAGING_HOTFIX_SOAK_MS = 5 * 60_000;

/**
 * The strategy settings of an environment, with the seed's defaults where the
 * manifest is silent. `analysisIntervalMs` is the service's metrics interval,
 * when it has metrics: a rolling update watches each instance for two.
 */
export function strategyOptions(
  name: string,
  environment: Pick<EnvironmentConfig, "canary" | "blueGreen" | "rolling" | "featureFlag" | "hotfix">,
  analysisIntervalMs?: number,
): StrategyOptions {
  return {
    canarySteps:
      environment.canary?.steps.map((step) => ({ weight: step.weight, holdMs: step.hold ?? 0 })) ??
      DEFAULT_STRATEGY_OPTIONS.canarySteps,
    // The steps before 100%: the last one, the switch, is the strategy's own.
    blueGreenSteps:
      environment.blueGreen?.steps
        ?.filter((step) => step.weight < 100)
        .map((step) => ({ weight: step.weight, holdMs: step.hold ?? 0 })) ?? DEFAULT_STRATEGY_OPTIONS.blueGreenSteps,
    keepBlueMs: environment.blueGreen?.keepBlueFor ?? DEFAULT_STRATEGY_OPTIONS.keepBlueMs,
    archiveBlue: environment.blueGreen?.archive ?? DEFAULT_STRATEGY_OPTIONS.archiveBlue,
    rollingInstances: environment.rolling?.instances ?? DEFAULT_STRATEGY_OPTIONS.rollingInstances,
    rollingObserveMs: environment.rolling?.observe ?? (analysisIntervalMs === undefined ? 0 : 2 * analysisIntervalMs),
    ...(environment.featureFlag
      ? { flag: { name: environment.featureFlag.flag, percent: environment.featureFlag.percent } }
      : {}),
    hotfixSoakMs: environment.hotfix?.soak ?? (name === "staging" ? STAGING_HOTFIX_SOAK_MS : 0),
  };
}
