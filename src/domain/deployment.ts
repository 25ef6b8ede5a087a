import type { ActorKind } from "./actor.js";
import type { Snapshot, Verdict } from "./analysis.js";
import type { RestoreRecord } from "./backup.js";
import type { WhatChanged } from "./changes.js";
import type { ItemResult } from "./checklist.js";
import { assertTransition, type DeploymentState, isFinal } from "./deployment-state.js";
import type { PushedCommit } from "./git-push.js";
import type { HotfixPath } from "./hotfix-path.js";
import type { ExtendedWatch } from "./monitoring-windows.js";
import type { FailurePolicy } from "./on-failure.js";
import type { Vote } from "./policy.js";
import type { PreProductionReview } from "./pre-production.js";
import type { Review, ReviewPolicy } from "./review.js";
import { currentWeight, exposure, type Step } from "./stage-plan.js";
import type { Strategy } from "./strategy.js";
import type { TestCounts } from "./test-counts.js";

export type StageStatus = "pending" | "running" | "succeeded" | "failed" | "skipped";

/** One stage of a deployment as it is run: the plan entry plus what happened. */
export interface StageRun {
  readonly name: string;
  /** What the step does, fixed when the deployment was planned. */
  readonly step: Step;
  status: StageStatus;
  /** How many times the stage was started (a retried job starts it again). */
  attempts: number;
  /**
   * The job running the current attempt: only that job (or its redelivery after a crash) may run it again,
   * or, once that job is over or gone without a result recorded, a new job that takes the step over.
   */
  runner?: string;
  /** Attempts in a row whose worker was lost before it could record a result (a crash, a lock that expired). */
  lost?: number;
  startedAt?: number;
  finishedAt?: number;
  exitCode?: number | null;
  /** Last lines of the stage's output, kept for the thread and the record. */
  outputTail?: string;
  error?: string;
  /** What the stage's test report counted, when its stage names one. */
  tests?: TestCounts;
  /** Why a step the plan allows to be skipped was skipped, e.g. the target has no archive action. */
  skippedBecause?: string;
}

/** Which kind of actor asked for a deployment. */
export type DeploymentSource = ActorKind;

export interface FlagChange {
  /** 1, 2, …: part of the change's idempotency key. */
  readonly seq: number;
  readonly percent: number;
  /** Slack user id. */
  readonly by: string;
  readonly at: number;
  status: "pending" | "done" | "failed";
  finishedAt?: number;
  /** The target's output tail. */
  output?: string;
  /** Why the change was not made when its turn came (the deployment had ended, been replaced…). */
  blocked?: FlagBlock;
}

/** Why the flag of a deployment cannot be moved at all now. */
export type FlagBlock =
  | { readonly code: "no_flag"; readonly deploymentId: string }
  | { readonly code: "not_flipped"; readonly deploymentId: string; readonly flag: string }
  /** The deployment is no longer running or live: its flag is no longer Slipway's to change. */
  | { readonly code: "not_steerable"; readonly deploymentId: string; readonly state: DeploymentState }
  | {
      readonly code: "not_live";
      readonly deploymentId: string;
      readonly service: string;
      readonly environment: string;
    }
  | { readonly code: "being_aborted"; readonly deploymentId: string }
  /**
   * The deployment is still what its environment runs, but the restore of
   * another deployment's backup (`restoringId`, which ended back) holds the
   * environment until it and its validation are done.
   */
  | {
      readonly code: "restoring";
      readonly deploymentId: string;
      readonly service: string;
      readonly environment: string;
      readonly restoringId: string;
      readonly backupId: string;
    };

/** An approval request and the votes on it. */
export interface ApprovalState {
  /** Distinct approvals needed. */
  readonly needed: number;
  readonly allowSelfApproval: boolean;
  /** Who may approve, in words for the approval card. */
  readonly approvers: string;
  /** A sensitive deployment's: who holds the security role, in words; one of them must approve too. */
  readonly security?: string;
  readonly requestedAt: number;
  votes: Vote[];
}

export interface AnalysisRecord {
  readonly stageIndex: number;
  readonly at: number;
  /** Traffic share of the new version when measured. */
  readonly weight?: number;
  readonly verdict: Verdict;
  /** How many analyses this step has had. */
  readonly rounds: number;
  /** The analysis loop it belongs to (the deployment's `analysisEpoch` then); a Resume starts a new one. */
  readonly epoch?: number;
  /** How many analyses of this loop in a row were inconclusive, this one included; absent after a decision. */
  readonly inconclusiveRounds?: number;
}

