import type { Deployment, DeploymentSource, Strategy } from "../domain/deployment.js";
import { moveTo, newDeployment } from "../domain/deployment.js";
import type { Catalog } from "../manifests/catalog.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { Notifications } from "./notifications.js";
import { enqueueAdvance } from "./pipeline.js";
import type { Queues } from "./queues.js";

export interface DeploymentRequest {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy?: Strategy;
  readonly hotfix: boolean;
  readonly requestedBy: string;
  readonly source: DeploymentSource;
}

export type RequestOutcome =
  | { ok: true; deployment: Deployment }
  | { ok: false; reason: "unknown"; message: string }
  | { ok: false; reason: "busy"; holder: Deployment | undefined; message: string };

export interface RequestDeps {
  readonly store: DeploymentStore;
  readonly catalog: Catalog;
  readonly queues: Queues;
  readonly notifications: Notifications;
  readonly now: () => number;
  readonly newId: () => string;
}

/** What a deployment would do, without doing it: for `--dry-run` and for checks before queuing. */
export function planDeployment(
  catalog: Catalog,
  request: Pick<DeploymentRequest, "service" | "environment" | "strategy">,
) {
  const service = catalog.service(request.service);
  if (!service) {
    return {
      ok: false as const,
      message: `unknown service '${request.service}'; known: ${catalog.serviceNames().join(", ")}`,
    };
  }
  const environment = service.manifest.environments[request.environment];
  if (!environment) {
    const known = Object.keys(service.manifest.environments).join(", ");
    return {
      ok: false as const,
      message: `${request.service} has no environment '${request.environment}'; it deploys to: ${known}`,
    };
  }
  return {
    ok: true as const,
    channel: service.manifest.channels.deploy,
    strategy: request.strategy ?? environment.strategy,
    stageNames: environment.stages.map((s) => s.name),
  };
}

/**
 * Records a new deployment and queues its first step. Refused when the
 * service or environment is unknown, or when another deployment of the same
 * service and environment is still active.
 */
export async function requestDeployment(deps: RequestDeps, request: DeploymentRequest): Promise<RequestOutcome> {
  const plan = planDeployment(deps.catalog, request);
  if (!plan.ok) return { ok: false, reason: "unknown", message: plan.message };
  const deployment = newDeployment(
    {
      id: deps.newId(),
      service: request.service,
      environment: request.environment,
      version: request.version,
      strategy: plan.strategy,
      hotfix: request.hotfix,
      waitLimitMs: 4 * 3_600_000,
      requestedBy: request.requestedBy,
      source: request.source,
      stageNames: plan.stageNames,
      channel: plan.channel,
    },
    deps.now(),
  );
  const created = await deps.store.create(deployment);
  if (!created.ok) {
    const holder = await deps.store.get(created.heldBy);
    const who = holder ? `${holder.version} by <@${holder.requestedBy}>` : "another deployment";
    return {
      ok: false,
      reason: "busy",
      holder,
      message: `${request.service} is already being deployed to ${request.environment} (\`${created.heldBy}\`, ${who}). Wait for it to finish — \`/deploy status\` shows its progress — then deploy again.`,
    };
  }
  try {
    await deps.notifications.changed(deployment);
    await enqueueAdvance(deps.queues, deployment.id, 0);
  } catch (error) {
    // Recorded but not queued: end it, so it does not hold the service and environment.
    await deps.store
      .save(moveTo(deployment, "failed", deps.now(), { failureReason: "it could not be queued" }))
      .catch(() => undefined);
    throw error;
  }
  return { ok: true, deployment };
}
