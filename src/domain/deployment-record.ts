/*
 * The deployment record: what the seed's "Deployment Record Template" holds,
 * taken from a deployment once it has ended. Pure: it reads only the
 * deployment. The store writes it beside the deployment, in the same
 * compare-and-set, whenever a final deployment is saved, so a later review
 * or acknowledgement is in the record as soon as it is in the deployment.
 *
 * Downtime is measured from the deployment's own observations: from a failed
 * health check (in an analysis, or a health-check stage) to when traffic was
 * back on the stable version (or, without a way back, to the end).
 * Performance impact comes from the last analysis made against a baseline.
 */
import type { PerformanceImpact } from "./analysis.js";
import type { RestoreRecord } from "./backup.js";
import type { WhatChanged } from "./changes.js";
import type { ItemResult } from "./checklist.js";
import { type Deployment, postRollbackChecks, ran } from "./deployment.js";
import type { DeploymentState } from "./deployment-state.js";
import type { DoraSample } from "./dora.js";
import type { ExtendedWatch, WatchEnd } from "./monitoring-windows.js";
import type { Proof } from "./pre-production.js";
import { PRODUCTION, type Review, type ReviewWhen, reviewWanted } from "./review.js";
import type { Strategy } from "./strategy.js";
import type { TestCounts } from "./test-counts.js";

/** One step of an incident, as data; undefined `at` for a step that has not happened (yet). */
export type TimelineEntry =
  | { readonly kind: "first-bad-sample"; readonly at: number; readonly detail: string }
  | { readonly kind: "stage-failed"; readonly at: number; readonly stage: string; readonly detail: string }
  | { readonly kind: "rollback-started"; readonly at: number; readonly by: string; readonly detail: string }
  | { readonly kind: "traffic-on-stable"; readonly at?: number; readonly version?: string }
  | {
      readonly kind: "validation";
      readonly at?: number;
      readonly total?: number;
      readonly failed?: readonly string[];
    }
  | { readonly kind: "acknowledged"; readonly at?: number; readonly by?: string; readonly asked: boolean };

/** An incident of a production deployment that was rolled back: what tripped, and what happened when. */
export interface IncidentSummary {
  readonly automatic: boolean;
  readonly summary: string;
  readonly timeline: readonly TimelineEntry[];
}

export interface DeploymentRecord {
  readonly id: string;
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy: Strategy;
  readonly hotfix: boolean;
  readonly rollbackOf?: string;
  readonly state: DeploymentState;
  readonly requestedBy: string;
  readonly approvers: readonly string[];
  readonly requestedAt: number;
  /** When its first stage started; undefined when none did. */
  readonly startedAt?: number;
  readonly finishedAt: number;
  /** From the first stage to the end; 0 when nothing ran. */
  readonly durationMs: number;
  readonly ran: boolean;
  readonly leadTimeFrom: number;
  readonly leadTimeSource: "git" | "request";
  /** The commits it brought, when the repository is known. */
  readonly whatChanged?: WhatChanged;
  readonly tests: readonly TestCounts[];
  readonly downtimeMs: number;
  readonly rollbackRequired: boolean;
  readonly issues: readonly string[];
  /** From the last analysis against a baseline; undefined when none was made. */
  readonly performance?: PerformanceImpact;
  /** The environment's deployment validation, checked after the last step; undefined when it did not run. */
  readonly deploymentValidation?: readonly ItemResult[];
  /** The post-rollback validation (of the way back, or of a /rollback deployment); undefined when it did not run. */
  readonly rollbackValidation?: readonly ItemResult[];
  /** The restore from backup asked for with `/rollback … --restore`, and how it went. */
  readonly restore?: RestoreRecord;
  /** The extended window that watched it once it succeeded: until when, and how it ended. */
  readonly extendedWindow?: ExtendedWatch;
  /** Whether the thread asks for the post-deployment review. */
  readonly reviewWanted: boolean;
  readonly review?: Review;
  readonly incident?: IncidentSummary;
  /** When it went wrong, for a failed or rolled-back deployment. */
  readonly wentWrongAt?: number;
  readonly channel: string;
}

export function approversOf(d: Pick<Deployment, "approval">): string[] {
  return (d.approval?.votes ?? []).filter((v) => v.decision === "approve").map((v) => v.userId);
}

/** The environment's review setting, or its default: after trouble in production, never elsewhere. */
export function reviewAfter(d: Pick<Deployment, "environment" | "reviewPolicy">): ReviewWhen {
  return d.reviewPolicy?.after ?? (d.environment === PRODUCTION ? "trouble" : "never");
}

function testsOf(d: Deployment): TestCounts[] {
  return [
    ...(d.checklist ?? []).flatMap((item) => (item.tests ? [item.tests] : [])),
    ...d.stages.flatMap((stage) => (stage.tests ? [stage.tests] : [])),
  ];
}

