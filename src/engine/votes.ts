import { slackActor } from "../domain/actor.js";
import type { Deployment } from "../domain/deployment.js";
import { isDeploymentId } from "../domain/ids.js";
import type { Authorization, Decision } from "../domain/policy.js";
import { SECURITY_ROLE } from "../domain/sensitive.js";
import type { AuditVia } from "../store/audit-log.js";
import type { VoteAnswer } from "./answers.js";
import { type AuthorizeDeps, authorizeActor, holdsRole } from "./authorize.js";
import { type GateDeps, recordVote } from "./gates.js";

/*
 * Approving and rejecting, whatever the surface (the Approve button,
 * `/approve`, the reject dialog): find the deployment, authorise the voter
 * (and audit a refusal), count the vote once.
 */

export type VoteDeps = GateDeps & AuthorizeDeps;

type VoteInput = { deploymentId: string; userId: string; decision: Decision; via: AuditVia };

/**
 * May this person vote on the deployment? Asked before the reject dialog
 * opens, so nobody writes a reason for a vote that would not count. On a
 * sensitive deployment the security role votes too, whoever else the
 * environment lets approve.
 */
export async function mayVote(
  deps: VoteDeps,
  input: VoteInput,
): Promise<
  | { readonly ok: true; readonly deployment: Deployment; readonly allowed: Authorization; readonly security: boolean }
  | Extract<VoteAnswer, { ok: false }>
> {
  if (!isDeploymentId(input.deploymentId)) return { ok: false, code: "not_a_deployment_id" };
  const d = await deps.store.get(input.deploymentId);
  if (!d) return { ok: false, code: "no_such_deployment", deploymentId: input.deploymentId };
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
  if (!allowed.allowed) return { ok: false, code: "forbidden", attempted: "vote", reason: allowed.reason };
  return { ok: true, deployment: d, allowed, security };
}

/** Counts one approval or rejection; see the comment at the top of this file. */
export async function vote(deps: VoteDeps, input: VoteInput & { reason?: string }): Promise<VoteAnswer> {
  const may = await mayVote(deps, input);
  if (!may.ok) return may;
  return recordVote(deps, { ...input, allowed: may.allowed, security: may.security });
}
