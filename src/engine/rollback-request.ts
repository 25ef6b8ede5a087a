import type { Actor } from "../domain/actor.js";
import type { RestoreRecord } from "../domain/backup.js";
import { type Deployment, type IncidentRecord, restoringAfterEnd, touchedTraffic } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import type { AuditVia } from "../store/audit-log.js";
import type { AnswerOf } from "./answers.js";
import { authorizeActor } from "./authorize.js";
import type { GateDeps } from "./gates.js";
import { enqueueAbort } from "./next-jobs.js";
import {
  type DeploymentRequest,
  type RequestDeps,
  type RequestOutcome,
  requestDeployment,
} from "./request-deployment.js";
import { beginRollback, endBadly } from "./rollback.js";
import { update } from "./update-deployment.js";

export interface RollbackInput {
  readonly service: string;
  readonly environment: string;
  /** Where to go back to; default the last good version before the current one. */
  readonly version?: string;
  readonly reason?: string;
  readonly actor: Actor;
  readonly via: AuditVia;
  /**
   * The deployment whose Roll back button was clicked: the rollback goes
   * ahead only while that deployment is still what the environment last
   * did, so an old message never undoes a newer deployment.
   */
  readonly from?: Deployment;
  /** Asked with --restore (see restore-request.ts): the backup restored after the way back. */
  readonly restore?: RestoreRecord;
  /** Slipway's own rollback of a succeeded deployment (see watch.ts): what tripped, carried by the rollback deployment. */
  readonly incident?: IncidentRecord;
  /** The id the rollback deployment starts under, chosen beforehand so a repeated request cannot start two. */
  readonly deploymentId?: string;
}

/**
 * `/rollback` and the Roll back button. With a deployment under way, it is
 * rolled back where it stands (traffic to stable, rollback action, validation).
 * Otherwise the environment is deployed back to an earlier good version: the
 * last one that succeeded before the current one (or the last one that
 * succeeded at all, when the latest deployment failed part-way), never one a
 * rollback has already left. Refused, with the reason, when there is nowhere to go back to.
 */
/**
 * A rollback's answer: done, or refused (not allowed, nowhere to go back to);
 * refused because the clicked deployment deployed nothing or is no longer
 * the latest; or the rollback deployment's own request refused.
 */
export type RollbackAnswer =
  | AnswerOf<
      | "cancelled"
      | "rolling_back"
      | "rollback_started"
      | "forbidden"
      | "just_ended"
      | "restoring"
      | "already_rolling_back"
      | "no_good_version"
      | "only_one_good"
      | "already_runs"
      | "not_good"
    >
  | { readonly ok: false; readonly code: "nothing_deployed"; readonly from: Deployment }
  | { readonly ok: false; readonly code: "not_latest"; readonly from: Deployment; readonly newer: string | undefined }
  | {
      readonly ok: false;
      readonly code: "request_refused";
      readonly request: DeploymentRequest;
      readonly outcome: RequestOutcome;
    };

/** Whether the clicked deployment may still be rolled back from its message; the refusal when not. */
async function stillLatest(deps: GateDeps, d: Deployment): Promise<RollbackAnswer | undefined> {
  if (!isFinal(d.state)) return undefined;
  if (d.state !== "succeeded" && !touchedTraffic(d)) return { ok: false, code: "nothing_deployed", from: d };
  const [active, last, good] = await Promise.all([
    deps.store.activeFor(d.service, d.environment),
    deps.store.lastEnded(d.service, d.environment),
    deps.store.goodVersions(d.service, d.environment),
  ]);
  // Deployments that ended before Slipway kept the last one ended are judged by the live version.
  const latest = last ? last.id === d.id : d.state === "succeeded" && good[0] === d.version;
  // The clicked deployment itself may hold the environment: its backup restored after its end (refused below).
  if ((active !== undefined && active !== d.id) || !latest)
    return { ok: false, code: "not_latest", from: d, newer: active ?? last?.id };
  return undefined;
}

