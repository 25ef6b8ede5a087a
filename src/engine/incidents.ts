import type { AuditVia } from "../store/audit-log.js";
import type { GateAnswer, GateDeps } from "./gates.js";
import { update } from "./update-deployment.js";

/** On-call acknowledges an incident alert: recorded once, with who and when. */
export async function acknowledgeIncident(
  deps: GateDeps,
  input: { deploymentId: string; userId: string; via: AuditVia },
): Promise<GateAnswer> {
  const now = deps.now();
  const { saved, result } = await update<GateAnswer>(deps, input.deploymentId, (current) => {
    if (!current.incident)
      return { refused: { ok: false, message: `\`${current.id}\` has no incident to acknowledge.` } };
    if (current.incident.acknowledgedBy) {
      return { refused: { ok: false, message: `Already acknowledged by <@${current.incident.acknowledgedBy}>.` } };
    }
    return {
      next: {
        ...current,
        incident: { ...current.incident, acknowledgedBy: input.userId, acknowledgedAt: now },
        updatedAt: now,
      },
      result: { ok: true, message: `Acknowledged the incident of \`${current.id}\`.` },
    };
  });
  const d = saved ?? (await deps.store.require(input.deploymentId));
  await deps.audit.record({
    at: now,
    actor: input.userId,
    action: "acknowledge",
    outcome: result.ok ? "ok" : "refused",
    service: d.service,
    environment: d.environment,
    deploymentId: d.id,
    via: input.via,
  });
  if (saved) await deps.notifications.changed(saved);
  return result;
}
