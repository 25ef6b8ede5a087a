import type { Actor } from "../domain/actor.js";
import type { AuditVia } from "../store/audit-log.js";
import type { Lock, LockStore } from "../store/locks.js";
import { type AuthorizeDeps, authorizeActor } from "./authorize.js";
import { type PlanProblem, planDeployment } from "./request-deployment.js";

/*
 * Locking and unlocking a service's environment: authorised (the
 * environment's `lock` permission, which unlocking needs too), applied and
 * audited here, for every source. Answers are codes and data.
 */

export interface LockDeps extends AuthorizeDeps {
  readonly locks: LockStore;
}

export interface LockInput {
  readonly actor: Actor;
  readonly via: AuditVia;
  readonly service: string;
  readonly environment: string;
}

export type LockOutcome =
  | { readonly code: "locked"; readonly lock: Lock }
  | { readonly code: "already_locked"; readonly held: Lock }
  | { readonly code: "invalid"; readonly problem: PlanProblem }
  | { readonly code: "forbidden"; readonly reason: string };

export type UnlockOutcome =
  | { readonly code: "unlocked"; readonly held: Lock }
  | { readonly code: "not_locked" }
  | { readonly code: "forbidden"; readonly reason: string };

/** Locks `service` in `environment` for `forMs` (until someone unlocks it when left out). */
export async function lockEnvironment(
  deps: LockDeps,
  input: LockInput & { readonly reason: string; readonly forMs?: number },
): Promise<LockOutcome> {
  const plan = planDeployment(deps.catalog, { service: input.service, environment: input.environment });
  if (!plan.ok) return { code: "invalid", problem: plan.problem };
  const allowed = await authorizeActor(deps, { ...input, action: "lock" });
  if (!allowed.allowed) return { code: "forbidden", reason: allowed.reason };
  const at = deps.now();
  const lock: Lock = {
    service: input.service,
    environment: input.environment,
    owner: input.actor.id,
    reason: input.reason,
    at,
    ...(input.forMs === undefined ? {} : { expiresAt: at + input.forMs }),
  };
  const taken = await deps.locks.take(lock);
  await deps.audit.record({
    at,
    actor: input.actor.id,
    source: input.actor.kind,
    action: "lock",
    outcome: taken.ok ? "ok" : "refused",
    service: input.service,
    environment: input.environment,
    detail: taken.ok ? input.reason : `already locked by <@${taken.held.owner}>`,
    via: input.via,
  });
  return taken.ok ? { code: "locked", lock } : { code: "already_locked", held: taken.held };
}

/** Lifts the lock of `service` in `environment`. */
export async function unlockEnvironment(deps: LockDeps, input: LockInput): Promise<UnlockOutcome> {
  const allowed = await authorizeActor(deps, { ...input, action: "lock" });
  if (!allowed.allowed) return { code: "forbidden", reason: allowed.reason };
  const held = await deps.locks.get(input.service, input.environment);
  const released = held ? await deps.locks.release(input.service, input.environment) : false;
  await deps.audit.record({
    at: deps.now(),
    actor: input.actor.id,
    source: input.actor.kind,
    action: "unlock",
    outcome: released ? "ok" : "refused",
    service: input.service,
    environment: input.environment,
    detail: held ? `lock by <@${held.owner}>: ${held.reason}` : "was not locked",
    via: input.via,
  });
  return held && released ? { code: "unlocked", held } : { code: "not_locked" };
}