function healthFailedAt(d: Deployment): number | undefined {
  const analysed = (d.analyses ?? [])
    .filter((a) => a.verdict.checks.some((c) => c.name === "health" && c.status === "fail"))
    .map((a) => a.at);
  const staged = d.stages
    .filter((s) => s.step.action === "healthCheck" && s.status === "failed" && s.finishedAt !== undefined)
    .map((s) => s.finishedAt ?? 0);
  const all = [...analysed, ...staged];
  return all.length === 0 ? undefined : Math.min(...all);
}

/** When traffic was back on the stable version: the way back's traffic step, else its rollback action. */
function trafficRestoredAt(d: Deployment): number | undefined {
  if (d.incident?.trafficRestoredMs !== undefined) return d.incident.at + d.incident.trafficRestoredMs;
  const actions = d.rollback?.actions ?? [];
  const back = actions.find((a) => a.ok && a.name === "traffic-to-stable") ?? actions.find((a) => a.ok);
  return back?.at;
}

function downtimeOf(d: Deployment, finishedAt: number): number {
  const from = healthFailedAt(d);
  if (from === undefined) return 0;
  return Math.max(0, (trafficRestoredAt(d) ?? finishedAt) - from);
}

/** The extended window's trip, when it tripped. */
function trippedWatch(d: Deployment): Extract<WatchEnd, { outcome: "tripped" }> | undefined {
  const ended = d.extendedWatch?.ended;
  return ended?.outcome === "tripped" ? ended : undefined;
}

function issuesOf(d: Deployment): string[] {
  const failedItems = (d.checklist ?? []).filter((i) => i.required && (i.status === "failed" || i.status === "error"));
  return [
    d.incident ? `automatic rollback: ${d.incident.summary}` : undefined,
    trippedWatch(d) ? `extended window: ${trippedWatch(d)?.summary}` : undefined,
    d.failureReason,
    d.stuck ? `stuck: ${d.stuck.what}` : undefined,
    failedItems.length > 0 ? `checklist: ${failedItems.map((i) => i.title).join(", ")}` : undefined,
  ].filter((issue): issue is string => issue !== undefined && issue !== "");
}

function performanceOf(d: Deployment): PerformanceImpact | undefined {
  const latest = [...(d.analyses ?? [])].filter((a) => a.verdict.baseline).sort((a, b) => b.at - a.at)[0];
  if (!latest) return undefined;
  const pair = (name: string) => {
    const check = latest.verdict.checks.find((c) => c.name === name);
    return check?.observed !== undefined && check.baseline !== undefined
      ? { observed: check.observed, baseline: check.baseline }
      : undefined;
  };
  const errorRate = pair("errorRate");
  const p95Ms = pair("latency");
  return { ...(errorRate ? { errorRate } : {}), ...(p95Ms ? { p95Ms } : {}) };
}

/** The post-rollback validation's step of a timeline: its results once checked, at `at`. */
function validationEntry(checklist: readonly ItemResult[] | undefined, at: number | undefined): TimelineEntry {
  return {
    kind: "validation",
    ...(at === undefined || !checklist ? {} : { at }),
    ...(checklist
      ? { total: checklist.length, failed: checklist.filter((i) => i.status !== "passed").map((i) => i.title) }
      : {}),
  };
}

/**
 * The incident of a /rollback (or Roll back) that redeploys an earlier
 * version: who asked, and when it was back; Slipway's own (an extended
 * window's trip) starts with what tripped.
 */
function manualRollbackIncident(d: Deployment, from: string): IncidentSummary {
  const deploy = d.stages.find((s) => s.step.action === "deploy");
  const backAt = deploy?.status === "succeeded" ? deploy.finishedAt : undefined;
  const by = d.source === "slack" ? `<@${d.requestedBy}>` : d.requestedBy;
  return {
    automatic: d.incident !== undefined,
    summary: d.incident
      ? `${from} rolled back to ${d.version} by ${by}: ${d.incident.summary}`
      : `${from} rolled back to ${d.version} by ${by}`,
    timeline: [
      ...(d.incident ? [{ kind: "first-bad-sample" as const, at: d.incident.at, detail: d.incident.summary }] : []),
      { kind: "rollback-started", at: d.createdAt, by: d.requestedBy, detail: `back from ${from} to ${d.version}` },
      { kind: "traffic-on-stable", ...(backAt === undefined ? {} : { at: backAt }), version: d.version },
      validationEntry(d.validation, d.validation === undefined ? undefined : (d.finishedAt ?? backAt)),
      { kind: "acknowledged", asked: false },
    ],
  };
}

