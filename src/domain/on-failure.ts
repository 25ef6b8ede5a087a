/*
 * What an environment does when one of its deployments cannot go on: a
 * stage failed, the pipeline could not continue, or it is cancelled or
 * expires. The seed's "Environment-Specific Workflows": development rolls
 * back automatically on failure, staging stops and leaves the rollback to a
 * person, production has its rollback prepared and tested.
 *
 * - `rollback`: Slipway takes the way back by itself (traffic to stable, the
 *   target's rollback action, the post-rollback checklist) to the last good
 *   version, as soon as anything reached the system.
 * - `stop`: the deployment ends failed and the thread and the alert offer
 *   Roll back. While the new version serves part of the traffic (a canary
 *   or blue-green weight, rolling instances, a flag on), Slipway still takes
 *   the way back: traffic is never left split silently.
 * - `pause`: the deployment pauses where it is, saying what is live where,
 *   for a person to Resume (the failed step runs again), Abort or Roll back.
 */

export const ON_FAILURE = ["rollback", "pause", "stop"] as const;
export type OnFailure = (typeof ON_FAILURE)[number];

/** What a manifest that says nothing gets: what Slipway always did. */
export const DEFAULT_ON_FAILURE: OnFailure = "stop";

/** What an environment's way back lacks before it can be called prepared and tested. */
export const ROLLBACK_GAPS = ["rollback-action", "verify-rollback-stage"] as const;
export type RollbackGap = (typeof ROLLBACK_GAPS)[number];

/** An environment's rollback policy, fixed on a deployment when it is requested. */
export interface FailurePolicy {
  readonly onFailure: OnFailure;
  /** What its way back lacks: no rollback action in the target, no stage that verifies the rollback. */
  readonly gaps: readonly RollbackGap[];
}
