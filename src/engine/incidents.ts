import type { AuditVia } from "../store/audit-log.js";
import type { AcknowledgeAnswer } from "./answers.js";
import type { GateDeps } from "./gates.js";
import { update } from "./update-deployment.js";

/** On-call acknowledges an incident alert: recorded once, with who and when. */
export async function acknowledgeIncident(
  deps: GateDeps,
  input: { deploymentId: string; userId: string; via: AuditVia },
): Promise<AcknowledgeAnswer> {
  const now = deps.now();
  const { saved, result } = await update<AcknowledgeAnswer>(deps, input.deploymentId, (current) => {
    if (!current.incident) return { refused: { ok: false, code: "no_incident", deploymentId: current.id } };
    if (current.incident.acknowledgedBy) {
      return { refused: { ok: false, code: "already_acknowledged", by: current.incident.acknowledgedBy } };
    }
    return {
      next: {
        ...current,
        incident: { ...current.incident, acknowledgedBy: input.userId, acknowledgedAt: now },
        updatedAt: now,
      },
      result: { ok: true, code: "acknowledged", deploymentId: current.id },
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
    ...(result.ok ? {} : { answer: result }),
    via: input.via,
  });
  if (saved) await deps.notifications.changed(saved);
  return result;
}
