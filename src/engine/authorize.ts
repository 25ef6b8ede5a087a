import type { Actor } from "../domain/actor.js";
import {
  type Action,
  type Authorization,
  authorize,
  authorizeSlipway,
  authorizeSystem,
  groupsNeeded,
  holdsAnyRole,
  type RoleList,
} from "../domain/policy.js";
import type { Catalog } from "../manifests/catalog.js";
import type { AuditLog, AuditVia } from "../store/audit-log.js";

export type GroupLookup = { ok: true; groups: ReadonlySet<string> } | { ok: false; message: string };

/** Which of the given user groups a person belongs to (Slack's user groups, behind a cache). */
export interface GroupDirectory {
  groupsOf(userId: string, groupIds: readonly string[]): Promise<GroupLookup>;
}

/** A directory in which nobody belongs to any user group: for setups whose roles name users only. */
export const NO_USER_GROUPS: GroupDirectory = {
  groupsOf: async () => ({ ok: true, groups: new Set() }),
};

export interface AuthorizeDeps {
  readonly catalog: Catalog;
  readonly audit: AuditLog;
  readonly directory: GroupDirectory;
  readonly now: () => number;
}

/**
 * The user groups an actor belongs to, among those the roles name. Only a
 * person in Slack is in user groups.
 */
export async function groupsFor(
  deps: Pick<AuthorizeDeps, "catalog" | "directory">,
  actor: Actor,
  service: string,
  roleNames: RoleList,
): Promise<GroupLookup> {
  const roles = deps.catalog.service(service)?.manifest.roles ?? {};
  const needed = actor.kind === "slack" ? groupsNeeded(roles, roleNames) : [];
  if (needed.length === 0) return { ok: true, groups: new Set() };
  return deps.directory.groupsOf(actor.id, needed);
}

/** Whether a person in Slack holds one of the service's roles `roleNames` (directly or through a user group). */
export async function holdsRole(
  deps: Pick<AuthorizeDeps, "catalog" | "directory">,
  actor: Actor,
  service: string,
  roleNames: readonly string[],
): Promise<boolean> {
  if (actor.kind !== "slack") return false;
  const roles = deps.catalog.service(service)?.manifest.roles ?? {};
  if (holdsAnyRole(roles, roleNames, actor.id, new Set())) return true;
  const groups = await groupsFor(deps, actor, service, roleNames);
  return groups.ok && holdsAnyRole(roles, roleNames, actor.id, groups.groups);
}

/**
 * May this actor do `action` on this service and environment? A refusal is
 * written to the audit log and says which role is needed.
 */
export async function authorizeActor(
  deps: AuthorizeDeps,
  input: {
    action: Action;
    /** What was tried, for the audit log, when it is not the permission's name (Reject needs approve). */
    attempted?: string;
    actor: Actor;
    service: string;
    environment: string;
    via: AuditVia;
    deploymentId?: string;
  },
): Promise<Authorization> {
  const environment = deps.catalog.environment(input.service, input.environment);
  const roles = deps.catalog.service(input.service)?.manifest.roles ?? {};
  let decision: Authorization;
  const { actor } = input;
  if (!environment) {
    decision = { allowed: false, reason: `${input.service} has no environment '${input.environment}'` };
  } else if (actor.kind === "slipway") {
    decision = authorizeSlipway(input.action, input.environment);
  } else if (actor.kind !== "slack") {
    // A push or a schedule holds no role: the permission names it, or says anyone.
    decision = authorizeSystem({
      action: input.action,
      actor: actor.kind,
      permissions: environment.permissions,
      environment: input.environment,
    });
  } else {
    const ask = (userGroups: ReadonlySet<string>) =>
      authorize({
        action: input.action,
        userId: input.actor.id,
        userGroups,
        roles,
        permissions: environment.permissions,
        environment: input.environment,
      });
    // Named users need no look-up; user groups are resolved only when that is not enough.
    decision = ask(new Set());
    if (!decision.allowed) {
      const groups = await groupsFor(
        deps,
        input.actor,
        input.service,
        environment.permissions[input.action] ?? "anyone",
      );
      decision = groups.ok ? ask(groups.groups) : { allowed: false, reason: groups.message };
    }
  }
  if (!decision.allowed) {
    await deps.audit.record({
      at: deps.now(),
      actor: input.actor.id,
      source: input.actor.kind,
      action: input.attempted ?? input.action,
      outcome: "refused",
      service: input.service,
      environment: input.environment,
      ...(input.deploymentId ? { deploymentId: input.deploymentId } : {}),
      detail: decision.reason,
      via: input.via,
    });
  }
  return decision;
}
