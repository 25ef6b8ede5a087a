import type { Actor } from "../domain/actor.js";
import type { RestoreRecord } from "../domain/backup.js";
import {
  type Deployment,
  endedBack,
  leftLive,
  restoringAfterEnd,
  rolledBackTo,
  touchedTraffic,
} from "../domain/deployment.js";
import type { AuditVia } from "../store/audit-log.js";
import { EnvironmentHeldError } from "../store/deployment-store.js";
import { authorizeActor } from "./authorize.js";
import type { GateDeps } from "./gates.js";
import type { RequestDeps } from "./request-deployment.js";
import { enqueueRestore, showLiveRoot } from "./restore-after-end.js";
import { type RollbackAnswer, requestRollback } from "./rollback-request.js";
import { update } from "./update-deployment.js";

/*
 * `/rollback … --restore`, the seed's disaster recovery: the way back, then
 * the restore of the backup the rolled-back deployment's backup stage took
 * (the id it printed as `backup-id: …`). The deployment rolled back is the
 * one under way, rolled back where it stands, or else the last one that
 * ended with its version live, which a rollback deployment of the earlier
 * good version replaces. When the last one already ended back on the earlier
 * version (rolled back without --restore, or failed after its way back), its
 * backup is restored afterwards instead: the restore alone, then the
 * post-rollback validation again (see restore-after-end.ts), the deployment
 * holding its service and environment meanwhile, so nothing deploys there
 * until it is done. Only the roles `permissions.restore` names may ask.
 *
 * When the last one is a /rollback deployment that succeeded, the code is
 * back already and what is asked for is the data: the backup restored is
 * the one the deployment it replaced took (the last one before it that left
 * the version it names in `rollbackOf` live), the same way, after the end.
 * The restore is recorded on the rollback deployment, not on the one that
 * took the backup: it is the latest there, so it is what holds the
 * environment (the active key, the checks that a dialog or a button still
 * acts on the latest deployment), its thread is where people look, and its
 * post-rollback validation is the one checked again; `takenBy` names the
 * deployment whose backup it is.
 *
 * It is asked in two moves, both here: `checkRestore` before the Slack
 * dialog that confirms it opens (so a refusal comes at once), and
 * `requestRestore` once it is confirmed, which checks again (things may have
 * moved meanwhile), then rolls back with the restore attached (or records
 * the restore on the deployment that ended back and queues its job), and
 * audits. A deployment is restored once: a second confirmation (a double
 * click) finds the restore recorded and is refused, saying how it goes; one
 * confirmed after another deployment started there is refused, naming it.
 * The confirmation names the deployment its dialog was opened for, and acts
 * on that one only: when a restore would now act on another (a newer
 * deployment ended or started there meanwhile), it is refused, naming the
 * latest, so a dialog never restores what the person did not see.
 */

export interface RestoreInput {
  readonly service: string;
  readonly environment: string;
  readonly reason?: string;
  readonly actor: Actor;
  readonly via: AuditVia;
}

/** A restore confirmed in its dialog: `deploymentId` is the deployment the dialog asked about. */
export interface ConfirmedRestore extends RestoreInput {
  readonly deploymentId: string;
}

export type RestoreRefusal =
  | { readonly ok: false; readonly code: "forbidden"; readonly reason: string }
  | { readonly ok: false; readonly code: "no_restore_action"; readonly service: string }
  | {
      readonly ok: false;
      readonly code: "nothing_live";
      readonly service: string;
      readonly environment: string;
      /** The last deployment, when one ended without its version live (cancelled, failed before deploying…). */
      readonly last?: Deployment;
    }
  /** `deployment` took no backup; `rolledBackBy`, the /rollback deployment that replaced it, when that was asked about. */
  | {
      readonly ok: false;
      readonly code: "no_backup";
      readonly deployment: Deployment;
      readonly rolledBackBy?: Deployment;
    }
  /**
   * `deployment`, a /rollback deployment that succeeded, replaced one no
   * longer kept (its record dropped, or older than Slipway's records), so
   * which backup to restore is not known.
   */
  | { readonly ok: false; readonly code: "replaced_unknown"; readonly deployment: Deployment }
  /** The deployment that ended back (or the /rollback deployment) already has a restore: done, failed, or under way. */
  | { readonly ok: false; readonly code: "already_restored"; readonly deployment: Deployment }
  /**
   * Another deployment (`holder`, when still stored) started in its
   * environment before `restore`, asked for `deployment`, was recorded.
   */
  | {
      readonly ok: false;
      readonly code: "busy";
      readonly deployment: Deployment;
      readonly restore: RestoreRecord;
      readonly holderId: string;
      readonly holder?: Deployment;
    }
  /**
   * Confirmed for `deploymentId`, but a restore there would now act on
   * another deployment: `latest`, the one a new ask would find.
   */
  | {
      readonly ok: false;
      readonly code: "not_latest";
      readonly service: string;
      readonly environment: string;
      readonly deploymentId: string;
      readonly latest: Deployment;
    };