export interface IncidentRecord {
  readonly at: number;
  /** The failed checks in words: observed vs baseline vs threshold. */
  readonly summary: string;
  /** From the first failing analysis to traffic back on stable. */
  trafficRestoredMs?: number;
  acknowledgedBy?: string;
  acknowledgedAt?: number;
}

export interface RollbackRecord {
  /** Why, in words: "aborted by <@U1>", "error rate 21% vs baseline 0.4%…". */
  readonly reason: string;
  /** Slack user id, or "slipway" when a trigger tripped. */
  readonly by: string;
  readonly startedAt: number;
  finishedAt?: number;
  /** Each action of the way back and how it went; `at` when it finished. */
  actions: { name: string; ok: boolean; output: string; at?: number }[];
  /** The post-rollback validation checklist's results. */
  checklist?: ItemResult[];
}

export interface Deployment {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy: Strategy;
  readonly hotfix: boolean;
  /** The requester's id: a Slack user id when `source` is slack, a system actor's otherwise. */
  readonly requestedBy: string;
  readonly source: DeploymentSource;
  /** The requester in words, for a push or a schedule (who pushed, which schedule). */
  readonly requesterName?: string;
  readonly createdAt: number;
  /** Anything that waits on people (checklist ticks, approval) ends `expired` at this time. */
  readonly expiresAt: number;
  /** Set when `--hotfix` started it outside a deployment window or during a freeze. */
  readonly bypass?: "window" | "freeze";
  /** Set on both deployments of a hotfix path (see hotfix-path.ts): which runs first, which waits for it. */
  readonly hotfixPath?: HotfixPath;
  /** A sensitive deployment (see sensitive.ts): low-traffic window, a security approver, longer watch, heads-ups. */
  readonly sensitive?: true;
  /** The last version that succeeded in this environment before this one: where a rollback returns. */
  readonly previousVersion?: string;
  /** Set on a deployment made by /rollback: the version it takes the environment back from. */
  readonly rollbackOf?: string;
  /** Set on a deployment a push asked for: the commit, who pushed it and the compare link. */
  readonly push?: PushedCommit;
  /** Set while someone (or Slipway, on inconclusive data) has paused the rollout. */
  paused?: { by: string; at: number; reason?: string };
  /** Set when someone asked to abort; the engine brings traffic back and ends it. */
  abort?: { by: string; at: number };
  /** When the next step starts, while the deployment holds between steps. */
  holdUntil?: number;
  /** How the way back went, once a rollback started (an abort, a tripped trigger, /rollback). */
  rollback?: RollbackRecord;
  /** The latest verdict of each analysed step (by stage index; -1 for post-deployment monitoring). */
  analyses?: AnalysisRecord[];
  /** Recent snapshots of the new version, for triggers that need a sustained breach. */
  canaryHistory?: Snapshot[];
  /**
   * Bumped by each Resume. Analysis jobs carry the value they were queued
   * under and stop when it has changed, so a quick Pause and Resume never
   * leaves two analysis loops running side by side.
   */
  analysisEpoch?: number;
  /** While monitoring after 100%: when the immediate window ends (and the deployment succeeds, if all went well). */
  monitorUntil?: number;
  /** The extended window (see monitoring-windows.ts): planned when monitoring starts, run once it succeeded. */
  extendedWatch?: ExtendedWatch;
  /** A /rollback deployment's post-rollback validation, checked once the earlier version is deployed again. */
  validation?: ItemResult[];
  /** The environment's deployment validation (its `deployment` checklist items), checked after the last step. */
  deploymentValidation?: ItemResult[];
  /** Set when an automatic rollback fired: what tripped, and who acknowledged the alert. */
  incident?: IncidentRecord;
  /** The id of the backup this deployment's backup stage took, as the stage printed it (`backup-id: …`). */
  backupId?: string;
  /** A restore from backup asked for with `/rollback … --restore`, run after the way back. */
  restore?: RestoreRecord;
  /** Feature flag: each change asked for from the root message's buttons after the flag step. */
  flagChanges?: FlagChange[];
  /**
   * The commits between the version live before and this one, when the
   * manifest names the repository: found once when the deployment starts,
   * shown by the approval card, the thread and the record, and the start of
   * its lead time.
   */
  whatChanged?: WhatChanged;
  /** Whether and when the thread asks for the post-deployment review, fixed when the deployment was requested. */
  readonly reviewPolicy?: ReviewPolicy;
  /** The environment's onFailure and what its way back lacks, fixed when requested; absent means `stop`. */
  readonly failurePolicy?: FailurePolicy;
  /** The post-deployment review's answers. */
  review?: Review;
  /** When the one reminder to write the review was posted. */
  reviewRemindedAt?: number;
  /** Set by the watchdog when the deployment stopped moving: what it was doing and what to do. */
  stuck?: { at: number; what: string; suggestion: string };
  /** Revision for compare-and-set: every write increments it. */
  rev: number;
  state: DeploymentState;
  updatedAt: number;
  finishedAt?: number;
  stages: StageRun[];
  /** Pre-deployment checklist results, in the environment's order. */
  checklist?: ItemResult[];
  approval?: ApprovalState;
  /** The go/no-go material of the approval card, found when the approval was asked for. */
  preProduction?: PreProductionReview;
  /** Why the deployment ended badly, in words for people. */
  failureReason?: string;
  /** The Slack channel whose root message and thread follow this deployment. */
  readonly channel: string;
  /** Where alerts go when it fails or is rolled back automatically. */
  readonly incidentChannel?: string;
}

