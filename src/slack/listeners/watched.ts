import type { EnvironmentScope } from "../../engine/environment-scope.js";
import { watchedDeployments } from "../../engine/watched-deployments.js";
import type { WatchedDeployment } from "../renderers/watching-line.js";
import type { ListenerDeps } from "./deps.js";

/** The deployments an extended window watches in `scope`, each with its root message once posted: for /deploy status and the Home tab. */
export async function watchedWithThreads(
  deps: ListenerDeps,
  scope: EnvironmentScope = {},
): Promise<WatchedDeployment[]> {
  const watched = await watchedDeployments(deps, scope);
  return Promise.all(
    watched.map(async (deployment) => {
      const root = (await deps.refs.get(deployment.id)).posted.get("root");
      return { deployment, ...(root ? { rootTs: root.ts } : {}) };
    }),
  );
}
