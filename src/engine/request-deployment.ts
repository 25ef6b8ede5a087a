import type { FlagRequest } from "../domain/command-grammar.js";
import type { Deployment, DeploymentSource, Strategy } from "../domain/deployment.js";
import { moveTo, newDeployment } from "../domain/deployment.js";
import { slackTime } from "../domain/policy.js";
import { DEFAULT_FLAG, planSteps } from "../domain/stage-plan.js";
import { type WindowStatus, windowStatus } from "../domain/windows.js";
import type { Catalog } from "../manifests/catalog.js";
import { STRATEGY_NEEDS } from "../manifests/schema.js";
import { strategyOptions } from "../manifests/strategy-options.js";
import type { AuditLog, AuditVia } from "../store/audit-log.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { LockStore } from "../store/locks.js";
import { enqueueCheck } from "./gates.js";
import type { Notifications } from "./notifications.js";
import type { Queues } from "./queues.js";

export interface DeploymentRequest {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy?: Strategy;
  /** A feature-flag release's flag and first percentage, over the manifest's `featureFlag`. */
  readonly flag?: FlagRequest;
  readonly hotfix: boolean;
  readonly requestedBy: string;
  readonly source: DeploymentSource;
  readonly via: AuditVia;
  /**
   * A /rollback to an earlier good version: it deploys that version at once
   * (all-at-once, no checklist, no approval, any time of day — the way back
   * was prepared and tested), and names the version it leaves.
   */
  readonly rollbackOf?: string;
}

export type RequestOutcome =
  | { ok: true; deployment: Deployment }
  | { ok: false; reason: "unknown" | "locked" | "window"; message: string }
  | { ok: false; reason: "busy"; holder: Deployment | undefined; message: string };

export interface RequestDeps {
  readonly store: DeploymentStore;
  readonly locks: LockStore;
  readonly audit: AuditLog;
  readonly catalog: Catalog;
  readonly queues: Queues;
  readonly notifications: Notifications;
  readonly now: () => number;
  readonly newId: () => string;
}

/** What a deployment would do, without doing it: for `--dry-run` and for checks before queuing. */
export function planDeployment(
  catalog: Catalog,
  request: Pick<DeploymentRequest, "service" | "environment" | "strategy" | "flag" | "rollbackOf"> & {
    readonly hotfix?: boolean;
  },
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
  const strategy = request.rollbackOf ? "all-at-once" : (request.strategy ?? environment.strategy);
  const needs = STRATEGY_NEEDS[strategy];
  if (needs !== undefined && !service.target.supports(needs)) {
    return {
      ok: false as const,
      message: `the ${strategy} strategy needs the target's ${needs} action, which ${request.service} does not declare; choose another strategy, or add target.actions.${needs} to its manifest`,
    };
  }
  const stages = request.rollbackOf ? environment.stages.filter((s) => s.action === "deploy") : environment.stages;
  const options = strategyOptions(request.environment, environment, service.metrics?.config.intervalMs);
  const flag = request.flag
    ? {
        name: request.flag.name ?? options.flag?.name ?? DEFAULT_FLAG.name,
        percent: request.flag.percent ?? options.flag?.percent ?? DEFAULT_FLAG.percent,
      }
    : options.flag;
  return {
    ok: true as const,
    environment,
    channel: service.manifest.channels.deploy,
    incidentChannel: service.manifest.channels.incidents,
    strategy,
    steps: planSteps(stages, strategy, { ...options, ...(flag ? { flag } : {}) }, request.hotfix ?? false),
  };
}

/**
 * Records a new deployment and queues its checklist. Refused when the
 * service or environment is unknown, when the environment is locked, outside
 * its deployment windows (unless a hotfix may bypass them), or while another
 * deployment of the same service and environment is active. Every outcome is
 * written to the audit log.
 *
 * `answer` is called as soon as the outcome is known and before the queuing,
 * so a Slack command can be acknowledged at the earliest moment. Should the
 * queuing then fail, the deployment ends failed (its thread says so, once
 * Slipway can post it) and the error is thrown.
 */
