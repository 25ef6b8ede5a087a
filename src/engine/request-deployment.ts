import type { Actor } from "../domain/actor.js";
import type { RestoreRecord } from "../domain/backup.js";
import type { FlagRequest } from "../domain/command-grammar.js";
import type { Deployment, IncidentRecord } from "../domain/deployment.js";
import { moveTo, newDeployment } from "../domain/deployment.js";
import type { PushedCommit } from "../domain/git-push.js";
import type { PromotionRefusal } from "../domain/promotion.js";
import { isSensitive, type SensitiveNeed, sensitiveNeeds } from "../domain/sensitive.js";
import type { Step } from "../domain/stage-plan.js";
import { DEFAULT_FLAG, planSteps } from "../domain/stage-plan.js";
import type { Strategy } from "../domain/strategy.js";
import { lowTrafficStatus, type WindowStatus, windowStatus } from "../domain/windows.js";
import type { Catalog } from "../manifests/catalog.js";
import { failurePolicyOf } from "../manifests/rollback-readiness.js";
import { STRATEGY_NEEDS } from "../manifests/schema.js";
import { strategyOptions } from "../manifests/strategy-options.js";
import { type AuditEntry, type AuditVia, auditFields, type CommandAuditLog } from "../store/audit-log.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { Lock, LockStore } from "../store/locks.js";
import type { WaitingDeployment, Waitlist } from "../store/waitlist.js";
import type { TargetAction } from "../targets/target.js";
import { type AuthorizeDeps, authorizeActor } from "./authorize.js";
import { enqueueCheck } from "./gates.js";
import { createFirstLeg, dispatchHotfixPath, type FirstLegPlan, firstLegRefusal } from "./hotfix-path.js";
import { enqueue, JOB_IDS } from "./jobs.js";
import type { Notifications } from "./notifications.js";
import { promotionGate, unknownVersion } from "./promotion-gate.js";
import type { Queues } from "./queues.js";

/*
 * The one way a deployment is asked for, whatever the source: a person in
 * Slack (the command, the form, a button), a push webhook or a schedule.
 *
 *   const outcome = await requestDeployment(deps, {
 *     actor: { kind: "push", id: "github-push", name: "alice" },   // or { kind: "slack", id: "U123" }
 *     via: "webhook",                                              // the surface, for the audit log
 *     request: { service, environment, version, hotfix: false },   // strategy?, flag?, rollbackOf?
 *   });
 *   switch (outcome.code) { case "started": …outcome.deployment; case "busy": …outcome.holderId; … }
 *
 * It authorises the actor (the environment's `deploy` permission; `rollback`
 * for a rollback deployment), then checks that git knows the version (when
 * the manifest names the repository), applies the lock, the deployment
 * windows and freezes, the promotion gate and the one-active-deployment
 * rule, records the deployment and queues its checklist. Asked to (`whenBusy`,
 * `whenClosed`), it puts a request for a busy environment in the line
 * behind the active deployment, or one outside the windows in the line for
 * the next window's opening, instead of refusing it: waiting-deployments.ts
 * starts them. It answers with a code and data, never words: the
 * caller renders them. Every outcome but an invalid request (unknown service
 * or environment, a strategy the target cannot do) and a dry run is written
 * to the audit log with the actor and its source.
 */

export interface DeploymentRequest {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly strategy?: Strategy;
  /** A feature-flag release's flag and first percentage, over the manifest's `featureFlag`. */
  readonly flag?: FlagRequest;
  readonly hotfix: boolean;
  /** `--sensitive`: treat it as sensitive even where the manifest does not mark it so. */
  readonly sensitive?: boolean;
  /**
   * A /rollback to an earlier good version: it deploys that version at once
   * (all-at-once, no checklist, no approval, any time of day — the way back
   * was prepared and tested), and names the version it leaves.
   */
  readonly rollbackOf?: string;
  /** A rollback asked with --restore: the backup restored once the earlier version is deployed again. */
  readonly restore?: RestoreRecord;
  /** A rollback Slipway asked for itself (an extended window's trip): what tripped, for its incident alert. */
  readonly incident?: IncidentRecord;
  /** The pushed commit, when a push asked for the deployment. */
  readonly push?: PushedCommit;
}

