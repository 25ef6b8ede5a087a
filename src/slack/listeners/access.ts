import { type Action, type Authorization, authorize, groupsNeeded } from "../../domain/policy.js";
import type { AuditVia } from "../../store/audit-log.js";
import type { ListenerDeps } from "./deps.js";

/** The user groups a person belongs to, among those that `action` in `environment` names. */
export async function groupsFor(
  deps: ListenerDeps,
  userId: string,
  service: string,
  roleNames: Parameters<typeof groupsNeeded>[1],
): Promise<{ ok: true; groups: ReadonlySet<string> } | { ok: false; message: string }> {
  const roles = deps.catalog.service(service)?.manifest.roles ?? {};
  const needed = groupsNeeded(roles, roleNames);
  if (needed.length === 0) return { ok: true, groups: new Set() };
  return deps.directory.groupsOf(userId, needed);
}

/**
 * May this person do `action` on this service and environment? A refusal is
 * written to the audit log and says which role is needed.
 */
export async function mayDo(
  deps: ListenerDeps,
  input: {
    action: Action;
    /** What the person tried, for the audit log, when it is not the permission's name (Reject needs approve). */
    attempted?: string;
    userId: string;
    service: string;
    environment: string;
    via: AuditVia;
    deploymentId?: string;
  },
): Promise<Authorization> {
  const environment = deps.catalog.environment(input.service, input.environment);
  const roles = deps.catalog.service(input.service)?.manifest.roles ?? {};
  let decision: Authorization;
  if (!environment) {
    decision = { allowed: false, reason: `${input.service} has no environment '${input.environment}'` };
  } else {
    const ask = (userGroups: ReadonlySet<string>) =>
      authorize({
        action: input.action,
        userId: input.userId,
        userGroups,
        roles,
        permissions: environment.permissions,
        environment: input.environment,
      });
    // Named users need no look-up; user groups are resolved only when that is not enough.
    decision = ask(new Set());
    if (!decision.allowed) {
      const groups = await groupsFor(deps, input.userId, input.service, environment.permissions[input.action]);
      decision = groups.ok ? ask(groups.groups) : { allowed: false, reason: groups.message };
    }
  }
  if (!decision.allowed) {
    await deps.audit.record({
      at: deps.now(),
      actor: input.userId,
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