export interface NewDeployment {
  id: string;
  service: string;
  environment: string;
  version: string;
  strategy: Strategy;
  hotfix: boolean;
  requestedBy: string;
  source: DeploymentSource;
  requesterName?: string;
  steps: readonly Step[];
  channel: string;
  incidentChannel?: string;
  previousVersion?: string;
  rollbackOf?: string;
  restore?: RestoreRecord;
  /** A rollback Slipway started itself (an extended window's trip): what tripped. */
  incident?: IncidentRecord;
  push?: PushedCommit;
  /** How long the deployment may wait on people before it expires. */
  waitLimitMs: number;
  bypass?: "window" | "freeze";
  reviewPolicy?: ReviewPolicy;
  hotfixPath?: HotfixPath;
  failurePolicy?: FailurePolicy;
  sensitive?: boolean;
}

export function newDeployment(input: NewDeployment, now: number): Deployment {
  return {
    id: input.id,
    service: input.service,
    environment: input.environment,
    version: input.version,
    strategy: input.strategy,
    hotfix: input.hotfix,
    requestedBy: input.requestedBy,
    source: input.source,
    ...(input.requesterName ? { requesterName: input.requesterName } : {}),
    createdAt: now,
    expiresAt: now + input.waitLimitMs,
    ...(input.bypass ? { bypass: input.bypass } : {}),
    ...(input.hotfixPath ? { hotfixPath: input.hotfixPath } : {}),
    ...(input.sensitive ? { sensitive: true as const } : {}),
    rev: 0,
    state: "requested",
    updatedAt: now,
    stages: input.steps.map((step) => ({ name: step.name, step, status: "pending", attempts: 0 })),
    ...(input.previousVersion ? { previousVersion: input.previousVersion } : {}),
    ...(input.rollbackOf ? { rollbackOf: input.rollbackOf } : {}),
    ...(input.restore ? { restore: input.restore } : {}),
    ...(input.incident ? { incident: input.incident } : {}),
    ...(input.push ? { push: input.push } : {}),
    channel: input.channel,
    ...(input.incidentChannel ? { incidentChannel: input.incidentChannel } : {}),
    ...(input.reviewPolicy ? { reviewPolicy: input.reviewPolicy } : {}),
    ...(input.failurePolicy ? { failurePolicy: input.failurePolicy } : {}),
  };
}

/** Returns a copy in the new state; throws IllegalTransitionError on a forbidden move. */
export function moveTo(
  deployment: Deployment,
  to: DeploymentState,
  now: number,
  patch: Partial<Pick<Deployment, "failureReason">> = {},
): Deployment {
  assertTransition(deployment.state, to);
  const next: Deployment = { ...deployment, ...patch, state: to, updatedAt: now };
  if (isFinal(to)) next.finishedAt = now;
  return next;
}

/** Whether any step of the deployment touched the running system (so leaving needs a rollback). */
export function touchedTraffic(d: Pick<Deployment, "stages">): boolean {
  return d.stages.some(
    (s) =>
      s.status !== "pending" &&
      s.status !== "skipped" &&
      (s.step.action === "deploy" || s.step.action === "setTraffic" || s.step.action === "setFlag"),
  );
}

/**
 * Whether a progressive rollout has the new version serving traffic: a
 * canary or blue-green weight above 0, a rolling instance updated, a flag
 * turned on. Ending it without the way back would leave traffic split (or
 * switched) with nobody told. An all-at-once deployment replaces the version
 * outright; there its failure is the outcome, and the alert offers Roll back.
 */