export interface RequestInput {
  readonly actor: Actor;
  /** The surface it came through, for the audit log. */
  readonly via: AuditVia;
  readonly request: DeploymentRequest;
  /** Plan and authorise only: answers `dry_run` with the plan, records nothing. */
  readonly dryRun?: boolean;
  /**
   * When another deployment is active there: `queue` waits behind it
   * (`queued`); `queue_newest` too, taking out the pushes already waiting (a
   * burst of pushes deploys only the newest). Left out, the answer is `busy`.
   */
  readonly whenBusy?: "queue" | "queue_newest";
  /** Outside the deployment windows: `next_window` waits for the next one to open (`scheduled`). Left out, `window`. */
  readonly whenClosed?: "next_window";
  /** The id to start under: a waiting deployment's own (see waiting-deployments.ts). */
  readonly deploymentId?: string;
  /**
   * A slash command's trigger id: the same request again (Slack's retry, a
   * replay) within five minutes is answered `repeated` and does nothing,
   * whatever the first one's outcome: the id is claimed with the first
   * thing the request writes (see CommandAuditLog), so a refusal is
   * audited once.
   */
  readonly once?: string;
  /**
   * Told the outcome as soon as it is recorded and audited, before the
   * deployment's first job is queued: a person's answer never waits on the
   * queue. Its failure fails the request, as the queuing's does. A
   * deployment recorded but never queued (the process died in between) is
   * queued by the watchdog once it has sat quiet (watchdog.ts).
   */
  readonly decided?: (outcome: RequestOutcome) => Promise<void>;
}

/** Why a request names something that cannot be deployed. */
export type PlanProblem =
  | { readonly kind: "unknown_service"; readonly service: string; readonly known: readonly string[] }
  | {
      readonly kind: "unknown_environment";
      readonly service: string;
      readonly environment: string;
      readonly known: readonly string[];
    }
  | {
      readonly kind: "strategy_unsupported";
      readonly service: string;
      readonly strategy: Strategy;
      readonly needs: TargetAction;
    }
  /** A --hotfix where the environment's manifest says `hotfix: { allowed: false }`. */
  | { readonly kind: "hotfix_not_allowed"; readonly service: string; readonly environment: string }
  /** A sensitive deployment where the manifest lacks what one needs (the security role, …). */
  | {
      readonly kind: "sensitive_unprepared";
      readonly service: string;
      readonly environment: string;
      readonly missing: readonly SensitiveNeed[];
    };

/** What a deployment would do: the answer to a dry run. */
export interface DeploymentPlan {
  readonly service: string;
  readonly environment: string;
  readonly strategy: Strategy;
  readonly steps: readonly Step[];
  /** Approvals it would wait for (a sensitive deployment's security approver included); 0 when none. */
  readonly approvals: number;
  /** A hotfix path's first deployment, run before this one: its environment and steps. */
  readonly firstLeg?: { readonly environment: string; readonly steps: readonly Step[] };
}

export type RequestOutcome =
  | { readonly code: "started"; readonly deployment: Deployment }
  | { readonly code: "dry_run"; readonly plan: DeploymentPlan; readonly version: string }
  | { readonly code: "invalid"; readonly problem: PlanProblem }
  | { readonly code: "forbidden"; readonly reason: string }
  | { readonly code: "locked"; readonly lock: Lock }
  /** Outside the deployment windows or in a freeze; the reason says whether a --hotfix may go ahead. */
  | { readonly code: "window"; readonly reason: string; readonly opensAt?: number }
  /** Git knows no tag or commit by the version's name in `repository` (the service's remote, or its clone). */
  | { readonly code: "unknown_version"; readonly version: string; readonly repository: string }
  /** The promotion gate: the version has not passed (or soaked in) the environment this one requires. */
  | { readonly code: "promotion"; readonly version: string; readonly refusal: PromotionRefusal; readonly at: number }
  | { readonly code: "busy"; readonly holderId: string; readonly holder: Deployment | undefined }
  /** In line behind `behind` (1 is next); `replaced` are the waiting pushes a newer push took the place of. */
  | {
      readonly code: "queued";
      readonly waiting: WaitingDeployment;
      readonly behind: string;
      readonly position: number;
      readonly replaced: readonly WaitingDeployment[];
    }
  /** Waiting for the deployment window that opens at `waiting.notBefore`. */
  | { readonly code: "scheduled"; readonly waiting: WaitingDeployment }
  /** The same slash command (its trigger id) was handled before: nothing was done. */
  | { readonly code: "repeated" };

