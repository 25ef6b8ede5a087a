import type { Deployment } from "../domain/deployment.js";
import { watching } from "../domain/monitoring-windows.js";
import { type EnvironmentScope, environmentsIn } from "./environment-scope.js";
import type { RequestDeps } from "./request-deployment.js";

/*
 * Succeeded deployments whose extended window still watches them (see
 * domain/monitoring-windows.ts): they no longer hold their environment, but
 * their metrics are still measured and a trip still rolls them back, so
 * /deploy status and the Home tab list them. A watched deployment is always
 * the last one that ended in its environment (a newer one ending there ends
 * the watch), so one read per environment finds it.
 */

/** Every watched deployment in `scope`, per service and environment in the manifests' order. */
export async function watchedDeployments(
  deps: Pick<RequestDeps, "catalog" | "store">,
  scope: EnvironmentScope = {},
): Promise<Deployment[]> {
  const last = await Promise.all(
    environmentsIn(deps.catalog, scope).map(({ service, environment }) => deps.store.lastEnded(service, environment)),
  );
  return last.filter((d): d is Deployment => d !== undefined && watching(d));
}
