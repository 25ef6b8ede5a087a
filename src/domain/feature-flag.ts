import type { Deployment, FlagBlock, FlagChange } from "./deployment.js";

/*
 * A feature-flag release deploys the new code dark, then flips a flag through
 * the target: the plan's flag step sets it to the first percentage, and the
 * root message's buttons move it on (or back to 0%, the quickest way back)
 * one change at a time. Each change is recorded here with who asked and how
 * the target answered, so the thread tells the ramp's whole story.
 */

/** What a flag may be called, in manifests and in `/deploy --flag`. */
export const FLAG_NAME = /^[a-zA-Z][a-zA-Z0-9_.-]{0,63}$/;

/** The percentages the root message offers. */
export const FLAG_PERCENTS = [0, 10, 25, 50, 100] as const;

export interface FlagState {
  readonly name: string;
  /** Where the flag stands: the last change that went through, or the flag step's; undefined while dark. */
  readonly percent: number | undefined;
  readonly pending: FlagChange | undefined;
}

/** The deployment's flag, once it has a flag step; undefined for other strategies. */
export function flagState(d: Pick<Deployment, "stages" | "flagChanges">): FlagState | undefined {
  const stage = d.stages.find((s) => s.step.action === "setFlag" && s.step.flag !== undefined);
  if (!stage?.step.flag) return undefined;
  const changes = d.flagChanges ?? [];
  const lastDone = changes.filter((c) => c.status === "done").at(-1);
  const fromStep = stage.status === "succeeded" ? stage.step.flagPercent : undefined;
  return {
    name: stage.step.flag,
    percent: lastDone?.percent ?? fromStep,
    pending: changes.find((c) => c.status === "pending"),
  };
}

/** Why the flag of a deployment cannot be set to a percentage now. */
export type FlagRefusal =
  | FlagBlock
  | { readonly code: "not_a_percentage"; readonly percent: number }
  /** A paused release may only lower its flag; `reason` is why it was paused, when Slipway paused it. */
  | {
      readonly code: "paused";
      readonly deploymentId: string;
      readonly flag: string;
      readonly reason?: string | undefined;
    }
  /** Another change, to `percent`, is still being made. */
  | { readonly code: "pending"; readonly flag: string; readonly percent: number }
  | { readonly code: "already_at"; readonly flag: string; readonly percent: number };

/**
 * Where a deployment stands in its environment, for its flag: what the
 * environment runs; replaced since by a newer deployment; or what it runs
 * while the restore of another deployment's backup (`restoringId`) holds the
 * environment, so nothing changes there until that is done.
 */
export type FlagStanding =
  | { readonly code: "live" }
  | { readonly code: "replaced" }
  | { readonly code: "restoring"; readonly restoringId: string; readonly backupId: string };

/**
 * Why the flag of `d` cannot be moved at all now; undefined when it can.
 * `standing` says where `d` stands in its environment (only matters once it
 * succeeded). Checked when a change is asked for and again when it is about
 * to be made.
 */
export function flagBlocked(d: Deployment, standing: FlagStanding): FlagBlock | undefined {
  const flag = flagState(d);
  const deploymentId = d.id;
  if (!flag) return { code: "no_flag", deploymentId };
  const step = d.stages.find((s) => s.step.action === "setFlag");
  if (step?.status !== "succeeded") return { code: "not_flipped", deploymentId, flag: flag.name };
  if (d.state !== "running" && d.state !== "monitoring" && d.state !== "succeeded") {
    return { code: "not_steerable", deploymentId, state: d.state };
  }
  if (d.state === "succeeded" && standing.code !== "live") {
    const where = { deploymentId, service: d.service, environment: d.environment };
    return standing.code === "restoring"
      ? { code: "restoring", ...where, restoringId: standing.restoringId, backupId: standing.backupId }
      : { code: "not_live", ...where };
  }
  if (d.abort) return { code: "being_aborted", deploymentId };
  return undefined;
}

/** Why the flag of `d` cannot be set to `percent` now; undefined when it can. */
export function flagChangeRefusal(d: Deployment, percent: number, standing: FlagStanding): FlagRefusal | undefined {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) return { code: "not_a_percentage", percent };
  const blocked = flagBlocked(d, standing);
  const flag = flagState(d);
  if (blocked !== undefined || !flag) return blocked;
  if (d.paused && percent > (flag.percent ?? 0)) {
    return { code: "paused", deploymentId: d.id, flag: flag.name, reason: d.paused.reason };
  }
  if (flag.pending) return { code: "pending", flag: flag.name, percent: flag.pending.percent };
  if (flag.percent === percent) return { code: "already_at", flag: flag.name, percent };
  return undefined;
}