/** The incident of a production deployment that was rolled back (by a tripped trigger, an abort, /rollback or Roll back). */
export function incidentOf(d: Deployment): IncidentSummary | undefined {
  if (d.environment !== PRODUCTION) return undefined;
  if (d.rollbackOf !== undefined) return manualRollbackIncident(d, d.rollbackOf);
  if (!d.incident && !d.rollback) return undefined;
  const rollback = d.rollback;
  const failedStage = d.stages.find((s) => s.status === "failed" && s.finishedAt !== undefined);
  const restoredAt = trafficRestoredAt(d);
  const checklist = rollback?.checklist;
  const timeline: TimelineEntry[] = [];
  if (d.incident) timeline.push({ kind: "first-bad-sample", at: d.incident.at, detail: d.incident.summary });
  else if (failedStage?.finishedAt !== undefined) {
    timeline.push({
      kind: "stage-failed",
      at: failedStage.finishedAt,
      stage: failedStage.name,
      detail: failedStage.error ?? "failed",
    });
  }
  if (rollback) {
    timeline.push({ kind: "rollback-started", at: rollback.startedAt, by: rollback.by, detail: rollback.reason });
  }
  timeline.push({
    kind: "traffic-on-stable",
    ...(restoredAt === undefined ? {} : { at: restoredAt }),
    ...(d.previousVersion ? { version: d.previousVersion } : {}),
  });
  timeline.push(validationEntry(checklist, rollback?.finishedAt));
  timeline.push({
    kind: "acknowledged",
    asked: d.incident !== undefined,
    ...(d.incident?.acknowledgedAt === undefined ? {} : { at: d.incident.acknowledgedAt }),
    ...(d.incident?.acknowledgedBy === undefined ? {} : { by: d.incident.acknowledgedBy }),
  });
  return {
    automatic: d.incident !== undefined,
    summary: d.incident?.summary ?? rollback?.reason ?? d.failureReason ?? "rolled back",
    timeline,
  };
}

function wentWrongAt(d: Deployment, finishedAt: number): number | undefined {
  if (d.state !== "failed" && d.state !== "rolled_back") return undefined;
  return (
    d.incident?.at ?? d.rollback?.startedAt ?? d.stages.find((s) => s.status === "failed")?.finishedAt ?? finishedAt
  );
}

/** The record of a deployment that has ended. */
export function recordOf(d: Deployment): DeploymentRecord {
  const finishedAt = d.finishedAt ?? d.updatedAt;
  const starts = d.stages.flatMap((s) => (s.startedAt === undefined ? [] : [s.startedAt]));
  const startedAt = starts.length > 0 ? Math.min(...starts) : undefined;
  const didRun = ran(d);
  const incident = incidentOf(d);
  const performance = performanceOf(d);
  const wrong = wentWrongAt(d, finishedAt);
  const firstCommitAt = d.whatChanged?.firstCommitAt;
  const rollbackValidation = postRollbackChecks(d);
  const tripped = trippedWatch(d);
  return {
    id: d.id,
    service: d.service,
    environment: d.environment,
    version: d.version,
    strategy: d.strategy,
    hotfix: d.hotfix,
    ...(d.rollbackOf ? { rollbackOf: d.rollbackOf } : {}),
    state: d.state,
    requestedBy: d.requestedBy,
    approvers: approversOf(d),
    requestedAt: d.createdAt,
    ...(startedAt === undefined ? {} : { startedAt }),
    finishedAt,
    durationMs: startedAt === undefined ? 0 : finishedAt - startedAt,
    ran: didRun,
    leadTimeFrom: firstCommitAt ?? d.createdAt,
    leadTimeSource: firstCommitAt === undefined ? "request" : "git",
    ...(d.whatChanged ? { whatChanged: d.whatChanged } : {}),
    tests: testsOf(d),
    downtimeMs: downtimeOf(d, finishedAt),
    rollbackRequired: d.rollback !== undefined || d.rollbackOf !== undefined || tripped !== undefined,
    issues: issuesOf(d),
    ...(performance ? { performance } : {}),
    ...(d.deploymentValidation ? { deploymentValidation: d.deploymentValidation } : {}),
    ...(rollbackValidation ? { rollbackValidation } : {}),
    ...(d.restore ? { restore: d.restore } : {}),
    ...(d.state === "succeeded" && d.extendedWatch ? { extendedWindow: d.extendedWatch } : {}),
    reviewWanted: reviewWanted({ ...d, ran: didRun }, reviewAfter(d)),
    ...(d.review ? { review: d.review } : {}),
    ...(incident ? { incident } : {}),
    ...(wrong === undefined ? {} : { wentWrongAt: wrong }),
    channel: d.channel,
  };
}

/** What the DORA keys need of a record. */
export function doraSampleOf(r: DeploymentRecord): DoraSample {
  return {
    id: r.id,
    version: r.version,
    ...(r.rollbackOf === undefined ? {} : { rollbackOf: r.rollbackOf }),
    requestedAt: r.requestedAt,
    state: r.state,
    hotfix: r.hotfix,
    restore: r.rollbackOf !== undefined,
    ran: r.ran,
    finishedAt: r.finishedAt,
    leadTimeFrom: r.leadTimeFrom,
    leadTimeSource: r.leadTimeSource,
    durationMs: r.durationMs,
    ...(r.wentWrongAt === undefined ? {} : { wentWrongAt: r.wentWrongAt }),
  };
}

/** What the approval card shows of the record of the version's run where it was proven. */
export function proofOf(r: DeploymentRecord): Proof {
  return {
    deploymentId: r.id,
    channel: r.channel,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    tests: r.tests,
    ...(r.performance ? { performance: r.performance } : {}),
    downtimeMs: r.downtimeMs,
    issues: r.issues,
  };
}
