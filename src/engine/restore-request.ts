import type { Actor } from "../domain/actor.js";
import type { RestoreRecord } from "../domain/backup.js";
import { type Deployment, touchedTraffic } from "../domain/deployment.js";
import type { AuditVia } from "../store/audit-log.js";
import { authorizeActor } from "./authorize.js";
import type { GateDeps } from "./gates.js";
import type { RequestDeps } from "./request-deployment.js";
import { type RollbackAnswer, requestRollback } from "./rollback-request.js";

/*
 * `/rollback … --restore`, the seed's disaster recovery: the way back, then
 * the restore of the backup the rolled-back deployment's backup stage took
 * (the id it printed as `backup-id: …`). The deployment rolled back is the
 * one under way, rolled back where it stands, or else the last one that
 * ended with its version live, which a rollback deployment of the earlier
 * good version replaces. Only the roles `permissions.restore` names may ask.
 *
 * It is asked in two moves, both here: `checkRestore` before the Slack
 * dialog that confirms it opens (so a refusal comes at once), and
 * `requestRestore` once it is confirmed, which checks again (things may have
 * moved meanwhile), then rolls back with the restore attached, and audits.
 */

export interface RestoreInput {
  readonly service: string;
  readonly environment: string;
  readonly reason?: string;
  readonly actor: Actor;
  readonly via: AuditVia;
}

export type RestoreRefusal =
  | { readonly ok: false; readonly code: "forbidden"; readonly reason: string }
  | { readonly ok: false; readonly code: "no_restore_action"; readonly service: string }
  | {
      readonly ok: false;
      readonly code: "nothing_live";
      readonly service: string;
      readonly environment: string;
      /** The last deployment, when one ended without its version live (rolled back, cancelled…). */
      readonly last?: Deployment;
    }
  | { readonly ok: false; readonly code: "no_backup"; readonly deployment: Deployment };

/** What a confirmed restore would do: roll `deployment` back and restore `backupId`. */
export type RestoreCheck =
  | RestoreRefusal
  | { readonly ok: true; readonly deployment: Deployment; readonly backupId: string };

/** The answer to a confirmed restore: refused, or the rollback it started (itself refused, maybe) and the backup. */
export type RestoreAnswer =
  | RestoreRefusal
  | {
      readonly ok: boolean;
      readonly code: "restoring";
      readonly deployment: Deployment;
      readonly backupId: string;
      readonly rollback: RollbackAnswer;
    };

/** The deployment a rollback would take back now: the one under way, else the last one whose version is live. */
async function deploymentToRollBack(deps: GateDeps, input: RestoreInput): Promise<Deployment | RestoreRefusal> {
  const activeId = await deps.store.activeFor(input.service, input.environment);
  const candidate = activeId
    ? await deps.store.get(activeId)
    : await deps.store.lastEnded(input.service, input.environment);
  const live =
    candidate !== undefined &&
    touchedTraffic(candidate) &&
    (activeId !== undefined || candidate.state === "succeeded" || candidate.state === "failed");
  if (candidate && live) return candidate;
  return {
    ok: false,
    code: "nothing_live",
    service: input.service,
    environment: input.environment,
    ...(candidate ? { last: candidate } : {}),
  };
}

/** Whether `input` may restore now, and what it would restore; a refusal is audited. */
export async function checkRestore(deps: GateDeps & RequestDeps, input: RestoreInput): Promise<RestoreCheck> {
  const allowed = await authorizeActor(deps, {
    action: "restore",
    actor: input.actor,
    service: input.service,
    environment: input.environment,
    via: input.via,
  });
  if (!allowed.allowed) return { ok: false, code: "forbidden", reason: allowed.reason };
  const service = deps.catalog.require(input.service);
  const found: Deployment | RestoreRefusal = service.target.supports("restore")
    ? await deploymentToRollBack(deps, input)
    : { ok: false, code: "no_restore_action", service: input.service };
  const check: RestoreCheck =
    "code" in found
      ? found
      : found.backupId === undefined
        ? { ok: false, code: "no_backup", deployment: found }
        : { ok: true, deployment: found, backupId: found.backupId };
  if (!check.ok) {
    await deps.audit.record({
      at: deps.now(),
      actor: input.actor.id,
      source: input.actor.kind,
      action: "restore",
      outcome: "refused",
      service: input.service,
      environment: input.environment,
      ...(check.code === "no_backup" ? { deploymentId: check.deployment.id } : {}),
      detail: check.code,
      via: input.via,
    });
  }
  return check;
}

/** A confirmed `/rollback … --restore`: checked again, then the rollback with the restore attached; audited. */
export async function requestRestore(deps: GateDeps & RequestDeps, input: RestoreInput): Promise<RestoreAnswer> {
  const check = await checkRestore(deps, input);
  if (!check.ok) return check;
  const restore: RestoreRecord = {
    backupId: check.backupId,
    takenBy: check.deployment.id,
    by: input.actor.id,
    at: deps.now(),
  };
  const rollback = await requestRollback(deps, { ...input, restore });
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