export interface RequestDeps extends AuthorizeDeps {
  readonly store: DeploymentStore;
  readonly locks: LockStore;
  readonly queues: Queues;
  readonly notifications: Notifications;
  /** Deployments waiting to start, queued or scheduled. */
  readonly waitlist: Waitlist;
  readonly newId: () => string;
}

/** What a deployment would do, without doing it; the problem when it cannot be done. */
export function planDeployment(
  catalog: Catalog,
  request: Pick<DeploymentRequest, "service" | "environment" | "strategy" | "flag" | "rollbackOf" | "sensitive"> & {
    readonly hotfix?: boolean;
    /** The first deployment of a hotfix path: its "after" stages run once, after the last deployment. */
    readonly firstLeg?: boolean;
  },
) {
  const service = catalog.service(request.service);
  if (!service) {
    const problem: PlanProblem = { kind: "unknown_service", service: request.service, known: catalog.serviceNames() };
    return { ok: false as const, problem };
  }
  const environment = service.manifest.environments[request.environment];
  if (!environment) {
    const problem: PlanProblem = {
      kind: "unknown_environment",
      service: request.service,
      environment: request.environment,
      known: Object.keys(service.manifest.environments),
    };
    return { ok: false as const, problem };
  }
  if (request.hotfix && environment.hotfix?.allowed === false) {
    const problem: PlanProblem = {
      kind: "hotfix_not_allowed",
      service: request.service,
      environment: request.environment,
    };
    return { ok: false as const, problem };
  }
  const strategy = request.rollbackOf ? "all-at-once" : (request.strategy ?? environment.strategy);
  const needs = STRATEGY_NEEDS[strategy];
  if (needs !== undefined && !service.target.supports(needs)) {
    const problem: PlanProblem = { kind: "strategy_unsupported", service: request.service, strategy, needs };
    return { ok: false as const, problem };
  }
  // The way back was prepared and tested: a rollback is never held to a sensitive deployment's rules.
  const sensitive = !request.rollbackOf && isSensitive(service.manifest, environment, request.sensitive === true);
  const missing = sensitive
    ? sensitiveNeeds({
        roles: service.manifest.roles,
        ...(service.manifest.channels.incidents ? { incidentChannel: service.manifest.channels.incidents } : {}),
        ...(environment.windows?.lowTraffic ? { lowTraffic: environment.windows.lowTraffic } : {}),
      })
    : [];
  if (missing.length > 0) {
    const problem: PlanProblem = {
      kind: "sensitive_unprepared",
      service: request.service,
      environment: request.environment,
      missing,
    };
    return { ok: false as const, problem };
  }
  const stages = request.rollbackOf
    ? environment.stages.filter((s) => s.action === "deploy")
    : environment.stages.filter((s) => !request.firstLeg || s.hotfix !== "after");
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
    sensitive,
    steps: planSteps(stages, strategy, { ...options, ...(flag ? { flag } : {}) }, request.hotfix ?? false),
  };
}

/** Asks for a deployment; see the comment at the top of this file. */
export async function requestDeployment(deps: RequestDeps, input: RequestInput): Promise<RequestOutcome> {
  const command = input.once === undefined ? undefined : deps.audit.forCommand(input.request.service, input.once);
  const outcome = await recordedOutcome(command ? { ...deps, audit: command } : deps, input, command);
  await input.decided?.(outcome);
  if (outcome.code === "started") await dispatch(deps, outcome.deployment);
  return outcome;
}

/**
 * The outcome, recorded and audited; nothing queued yet. For a slash
 * command, deps' audit log is `command`: when an earlier delivery of it had
 * claimed its trigger id, nothing is written and the answer is `repeated`.
 */