export async function requestDeployment(
  deps: RequestDeps,
  request: DeploymentRequest,
  answer: (outcome: RequestOutcome) => Promise<void> = async () => undefined,
): Promise<RequestOutcome> {
  const outcome = await decide(deps, request);
  await answer(outcome);
  const d = outcome.ok ? outcome.deployment : undefined;
  await Promise.all([
    d ? dispatch(deps, d) : undefined,
    deps.audit.record({
      at: deps.now(),
      actor: request.requestedBy,
      action: "deploy",
      outcome: outcome.ok ? "ok" : "refused",
      service: request.service,
      environment: request.environment,
      ...(d ? { deploymentId: d.id } : {}),
      detail: outcome.ok
        ? `${request.version}${request.hotfix ? " hotfix" : ""}${d?.bypass ? `, ${d.bypass} bypassed` : ""}`
        : `${request.version}: ${outcome.message}`,
      via: request.via,
    }),
  ]);
  return outcome;
}

/**
 * Queues a recorded deployment's first work, its check job, which posts the
 * thread and schedules the expiry in a worker: the process that took the
 * request does as little as it can after answering. On failure the
 * deployment ends, so it does not hold the service and environment.
 */
async function dispatch(deps: RequestDeps, deployment: Deployment): Promise<void> {
  try {
    await enqueueCheck(deps, deployment);
  } catch (error) {
    // Best effort: whatever broke the queuing (Redis, most likely) may stop these too.
    const failed = await deps.store
      .save(moveTo(deployment, "failed", deps.now(), { failureReason: "it could not be queued" }))
      .catch(() => undefined);
    if (failed) await deps.notifications.changed(failed).catch(() => undefined);
    throw error;
  }
}

async function decide(deps: RequestDeps, request: DeploymentRequest): Promise<RequestOutcome> {
  const plan = planDeployment(deps.catalog, request);
  if (!plan.ok) return { ok: false, reason: "unknown", message: plan.message };

  const [lock, previousVersion] = await Promise.all([
    deps.locks.get(request.service, request.environment),
    deps.store.lastSucceeded(request.service, request.environment),
  ]);
  if (lock) {
    const until = lock.expiresAt === undefined ? "until someone unlocks it" : `until ${slackTime(lock.expiresAt)}`;
    return {
      ok: false,
      reason: "locked",
      message: `${request.service} ${request.environment} is locked by <@${lock.owner}> (${lock.reason}) ${until}. Ask them, or \`/deploy unlock ${request.environment} ${request.service}\` if you may.`,
    };
  }

  const window: WindowStatus = request.rollbackOf
    ? { open: true }
    : windowStatus(plan.environment.windows, new Date(deps.now()), { hotfix: request.hotfix });
  if (!window.open) {
    // The reason already says whether a --hotfix may go ahead.
    return { ok: false, reason: "window", message: `Not now: ${window.reason}.` };
  }

  const deployment = newDeployment(
    {
      id: deps.newId(),
      service: request.service,
      environment: request.environment,
      version: request.version,
      strategy: plan.strategy,
      hotfix: request.hotfix,
      requestedBy: request.requestedBy,
      source: request.source,
      steps: plan.steps,
      channel: plan.channel,
      ...(plan.incidentChannel ? { incidentChannel: plan.incidentChannel } : {}),
      waitLimitMs: plan.environment.approval.expiresAfterMs,
      ...(previousVersion ? { previousVersion } : {}),
      ...(request.rollbackOf ? { rollbackOf: request.rollbackOf } : {}),
      ...(window.bypassed ? { bypass: window.bypassed } : {}),
    },
    deps.now(),
  );
  const created = await deps.store.create(deployment);
  if (!created.ok) {
    const holder = await deps.store.get(created.heldBy);
    const who = holder
      ? `${holder.version} by <@${holder.requestedBy}>, ${holder.state.replace("_", " ")}`
      : "another deployment";
    return {
      ok: false,
      reason: "busy",
      holder,
      message: `${request.service} is already being deployed to ${request.environment} (\`${created.heldBy}\`, ${who}). Follow it in its thread or with \`/deploy status\`, and deploy again when it has finished.`,
    };
  }
  return { ok: true, deployment };
}
