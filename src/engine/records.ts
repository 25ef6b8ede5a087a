import { type DeploymentRecord, doraSampleOf, recordOf } from "../domain/deployment-record.js";
import { isFinal } from "../domain/deployment-state.js";
import { DAY_MS, type DoraStats, doraStats } from "../domain/dora.js";
import { REVIEW_QUESTIONS, type ReviewAnswers } from "../domain/review.js";
import { plainWords } from "../domain/safe-text.js";
import type { Catalog } from "../manifests/catalog.js";
import type { AuditLog, AuditVia } from "../store/audit-log.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { RecordPage, RecordStore, Scope } from "../store/records.js";
import type { Notifications } from "./notifications.js";
import { update } from "./update-deployment.js";

/*
 * Deployment records once written: the history, the DORA stats, one record
 * by id, and the post-deployment review kept with it. The record itself is
 * written by the deployment store whenever an ended deployment is saved, so
 * the review is stored on the deployment and reaches the record (and the
 * thread's copy of it) through that same save.
 */

export interface RecordDeps {
  readonly store: DeploymentStore;
  readonly records: RecordStore;
  readonly catalog: Catalog;
  readonly notifications: Notifications;
  readonly audit: AuditLog;
  readonly now: () => number;
}

/** The default period of /deploy stats and of the gauges on /metrics. */
export const DEFAULT_STATS_DAYS = 30;

/** Every service and environment of the manifests, narrowed to those named. */
export function scopesOf(catalog: Catalog, filter: { service?: string; environment?: string } = {}): Scope[] {
  return catalog.serviceNames().flatMap((service) => {
    if (filter.service !== undefined && filter.service !== service) return [];
    return Object.keys(catalog.service(service)?.manifest.environments ?? {})
      .filter((environment) => filter.environment === undefined || filter.environment === environment)
      .map((environment) => ({ service, environment }));
  });
}

export interface HistoryQuery {
  readonly service?: string;
  readonly environment?: string;
  readonly offset: number;
  readonly limit: number;
}

/** Ended deployments, newest first, one page. */
export function history(deps: Pick<RecordDeps, "records" | "catalog">, query: HistoryQuery): Promise<RecordPage> {
  return deps.records.newest(scopesOf(deps.catalog, query), query.offset, query.limit);
}

/** The DORA keys per service and environment over the `days` before now, against the `days` before that. */
export async function deploymentStats(
  deps: Pick<RecordDeps, "records" | "catalog" | "now">,
  query: { service?: string; environment?: string; days: number },
): Promise<DoraStats[]> {
  const now = deps.now();
  return Promise.all(
    scopesOf(deps.catalog, query).map(async (scope) => {
      const records = await deps.records.since(scope, now - 2 * query.days * DAY_MS);
      return doraStats({ ...scope, samples: records.map(doraSampleOf), days: query.days }, now);
    }),
  );
}

export type RecordAnswer =
  | { ok: true; record: DeploymentRecord }
  | { ok: false; reason: "unknown" | "not_ended"; deploymentId: string; state?: string };

/** The record of one deployment; one that has not ended has none yet. */
export async function recordById(deps: Pick<RecordDeps, "records" | "store">, id: string): Promise<RecordAnswer> {
  const d = await deps.store.get(id);
  if (!d) return { ok: false, reason: "unknown", deploymentId: id };
  const record = await deps.records.get(d.service, id);
  if (record) return { ok: true, record };
  if (!isFinal(d.state)) return { ok: false, reason: "not_ended", deploymentId: id, state: d.state };
  // Ended before records were kept: made from the deployment as it stands.
  return { ok: true, record: recordOf(d) };
}

export type ReviewAnswer =
  | { ok: true; deploymentId: string; replaced: boolean }
  | { ok: false; reason: "unknown" | "not_ended" | "empty"; deploymentId: string };

/** Longest answer kept per question. */
const MAX_ANSWER = 1_000;

/** Stores the post-deployment review of an ended deployment (the latest one written counts) and audits it. */
export async function submitReview(
  deps: RecordDeps,
  input: { deploymentId: string; userId: string; answers: ReviewAnswers; via: AuditVia },
): Promise<ReviewAnswer> {
  const { deploymentId } = input;
  const answers: Record<string, string> = {};
  for (const { key } of REVIEW_QUESTIONS) {
    const text = plainWords(input.answers[key] ?? "").slice(0, MAX_ANSWER);
    if (text !== "") answers[key] = text;
  }
  if (!(await deps.store.get(deploymentId))) return { ok: false, reason: "unknown", deploymentId };
  const now = deps.now();
  const { saved, result } = await update<ReviewAnswer>(deps, deploymentId, (current) => {
    if (!isFinal(current.state)) return { refused: { ok: false, reason: "not_ended", deploymentId } };
    if (Object.keys(answers).length === 0) return { refused: { ok: false, reason: "empty", deploymentId } };
    return {
      next: { ...current, review: { by: input.userId, at: now, answers }, updatedAt: now },
      result: { ok: true, deploymentId, replaced: current.review !== undefined },
    };
  });
  const d = saved ?? (await deps.store.require(deploymentId));
  await deps.audit.record({
    at: now,
    actor: input.userId,
    action: "review",
    outcome: result.ok ? "ok" : "refused",
    service: d.service,
    environment: d.environment,
    deploymentId,
    ...(result.ok ? {} : { detail: result.reason }),
    via: input.via,
  });
  if (saved) await deps.notifications.changed(saved);
  return result;
}

/** The `remindReview` job: once, when nobody has written the review asked for, the thread is reminded. */
export async function remindReview(
  deps: Pick<RecordDeps, "store" | "notifications" | "now">,
  deploymentId: string,
): Promise<void> {
  const now = deps.now();
  const { saved } = await update(deps, deploymentId, (current) => {
    if (current.review || current.reviewRemindedAt !== undefined || !recordOf(current).reviewWanted) {
      return { refused: undefined };
    }
    return { next: { ...current, reviewRemindedAt: now, updatedAt: now }, result: undefined };
  });
  if (saved) await deps.notifications.changed(saved);
}
