import type { Deployment, FlagChange } from "./deployment.js";

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

/**
 * Why the flag of `d` cannot be moved at all now, in words for people;
 * undefined when it can. `live` says whether `d` is still the environment's
 * live deployment (only matters once it succeeded). Checked when a change is
 * asked for and again when it is about to be made.
 */
export function flagBlocked(d: Deployment, live: boolean): string | undefined {
  const flag = flagState(d);
  if (!flag) return `\`${d.id}\` is not a feature-flag deployment; it has no flag to set.`;
  const step = d.stages.find((s) => s.step.action === "setFlag");
  if (step?.status !== "succeeded") return `\`${d.id}\` has not flipped ${flag.name} yet; wait for its flag step.`;
  if (d.state !== "running" && d.state !== "monitoring" && d.state !== "succeeded") {
    return `\`${d.id}\` is ${d.state.replace("_", " ")}; its flag is no longer Slipway's to change.`;
  }
  if (d.state === "succeeded" && !live) {
    return `\`${d.id}\` is no longer the live deployment of ${d.service} ${d.environment}; change the flag from the live one.`;
  }
  if (d.abort) return `\`${d.id}\` is being aborted.`;
  return undefined;
}

/** Why the flag of `d` cannot be set to `percent` now; undefined when it can. */
export function flagChangeRefusal(d: Deployment, percent: number, live: boolean): string | undefined {
  if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
    return `${percent} is not a percentage; choose one from 0 to 100.`;
  }
  const blocked = flagBlocked(d, live);
  const flag = flagState(d);
  if (blocked !== undefined || !flag) return blocked;
  if (d.paused && percent > (flag.percent ?? 0)) {
    return `\`${d.id}\` is paused${d.paused.reason ? ` (${d.paused.reason})` : ""}: ${flag.name} may only go down meanwhile. Resume it first to raise the flag.`;
  }
  if (flag.pending) return `${flag.name} is still being set to ${flag.pending.percent}%; try again when that is done.`;
  if (flag.percent === percent) return `${flag.name} is already at ${percent}%.`;
  return undefined;
}
