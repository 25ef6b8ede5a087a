/*
 * The hotfix path: `/deploy production v1.2.1 --hotfix` for a version that
 * never passed the environment production requires (staging) is one tracked
 * operation of two deployments, asked for at once. The first runs in the
 * required environment (fast-tracked stages, its short soak, no "after"
 * stages); the second, in the environment asked for, is recorded at the
 * same time and holds that environment while it waits. When the first ends,
 * a hand-off job starts the second (its checklist, approval and stages as
 * usual, with the "after" stages last), or stops it when the first did not
 * pass. Each deployment carries the link to the other.
 */
import type { DeploymentState } from "./deployment-state.js";

/** One deployment of a hotfix path. */
export interface DeploymentLink {
  readonly id: string;
  readonly environment: string;
}

/** Set on both deployments of a hotfix path. */
export interface HotfixPath {
  /** Runs first, in the environment the other one requires. */
  readonly first: DeploymentLink;
  /** Waits for the first, then runs on its own. */
  readonly last: DeploymentLink;
  /** On the waiting deployment: when the hand-off started it (once; a repeat changes nothing). */
  readonly handedOffAt?: number;
}

/** Whether `d` is the deployment of a hotfix path that waits for the first one. */
export function waitsForFirstLeg(d: { readonly id: string; readonly hotfixPath?: HotfixPath }): boolean {
  return d.hotfixPath?.last.id === d.id;
}

/** Whether `d` is the first deployment of a hotfix path, the one the other waits for. */
export function isFirstLeg(d: { readonly id: string; readonly hotfixPath?: HotfixPath }): boolean {
  return d.hotfixPath?.first.id === d.id;
}

/**
 * What the waiting deployment does, given where the first one stands: wait
 * while it runs, go once it succeeded, stop (before anything ran) when it
 * ended any other way.
 */
export type HandOff = "wait" | "go" | "stop";

export function handOff(first: { readonly state: DeploymentState } | undefined): HandOff {
  if (first === undefined) return "stop";
  switch (first.state) {
    case "succeeded":
      return "go";
    case "failed":
    case "rolled_back":
    case "rejected":
    case "cancelled":
    case "expired":
      return "stop";
    case "requested":
    case "checking":
    case "awaiting_approval":
    case "running":
    case "monitoring":
    case "rolling_back":
      return "wait";
    default: {
      const unreachable: never = first.state;
      return unreachable;
    }
  }
}
