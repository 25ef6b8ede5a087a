import { itemsFor } from "../domain/checklist.js";
import type { Deployment } from "../domain/deployment.js";
import { proofOf } from "../domain/deployment-record.js";
import type { PreProductionReview, RollbackPlan } from "../domain/pre-production.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { DeploymentStore } from "../store/deployment-store.js";

/*
 * The go/no-go material of an approval card that the deployment does not
 * carry itself: how the same version did in the environment it had to pass
 * first (its record there), and the environment's way back. Found once, when
 * the approval is asked for.
 */

/** Where the version had to be proven before `environment`: the promotion gate's environment, else staging. */
function provenIn(service: LoadedService, environment: string): string | undefined {
  const environments = service.manifest.environments;
  const required = environments[environment]?.requires?.environment;
  if (required !== undefined) return required;
  return environment !== "staging" && environments.staging !== undefined ? "staging" : undefined;
}

/** The way back as engine/rollback.ts would take it for `d`. */
export function rollbackPlanOf(service: LoadedService, d: Deployment): RollbackPlan {
  const split = d.strategy === "canary" || d.strategy === "blue-green";
  return {
    ...(d.previousVersion ? { toVersion: d.previousVersion } : {}),
    trafficFirst: split && service.target.supports("setTraffic"),
    rollbackAction: service.target.supports("rollback"),
    validation: itemsFor(service.manifest, d.environment, "post-rollback").map((item) => item.title),
    verifiedBy: d.stages.filter((s) => s.step.action === "verifyRollback").map((s) => s.name),
    automatic: service.metrics !== undefined,
  };
}

export async function findPreProductionReview(
  deps: { readonly store: DeploymentStore },
  service: LoadedService,
  d: Deployment,
): Promise<PreProductionReview> {
  const from = provenIn(service, d.environment);
  const record = from === undefined ? undefined : await deps.store.passedRecord(d.service, from, d.version);
  return {
    ...(from === undefined ? {} : { provenIn: from }),
    ...(record ? { proof: proofOf(record) } : {}),
    rollbackPlan: rollbackPlanOf(service, d),
  };
}