/**
 * What a confirmed restore would do: roll `deployment` back and restore
 * `backupId`, or (`afterEnd`) only restore it, `deployment` having ended
 * back on the earlier version already, or being the /rollback deployment
 * that took the environment back. `takenBy` took the backup: `deployment`
 * itself, or the one the /rollback deployment replaced.
 */
export interface RestorePlan {
  readonly ok: true;
  readonly deployment: Deployment;
  readonly takenBy: Deployment;
  readonly backupId: string;
  readonly afterEnd: boolean;
}

export type RestoreCheck = RestoreRefusal | RestorePlan;

/**
 * The answer to a confirmed restore: refused; the rollback it started (itself
 * refused, maybe) and the backup; or the restore alone of a deployment that
 * ended back.
 */
export type RestoreAnswer =
  | RestoreRefusal
  | {
      readonly ok: boolean;
      readonly code: "restoring";
      readonly deployment: Deployment;
      readonly backupId: string;
      readonly rollback: RollbackAnswer;
    }
  | {
      readonly ok: true;
      readonly code: "restoring_after_end";
      readonly deployment: Deployment;
      readonly takenBy: Deployment;
      readonly backupId: string;
    };

/**
 * A deployment a restore would act on, whether it is back on the earlier
 * version already, and the one whose backup it restores when another; or
 * why there is none.
 */
type Found = { deployment: Deployment; afterEnd: boolean; takenBy?: Deployment } | RestoreRefusal;

/**
 * The deployment a succeeded /rollback deployment `r` replaced: the last one
 * that ended before `r` started with the version `r` took the environment
 * back from left live. Undefined when no record of it is kept.
 */
async function replacedBy(deps: GateDeps, r: Deployment): Promise<Deployment | undefined> {
  for await (const d of deps.store.endedBefore(r.service, r.environment, r.createdAt)) {
    if (d.id !== r.id && d.version === r.rollbackOf && leftLive(d)) return d;
  }
  return undefined;
}

/** What a restore would act on now: the deployment under way, else the last one that ended (live, or back). */
async function deploymentToRestore(deps: GateDeps, input: RestoreInput): Promise<Found> {
  const activeId = await deps.store.activeFor(input.service, input.environment);
  const candidate = activeId
    ? await deps.store.get(activeId)
    : await deps.store.lastEnded(input.service, input.environment);
  // One that ended back holds the environment while its backup is restored: it is the one asked about.
  if (candidate && endedBack(candidate)) return { deployment: candidate, afterEnd: true };
  // So does a /rollback deployment that succeeded, restoring the backup of the deployment it replaced.
  if (candidate && rolledBackTo(candidate)) {
    const takenBy = await replacedBy(deps, candidate);
    return takenBy
      ? { deployment: candidate, afterEnd: true, takenBy }
      : { ok: false, code: "replaced_unknown", deployment: candidate };
  }
  const live = candidate !== undefined && (activeId !== undefined ? touchedTraffic(candidate) : leftLive(candidate));
  if (candidate && live) return { deployment: candidate, afterEnd: false };
  return {
    ok: false,
    code: "nothing_live",
    service: input.service,
    environment: input.environment,
    ...(candidate ? { last: candidate } : {}),
  };
}

/** Whether the deployment found may have the backup restored, the way `afterEnd` says; the refusal when not. */
function restoreOf({ deployment: d, afterEnd, takenBy = d }: Exclude<Found, RestoreRefusal>): RestoreCheck {
  if (afterEnd && d.restore) return { ok: false, code: "already_restored", deployment: d };
  if (takenBy.backupId === undefined) {
    return { ok: false, code: "no_backup", deployment: takenBy, ...(takenBy === d ? {} : { rolledBackBy: d }) };
  }
  return { ok: true, deployment: d, takenBy, backupId: takenBy.backupId, afterEnd };
}

/** Whether `input` may restore now, and what it would restore; a refusal is audited. */
export async function checkRestore(deps: GateDeps & RequestDeps, input: RestoreInput): Promise<RestoreCheck> {
  const check = await examineRestore(deps, input);
  if (!check.ok) await auditRefusal(deps, input, check);
  return check;
}

/** What `input` would restore now, or why it may not; not audited. */
async function examineRestore(deps: GateDeps & RequestDeps, input: RestoreInput): Promise<RestoreCheck> {
  const allowed = await authorizeActor(deps, {
    action: "restore",
    actor: input.actor,
    service: input.service,
    environment: input.environment,
    via: input.via,
  });
  if (!allowed.allowed) return { ok: false, code: "forbidden", reason: allowed.reason };
  const service = deps.catalog.require(input.service);
  const found: Found = service.target.supports("restore")
    ? await deploymentToRestore(deps, input)
    : { ok: false, code: "no_restore_action", service: input.service };
  return "code" in found ? found : restoreOf(found);
}