async function recordedOutcome(
  deps: RequestDeps,
  input: RequestInput,
  command: CommandAuditLog | undefined,
): Promise<RequestOutcome> {
  const { actor, request } = input;
  const plan = planDeployment(deps.catalog, request);
  if (!plan.ok) return { code: "invalid", problem: plan.problem };
  const allowed = await authorizeActor(deps, {
    action: request.rollbackOf ? "rollback" : "deploy",
    actor,
    service: request.service,
    environment: request.environment,
    via: input.via,
  });
  if (!allowed.allowed) {
    return (await command?.repeated()) ? { code: "repeated" } : { code: "forbidden", reason: allowed.reason };
  }
  if (input.dryRun) {
    const promotion =
      request.hotfix && !request.rollbackOf
        ? await promotionGate(deps, deps.catalog.require(request.service), request)
        : undefined;
    const first =
      promotion?.ok && promotion.why === "hotfix-path"
        ? firstLegPlan(deps, request, promotion.rule.environment)
        : undefined;
    return {
      code: "dry_run",
      version: request.version,
      plan: {
        service: request.service,
        environment: request.environment,
        strategy: plan.strategy,
        steps: plan.steps,
        approvals:
          (plan.environment.approval.required ? plan.environment.approval.count : 0) + (plan.sensitive ? 1 : 0),
        ...(first?.ok ? { firstLeg: { environment: first.environmentName, steps: first.steps } } : {}),
      },
    };
  }
  const outcome = await decide(deps, input, plan, command);
  // A started deployment was audited with its record, a refusal by permission (a hotfix path's first leg) by
  // authorizeActor; a repeat is not audited again.
  if (outcome.code !== "started" && outcome.code !== "repeated" && outcome.code !== "forbidden") {
    await deps.audit.record(auditEntry(deps, input, outcome));
  }
  return (await command?.repeated()) ? { code: "repeated" } : outcome;
}

/** The audit log's entry for a request's outcome (a started deployment's is written with its record). */
function auditEntry(deps: RequestDeps, input: RequestInput, outcome: RequestOutcome): AuditEntry {
  const { actor, request } = input;
  const d = outcome.code === "started" ? outcome.deployment : undefined;
  const waiting = outcome.code === "queued" || outcome.code === "scheduled" ? outcome.waiting : undefined;
  return {
    at: deps.now(),
    actor: actor.id,
    source: actor.kind,
    action: outcome.code === "queued" ? "queue" : outcome.code === "scheduled" ? "schedule" : "deploy",
    outcome: d || waiting ? "ok" : "refused",
    service: request.service,
    environment: request.environment,
    ...(d ? { deploymentId: d.id } : waiting ? { deploymentId: waiting.id } : {}),
    // A waiting deployment's refused start is audited under the id it waited as.
    ...(d || waiting || input.deploymentId === undefined ? {} : { deploymentId: input.deploymentId }),
    detail: d
      ? `${request.version}${request.hotfix ? " hotfix" : ""}${d.bypass ? `, ${d.bypass} bypassed` : ""}`
      : `${request.version}: ${refusalInWords(request, outcome)}`,
    via: input.via,
  };
}