export async function requestRollback(deps: GateDeps & RequestDeps, input: RollbackInput): Promise<RollbackAnswer> {
  const allowed = await authorizeActor(deps, {
    action: "rollback",
    actor: input.actor,
    service: input.service,
    environment: input.environment,
    via: input.via,
    ...(input.from ? { deploymentId: input.from.id } : {}),
  });
  if (!allowed.allowed) return { ok: false, code: "forbidden", attempted: "rollback", reason: allowed.reason };
  if (input.from) {
    const refused = await stillLatest(deps, input.from);
    if (refused) return refused;
  }
  const userId = input.actor.id;
  const why = `rolled back by <@${userId}>${input.reason ? `: ${input.reason}` : ""}`;
  const activeId = await deps.store.activeFor(input.service, input.environment);
  if (activeId) {
    type Stopped = AnswerOf<"just_ended" | "restoring" | "already_rolling_back" | "cancelled" | "rolling_back">;
    const { saved, result } = await update<Stopped>(deps, activeId, (current) => {
      const deploymentId = current.id;
      if (current.restore && restoringAfterEnd(current)) {
        return { refused: { ok: false, code: "restoring", deploymentId, backupId: current.restore.backupId } };
      }
      if (isFinal(current.state)) return { refused: { ok: false, code: "just_ended", deploymentId } };
      if (current.state === "rolling_back" || current.abort) {
        return { refused: { ok: false, code: "already_rolling_back", deploymentId } };
      }
      const now = deps.now();
      if (!touchedTraffic(current)) {
        return {
          next: endBadly(current, "cancelled", `${why} before anything was deployed`, now),
          result: { ok: true, code: "cancelled", deploymentId, version: current.version },
        };
      }
      return {
        next: { ...beginRollback(current, why, userId, now), ...(input.restore ? { restore: input.restore } : {}) },
        result: { ok: true, code: "rolling_back", deploymentId, version: current.version, to: current.previousVersion },
      };
    });
    await deps.audit.record({
      at: deps.now(),
      actor: userId,
      source: input.actor.kind,
      action: "rollback",
      outcome: result.ok ? "ok" : "refused",
      service: input.service,
      environment: input.environment,
      deploymentId: activeId,
      ...(input.reason ? { detail: input.reason } : {}),
      ...(result.ok ? {} : { answer: result }),
      via: input.via,
    });
    if (saved) {
      await deps.notifications.changed(saved);
      if (saved.state === "rolling_back") await enqueueAbort(deps.queues, saved);
    }
    return result;
  }

  const [good, last] = await Promise.all([
    deps.store.goodVersions(input.service, input.environment),
    deps.store.lastEnded(input.service, input.environment),
  ]);
  // A deployment that failed part-way may have left its version running: leave that one for the last good
  // one. A failed rollback deployment left the version it was leaving: go back from that one again.
  const stranded =
    last?.state === "failed"
      ? (last.rollbackOf ?? (good.includes(last.version) ? undefined : last.version))
      : undefined;
  const current = stranded ?? good[0];
  const refuse = async (
    answer: AnswerOf<"no_good_version" | "only_one_good" | "already_runs" | "not_good">,
  ): Promise<RollbackAnswer> => {
    await deps.audit.record({
      at: deps.now(),
      actor: userId,
      source: input.actor.kind,
      action: "rollback",
      outcome: "refused",
      service: input.service,
      environment: input.environment,
      ...(input.reason ? { detail: input.reason } : {}),
      answer,
      via: input.via,
    });
    return answer;
  };
  const { service, environment } = input;
  if (current === undefined || good.length === 0) {
    return refuse({ ok: false, code: "no_good_version", service, environment });
  }
  const target = input.version ?? good.find((v) => v !== current);
  if (target === undefined) return refuse({ ok: false, code: "only_one_good", service, environment, current });
  if (target === current) return refuse({ ok: false, code: "already_runs", service, environment, current });
  if (!good.includes(target)) return refuse({ ok: false, code: "not_good", service, environment, target, good });
  const request = {
    service,
    environment,
    version: target,
    hotfix: false,
    rollbackOf: current,
    ...(input.restore ? { restore: input.restore } : {}),
    ...(input.incident ? { incident: input.incident } : {}),
  };
  const outcome = await requestDeployment(deps, {
    actor: input.actor,
    via: input.via,
    request,
    ...(input.deploymentId ? { deploymentId: input.deploymentId } : {}),
  });
  if (outcome.code !== "started") return { ok: false, code: "request_refused", request, outcome };
  const { id: deploymentId, channel } = outcome.deployment;
  return { ok: true, code: "rollback_started", service, environment, from: current, to: target, deploymentId, channel };
}