export function newVersionServes(d: Pick<Deployment, "strategy" | "stages">): boolean {
  switch (d.strategy) {
    case "all-at-once":
      return false;
    case "feature-flag":
      return d.stages.some(
        (s) => s.status === "succeeded" && s.step.action === "setFlag" && (s.step.flagPercent ?? 0) > 0,
      );
    case "canary":
    case "blue-green":
    case "rolling":
      return exposure(d.strategy, d.stages).candidate;
    default: {
      const unreachable: never = d.strategy;
      return unreachable;
    }
  }
}

/**
 * The new version's share of traffic as it really is: the weight its steps
 * set, until the way back took traffic to the stable version (or a rollback
 * ended, which restores it). Undefined for a rollout that moves no weight.
 */
export function liveWeight(d: Pick<Deployment, "stages" | "state" | "rollback">): number | undefined {
  const weight = currentWeight(d.stages);
  if (weight === undefined) return undefined;
  const restored =
    d.state === "rolled_back" || (d.rollback?.actions.some((a) => a.name === "traffic-to-stable" && a.ok) ?? false);
  return restored ? 0 : weight;
}

/** Whether any stage of the deployment started. */
export function ran(d: Pick<Deployment, "stages">): boolean {
  return d.stages.some((s) => s.startedAt !== undefined);
}

/** Index of the first stage that has not succeeded or been skipped, or -1 when all are done. */
export function nextStageIndex(deployment: Deployment): number {
  return deployment.stages.findIndex((s) => s.status !== "succeeded" && s.status !== "skipped");
}

export function updateStage(deployment: Deployment, index: number, change: Partial<StageRun>, now: number): Deployment {
  const stage = deployment.stages[index];
  if (!stage) throw new RangeError(`deployment ${deployment.id} has no stage ${index}`);
  const stages = deployment.stages.slice();
  stages[index] = { ...stage, ...change };
  return { ...deployment, stages, updatedAt: now };
}

/** Share of stages finished, 0..100. */
export function progressPercent(deployment: Deployment): number {
  if (deployment.stages.length === 0) return isFinal(deployment.state) ? 100 : 0;
  const done = deployment.stages.filter((s) => s.status === "succeeded" || s.status === "skipped").length;
  return Math.round((done / deployment.stages.length) * 100);
}

export function durationMs(deployment: Deployment, now: number): number {
  return (deployment.finishedAt ?? now) - deployment.createdAt;
}

/**
 * Whether the deployment ended with its way back done, the previous version
 * live again: rolled back, or failed after the way back's last action
 * succeeded (its validation or its restore failed, not its rollback action).
 */
export function endedBack(d: Pick<Deployment, "state" | "rollback">): boolean {
  if (d.state === "rolled_back") return true;
  return d.state === "failed" && d.rollback?.actions.at(-1)?.ok === true;
}

/** Whether `d` ended with its version left live: succeeded, or failed after deploying with no way back done. */
export function leftLive(d: Pick<Deployment, "state" | "rollback" | "stages">): boolean {
  return touchedTraffic(d) && (d.state === "succeeded" || d.state === "failed") && !endedBack(d);
}

/**
 * Whether `d` is a /rollback deployment that succeeded: the earlier version
 * it deployed again is live, in place of the one it names in `rollbackOf`.
 */
export function rolledBackTo(d: Pick<Deployment, "state" | "rollbackOf">): boolean {
  return d.state === "succeeded" && d.rollbackOf !== undefined;
}

/**
 * Whether the backup of a deployment that ended back is being restored after
 * the fact: the restore action, then the post-rollback validation checked
 * again (see engine/restore-after-end.ts).
 */
export function restoringAfterEnd(d: Pick<Deployment, "restore">): boolean {
  const restore = d.restore;
  return restore?.afterEnd === true && (restore.ok === undefined || (restore.ok && restore.validation === undefined));
}

/**
 * Whether `d` holds its service and environment, so that nothing else
 * deploys there: while it is under way, and after its end while its backup
 * is restored after the fact.
 */
export function holdsEnvironment(d: Pick<Deployment, "state" | "restore">): boolean {
  return !isFinal(d.state) || restoringAfterEnd(d);
}

/** The post-rollback validation's results: of the way back, or of a /rollback deployment; undefined before it ran. */
export function postRollbackChecks(d: Pick<Deployment, "rollback" | "validation">): ItemResult[] | undefined {
  return d.rollback?.checklist ?? d.validation;
}