/** A refusal in a few words, for the audit log. */
function refusalInWords(request: DeploymentRequest, outcome: RequestOutcome): string {
  switch (outcome.code) {
    case "locked":
      return `${request.service} ${request.environment} is locked by <@${outcome.lock.owner}> (${outcome.lock.reason})`;
    case "window":
      return `not now: ${outcome.reason}`;
    case "busy":
      return `${request.service} is already being deployed to ${request.environment} (${outcome.holderId})`;
    case "forbidden":
      return outcome.reason;
    case "unknown_version":
      return `not a tag or commit in ${outcome.repository}`;
    case "promotion":
      return `promotion gate: ${outcome.refusal.code} in ${outcome.refusal.rule.environment}`;
    case "invalid":
      return outcome.problem.kind;
    case "queued":
      return `queued behind ${outcome.behind}${outcome.replaced.length > 0 ? `, replacing ${outcome.replaced.map((r) => r.request.version).join(", ")}` : ""}`;
    case "scheduled":
      return `scheduled for the window opening at ${new Date(outcome.waiting.notBefore ?? 0).toISOString()}`;
    case "started":
    case "dry_run":
    case "repeated":
      return outcome.code;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/**
 * Queues a recorded deployment's first work, its check job, which posts the
 * thread and schedules the expiry in a worker: the process that took the
 * request does as little as it can. On failure the deployment ends, so it
 * does not hold the service and environment, and the error is thrown.
 */
async function dispatch(deps: RequestDeps, deployment: Deployment): Promise<void> {
  try {
    await (deployment.hotfixPath ? dispatchHotfixPath(deps, deployment) : enqueueCheck(deps, deployment));
  } catch (error) {
    // Best effort: whatever broke the queuing (Redis, most likely) may stop these too.
    const failed = await deps.store
      .save(moveTo(deployment, "failed", deps.now(), { failureReason: "it could not be queued" }))
      .catch(() => undefined);
    if (failed) await deps.notifications.changed(failed).catch(() => undefined);
    throw error;
  }
}

type Plan = Extract<ReturnType<typeof planDeployment>, { ok: true }>;

async function decide(
  deps: RequestDeps,
  input: RequestInput,
  plan: Plan,
  command: CommandAuditLog | undefined,
): Promise<RequestOutcome> {
  const { actor, request } = input;
  const service = deps.catalog.require(request.service);
  // The way back was prepared and tested: a rollback never waits on git or the promotion gate.
  const unknownIn = request.rollbackOf ? undefined : await unknownVersion(service, request.version);
  if (unknownIn) return { code: "unknown_version", version: request.version, repository: unknownIn };

  const window: WindowStatus = request.rollbackOf
    ? { open: true }
    : windowStatus(plan.environment.windows, new Date(deps.now()), { hotfix: request.hotfix });
  // A sensitive deployment also waits for the environment's low-traffic window.
  const closed: WindowStatus =
    window.open && plan.sensitive ? lowTrafficStatus(plan.environment.windows, new Date(deps.now())) : window;
  const promotionRule = !request.rollbackOf && plan.environment.requires !== undefined;
  let firstLeg: ReturnType<typeof firstLegPlan> | undefined;
  if (!closed.open || promotionRule) {
    // More to decide before the record: a lock still refuses first. Otherwise the record's script checks the lock.
    const lock = await deps.locks.get(request.service, request.environment);
    if (lock) return { code: "locked", lock };
    const gate = async () => (promotionRule ? await promotionGate(deps, service, request) : undefined);
    if (!closed.open) {
      if (input.whenClosed !== "next_window" || closed.nextOpen === undefined) {
        return {
          code: "window",
          reason: closed.reason,
          ...(closed.nextOpen ? { opensAt: closed.nextOpen.getTime() } : {}),
        };
      }
      const gated = await gate();
      if (gated && !gated.ok) return { code: "promotion", version: request.version, refusal: gated, at: deps.now() };
      return wait(deps, input, plan, command, { notBefore: closed.nextOpen.getTime() });
    }
    const promotion = await gate();
    if (promotion && !promotion.ok)
      return { code: "promotion", version: request.version, refusal: promotion, at: deps.now() };
    firstLeg = promotion?.why === "hotfix-path" ? firstLegPlan(deps, request, promotion.rule.environment) : undefined;
    if (firstLeg) {
      if (!firstLeg.ok) return { code: "invalid", problem: firstLeg.problem };
      const refused = await firstLegRefusal(deps, { actor, via: input.via, service: request.service }, firstLeg);
      if (refused) return refused;
    }
  }

  const id = input.deploymentId ?? deps.newId();
  const deployment = newDeployment(
    {
      id,
      service: request.service,
      environment: request.environment,
      version: request.version,
      strategy: plan.strategy,
      hotfix: request.hotfix,
      requestedBy: actor.id,
      source: actor.kind,
      ...(actor.name ? { requesterName: actor.name } : {}),
      steps: plan.steps,
      channel: plan.channel,
      ...(plan.incidentChannel ? { incidentChannel: plan.incidentChannel } : {}),
      waitLimitMs: plan.environment.approval.expiresAfterMs,
      reviewPolicy: plan.environment.review,
      failurePolicy: failurePolicyOf(service.manifest, request.environment),
      ...(request.rollbackOf ? { rollbackOf: request.rollbackOf } : {}),
      ...(request.rollbackOf && request.restore ? { restore: request.restore } : {}),
      ...(request.rollbackOf && request.incident ? { incident: request.incident } : {}),
      ...(request.push ? { push: request.push } : {}),
      ...(window.open && window.bypassed ? { bypass: window.bypassed } : {}),
      ...(plan.sensitive ? { sensitive: true } : {}),
      ...(firstLeg?.ok
        ? {
            hotfixPath: {
              first: { id: deps.newId(), environment: firstLeg.environmentName },
              last: { id, environment: request.environment },
            },
          }
        : {}),
    },
    deps.now(),
  );
  // Nothing on the way here wrote an entry: the record claims the trigger id.
  const created = await deps.store.create(deployment, {
    respectLock: true,
    ...(command ? { once: command.triggerId } : {}),
    ...(firstLeg ? {} : { audit: auditFields(auditEntry(deps, input, { code: "started", deployment })) }),
  });
  if ("repeated" in created) return { code: "repeated" };
  command?.claimedByRecord();
  if ("locked" in created) return { code: "locked", lock: created.locked };
  const holder = created.ok && firstLeg?.ok ? await createFirstLeg(deps, created.deployment, firstLeg) : created;
  if (!holder.ok) {
    // A hotfix path's first leg waits on another environment: it is refused busy, not queued here.
    if (input.whenBusy && !firstLeg && holder.heldBy !== id) {
      return wait(deps, input, plan, command, { behind: holder.heldBy });
    }
    return { code: "busy", holderId: holder.heldBy, holder: await deps.store.get(holder.heldBy) };
  }
  if (firstLeg) await deps.audit.record(auditEntry(deps, input, { code: "started", deployment }));
  return { code: "started", deployment: created.ok ? created.deployment : deployment };
}

/**
 * Puts the request in the line of its service and environment, behind the
 * active deployment or until the window opens, and asks for a start at once
 * (the active one may have ended meanwhile) or at the opening. A slash
 * command's trigger id is claimed first (by the record's create, when it
 * waits behind): a retry of it does not join the line again.
 */
async function wait(
  deps: RequestDeps,
  input: RequestInput,
  plan: Plan,
  command: CommandAuditLog | undefined,
  at: { readonly behind: string } | { readonly notBefore: number },
): Promise<RequestOutcome> {
  if (command && !(await command.claim())) return { code: "repeated" };
  const { request, actor } = input;
  const { service, environment } = request;
  const now = deps.now();
  const waiting: WaitingDeployment = {
    id: deps.newId(),
    request: {
      service,
      environment,
      version: request.version,
      ...(request.strategy ? { strategy: request.strategy } : {}),
      ...(request.flag ? { flag: request.flag } : {}),
      hotfix: request.hotfix,
      ...(request.sensitive ? { sensitive: true } : {}),
      ...(request.push ? { push: request.push } : {}),
    },
    actor,
    via: input.via,
    queuedAt: now,
    ...at,
  };
  const { replaced } = await deps.waitlist.add(waiting, input.whenBusy === "queue_newest");
  await Promise.all([
    ...replaced.map((r) =>
      enqueue(
        deps.queues,
        "waitingDropped",
        {
          channel: plan.channel,
          service,
          environment,
          version: r.request.version,
          deploymentId: r.id,
          requester: r.actor,
          code: "replaced",
          reason: request.version,
        },
        { id: JOB_IDS.waitingDropped(r.id) },
      ),
    ),
    enqueue(
      deps.queues,
      "startWaiting",
      { service, environment },
      {
        id: JOB_IDS.startWaiting(service, environment, waiting.id),
        ...("notBefore" in at ? { delay: at.notBefore - now } : {}),
      },
    ),
  ]);
  if ("notBefore" in at) return { code: "scheduled", waiting };
  const line = await deps.waitlist.line(service, environment);
  const position = line.findIndex((w) => w.id === waiting.id) + 1;
  return { code: "queued", waiting, behind: at.behind, position, replaced };
}

/** The first leg of a hotfix path: the required environment's plan, fast-tracked, its "after" stages left to the end. */
function firstLegPlan(
  deps: RequestDeps,
  request: DeploymentRequest,
  environment: string,
): ({ readonly ok: true } & FirstLegPlan) | { readonly ok: false; readonly problem: PlanProblem } {
  const plan = planDeployment(deps.catalog, { ...request, environment, firstLeg: true });
  if (!plan.ok) return plan;
  return {
    ok: true,
    environmentName: environment,
    environment: plan.environment,
    strategy: plan.strategy,
    steps: plan.steps,
    channel: plan.channel,
    ...(plan.incidentChannel ? { incidentChannel: plan.incidentChannel } : {}),
    sensitive: plan.sensitive,
  };
}
