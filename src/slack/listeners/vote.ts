import { slackActor } from "../../domain/actor.js";
import { isDeploymentId } from "../../domain/ids.js";
import type { Authorization, Decision } from "../../domain/policy.js";
import { SECURITY_ROLE } from "../../domain/sensitive.js";
import { authorizeActor, holdsRole } from "../../engine/authorize.js";
import { type GateAnswer, recordVote } from "../../engine/gates.js";
import type { AuditVia } from "../../store/audit-log.js";
import type { ListenerDeps } from "./deps.js";

/** The same path for the Approve button, `/approve` and the reject dialog: find, authorise, count once. */
export async function vote(
  deps: ListenerDeps,
  input: { deploymentId: string; userId: string; decision: Decision; reason?: string; via: AuditVia },
): Promise<GateAnswer> {
  if (!isDeploymentId(input.deploymentId)) {
    return { ok: false, message: "That is not a deployment id (they look like `d-7k3m9x2q`); nothing changed." };
  }
  const d = await deps.store.get(input.deploymentId);
  if (!d)
    return { ok: false, message: `There is no deployment \`${input.deploymentId}\`; \`/deploy status\` lists them.` };
  // On a sensitive deployment the security role approves too, whoever else the environment lets approve.
  const security =
    d.sensitive === true && (await holdsRole(deps, slackActor(input.userId), d.service, [SECURITY_ROLE]));
  const allowed: Authorization = security
    ? { allowed: true }
    : await authorizeActor(deps, {
        action: "approve",
        attempted: input.decision,
        actor: slackActor(input.userId),
        service: d.service,
        environment: d.environment,
        via: input.via,
        deploymentId: d.id,
      });
  if (!allowed.allowed) return { ok: false, message: `Not counted: ${allowed.reason}.` };
  return recordVote(deps, { ...input, allowed, security });
}
