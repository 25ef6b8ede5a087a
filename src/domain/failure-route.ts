import { type Deployment, liveWeight, newVersionServes, touchedTraffic } from "./deployment.js";
import { flagState } from "./feature-flag.js";
import { DEFAULT_ON_FAILURE } from "./on-failure.js";

/*
 * Which way a deployment goes when it cannot go on, by its environment's
 * `onFailure` (see on-failure.ts). One rule for every bad end — a stage that
 * failed, a pipeline that could not continue, a cancel or an expiry — so
 * that none of them can leave the new version serving traffic unsaid:
 *
 * | onFailure | nothing reached the system | new version deployed, no share of traffic split | new version serves a share |
 * | --------- | -------------------------- | ----------------------------------------------- | -------------------------- |
 * | rollback  | ends                       | way back (ends if no version succeeded before)   | way back                   |
 * | stop      | ends                       | ends, with Roll back offered                      | way back                   |
 * | pause     | ends                       | pauses                                            | pauses                     |
 */

export type FailureRoute =
  /** Ends in the bad state; `noEarlierVersion` when `rollback` found no last good version to return to. */
  | { readonly route: "end"; readonly noEarlierVersion?: true }
  /** Takes the way back, as an automatic rollback does. */
  | { readonly route: "way-back" }
  /** Pauses for a person, saying what is live where. */
  | { readonly route: "pause"; readonly live: string };

type RouteInput = Pick<
  Deployment,
  "strategy" | "stages" | "state" | "rollback" | "version" | "previousVersion" | "flagChanges" | "failurePolicy"
>;

export function failureRoute(d: RouteInput): FailureRoute {
  if (!touchedTraffic(d)) return { route: "end" };
  const serves = newVersionServes(d);
  const onFailure = d.failurePolicy?.onFailure ?? DEFAULT_ON_FAILURE;
  switch (onFailure) {
    case "rollback":
      if (serves || d.previousVersion !== undefined) return { route: "way-back" };
      return { route: "end", noEarlierVersion: true };
    case "stop":
      return serves ? { route: "way-back" } : { route: "end" };
    case "pause":
      return { route: "pause", live: whatIsLive(d) };
    default: {
      const unreachable: never = onFailure;
      return unreachable;
    }
  }
}

/**
 * Where traffic really is, in plain words: "10% of traffic on v1.2.0, 90%
 * on v1.1.0", "2 of 3 instances on v1.2.0, 1 on v1.1.0", "all traffic on
 * v1.2.0". The stable version is the last one that succeeded, when known.
 */
export function whatIsLive(d: RouteInput): string {
  const stable = d.previousVersion ?? "the stable version";
  const deployStep = d.stages.find((s) => s.step.action === "deploy" && s.step.instance === undefined);
  const halfDeployed =
    deployStep !== undefined && deployStep.status !== "succeeded" && deployStep.status !== "pending"
      ? `; the deploy of ${d.version} did not finish, so it may be partly in place`
      : "";
  switch (d.strategy) {
    case "canary":
    case "blue-green": {
      const weight = liveWeight(d) ?? 0;
      if (weight >= 100) return `all traffic on ${d.version}${stable === d.version ? "" : `, none on ${stable}`}`;
      if (weight <= 0) return `all traffic on ${stable}, none on ${d.version}${halfDeployed}`;
      return `${weight}% of traffic on ${d.version}, ${100 - weight}% on ${stable}`;
    }
    case "rolling": {
      const updated = d.stages.filter(
        (s) => s.status === "succeeded" && s.step.action === "deploy" && s.step.instance !== undefined,
      );
      const of = d.stages.find((s) => s.step.instances !== undefined)?.step.instances;
      if (of === undefined) return `${updated.length} instances on ${d.version}`;
      return `${updated.length} of ${of} instances on ${d.version}, ${of - updated.length} on ${stable}`;
    }
    case "feature-flag": {
      const deployed = deployStep?.status === "succeeded";
      if (!deployed) return `${stable} serves all traffic${halfDeployed}`;
      const flag = flagState(d);
      const percent = flag?.percent ?? 0;
      return flag
        ? `${d.version} deployed, its flag ${flag.name} on for ${percent}% of traffic`
        : `${d.version} deployed`;
    }
    case "all-at-once":
      return deployStep?.status === "succeeded"
        ? `all traffic on ${d.version}`
        : `${stable} serves all traffic${halfDeployed}`;
    default: {
      const unreachable: never = d.strategy;
      return unreachable;
    }
  }
}