/** Audits a refusal; a forbidden one was audited already, by the permission check, saying which role is needed. */
async function auditRefusal(deps: GateDeps, input: RestoreInput, refusal: RestoreRefusal): Promise<void> {
  if (refusal.code === "forbidden") return;
  await deps.audit.record({
    at: deps.now(),
    actor: input.actor.id,
    source: input.actor.kind,
    action: "restore",
    outcome: "refused",
    service: input.service,
    environment: input.environment,
    ...("deployment" in refusal
      ? { deploymentId: refusal.deployment.id }
      : refusal.code === "not_latest"
        ? { deploymentId: refusal.deploymentId }
        : {}),
    detail: refusal.code === "not_latest" ? `not_latest: ${refusal.latest.id} is the latest now` : refusal.code,
    via: input.via,
  });
}

/**
 * The restore of a deployment that ended back (or of the backup of the one
 * a /rollback deployment replaced), recorded on it in one compare-and-set
 * (so only one confirmation wins) that also has it hold its service and
 * environment again, refused when another deployment started there
 * meanwhile; then queued. A restore already recorded but not yet run is
 * queued again, which is a no-op unless its job was lost.
 */
async function restoreAfterEnd(deps: GateDeps, input: RestoreInput, plan: RestorePlan): Promise<RestoreAnswer> {
  const { deployment: d, takenBy, backupId } = plan;
  const now = deps.now();
  const restore: RestoreRecord = { backupId, takenBy: takenBy.id, by: input.actor.id, at: now, afterEnd: true };
  const refuse = async (refusal: RestoreRefusal): Promise<RestoreRefusal> => {
    await auditRefusal(deps, input, refusal);
    return refusal;
  };
  let saved: Deployment | undefined;
  try {
    ({ saved } = await update(deps, d.id, (current) =>
      current.restore ? { refused: undefined } : { next: { ...current, restore, updatedAt: now }, result: undefined },
    ));
  } catch (error) {
    if (!(error instanceof EnvironmentHeldError)) throw error;
    const holder = await deps.store.get(error.holderId);
    const busy = { ok: false, code: "busy", deployment: d, restore, holderId: error.holderId } as const;
    return refuse({ ...busy, ...(holder ? { holder } : {}) });
  }
  if (!saved) return refuse({ ok: false, code: "already_restored", deployment: await deps.store.require(d.id) });
  await enqueueRestore(deps, saved);
  await deps.audit.record({
    at: now,
    actor: input.actor.id,
    source: input.actor.kind,
    action: "restore",
    outcome: "ok",
    service: input.service,
    environment: input.environment,
    deploymentId: d.id,
    detail: `backup ${backupId}${input.reason ? `: ${input.reason}` : ""}`,
    via: input.via,
  });
  await deps.notifications.changed(saved);
  await showLiveRoot(deps, saved);
  return { ok: true, code: "restoring_after_end", deployment: saved, takenBy, backupId };
}

/** The deployment a restore check is about, when it found one. */
function foundBy(check: RestoreCheck): Deployment | undefined {
  if (!check.ok && check.code === "no_backup") return check.rolledBackBy ?? check.deployment;
  if ("deployment" in check) return check.deployment;
  return check.code === "nothing_live" ? check.last : undefined;
}

/**
 * A confirmed `/rollback … --restore`: checked again, refused when it would
 * now act on another deployment than the one confirmed, then the rollback
 * with the restore attached, or the restore alone; audited.
 */
export async function requestRestore(deps: GateDeps & RequestDeps, input: ConfirmedRestore): Promise<RestoreAnswer> {
  const examined = await examineRestore(deps, input);
  const found = foundBy(examined);
  const { service, environment, deploymentId } = input;
  const check: RestoreCheck =
    found !== undefined && found.id !== deploymentId
      ? { ok: false, code: "not_latest", service, environment, deploymentId, latest: found }
      : examined;
  if (!check.ok) {
    await auditRefusal(deps, input, check);
    // A restore recorded whose job was lost (the process died in between) is queued again by the next ask.
    if (check.code === "already_restored" && restoringAfterEnd(check.deployment)) {
      await enqueueRestore(deps, check.deployment);
    }
    return check;
  }
  if (check.afterEnd) return restoreAfterEnd(deps, input, check);
  const restore: RestoreRecord = {
    backupId: check.backupId,
    takenBy: check.deployment.id,
    by: input.actor.id,
    at: deps.now(),
  };
  // The rollback goes ahead only from the deployment confirmed (the rollback deployment's id is its own).
  const { deploymentId: _confirmed, ...asked } = input;
  const rollback = await requestRollback(deps, { ...asked, from: check.deployment, restore });
  await deps.audit.record({
    at: deps.now(),
    actor: input.actor.id,
    source: input.actor.kind,
    action: "restore",
    outcome: rollback.ok ? "ok" : "refused",
    service: input.service,
    environment: input.environment,
    deploymentId: check.deployment.id,
    detail: `backup ${check.backupId}${input.reason ? `: ${input.reason}` : ""}`,
    via: input.via,
  });
  return { ok: rollback.ok, code: "restoring", deployment: check.deployment, backupId: check.backupId, rollback };
}
