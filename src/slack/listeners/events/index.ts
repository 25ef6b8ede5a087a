import type { App } from "@slack/bolt";
import { waitingDeployments } from "../../../engine/waiting-deployments.js";
import { coerceError } from "../../../errors.js";
import { type HomeEnvironment, type HomeService, renderHome } from "../../renderers/home.js";
import { permalink } from "../../renderers/watch.js";
import type { ListenerDeps } from "../deps.js";
import { watchedWithThreads } from "../watched.js";

/** What each environment of each service runs now, for the Home tab. */
export async function whatIsWhere(deps: ListenerDeps): Promise<HomeService[]> {
  return Promise.all(
    deps.catalog.serviceNames().map(async (name) => {
      const environments = Object.keys(deps.catalog.service(name)?.manifest.environments ?? {});
      return {
        name,
        environments: await Promise.all(environments.map((environment) => environmentNow(deps, name, environment))),
      };
    }),
  );
}

async function environmentNow(deps: ListenerDeps, service: string, name: string): Promise<HomeEnvironment> {
  const [live, activeId, lock] = await Promise.all([
    deps.store.lastSucceeded(service, name),
    deps.store.activeFor(service, name),
    deps.locks.get(service, name),
  ]);
  const deployment = activeId === undefined ? undefined : await deps.store.get(activeId);
  const root = deployment ? (await deps.refs.get(deployment.id)).posted.get("root") : undefined;
  return {
    name,
    ...(live ? { live } : {}),
    ...(deployment
      ? { active: { deployment, ...(root ? { thread: permalink(deployment.channel, root.ts) } : {}) } }
      : {}),
    ...(lock ? { lock } : {}),
  };
}

/** The App Home tab, published afresh each time someone opens it. */
export function register(app: App, deps: ListenerDeps): void {
  app.event("app_home_opened", async ({ event, client }) => {
    if (event.tab !== "home") return;
    try {
      const [services, waiting, watched] = await Promise.all([
        whatIsWhere(deps),
        waitingDeployments(deps),
        watchedWithThreads(deps),
      ]);
      await client.views.publish({ user_id: event.user, view: renderHome(services, deps.now(), waiting, watched) });
    } catch (thrown) {
      deps.log.error({ err: coerceError(thrown), user: event.user }, "could not publish the Home tab");
    }
  });
}
