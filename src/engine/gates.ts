import { evaluateItems } from "../checks/evaluate-item.js";
import { slackActor } from "../domain/actor.js";
import type { WhatChanged } from "../domain/changes.js";
import type { ItemResult } from "../domain/checklist.js";
import { gate, itemsFor } from "../domain/checklist.js";
import { type Deployment, moveTo } from "../domain/deployment.js";
import {
  ANYONE,
  type Authorization,
  authorizeTick,
  castVote,
  type Decision,
  describeRoleNeed,
} from "../domain/policy.js";
import { SECURITY_ROLE } from "../domain/sensitive.js";
import { lowTrafficStatus } from "../domain/windows.js";
import type { Logger } from "../logger.js";
import type { EnvironmentConfig } from "../manifests/schema.js";
import type { AuditLog, AuditVia } from "../store/audit-log.js";
import { LockedError } from "../store/deployment-store.js";
import type { Lock, LockStore } from "../store/locks.js";
import type { TickAnswer, VoteAnswer } from "./answers.js";
import { type AuthorizeDeps, groupsFor } from "./authorize.js";
import { enqueue, JOB_IDS } from "./jobs.js";
import { enqueueAdvance } from "./next-jobs.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { findPreProductionReview } from "./pre-production-review.js";
import { endBadly } from "./rollback.js";
import { withFirstStepStarted } from "./step-start.js";
import { update } from "./update-deployment.js";
import { findWhatChanged } from "./what-changed.js";

/*
 * The gates between a request and its first stage: the checklist, then the
 * approval. Nothing here waits on a worker: a checklist waiting for a tick,
 * or a deployment waiting for approvers, is only a state in the store; the
 * tick or the click calls in here and enqueues the continuation.
 */

export interface GateDeps extends PipelineDeps {
  readonly audit: AuditLog;
  readonly locks: LockStore;
}

/** Why a sensitive deployment may not start now although its gates passed: its low-traffic window has closed. */
function outsideLowTraffic(deps: GateDeps, d: Deployment): string | undefined {
  if (!d.sensitive) return undefined;
  const status = lowTrafficStatus(deps.catalog.environment(d.service, d.environment)?.windows, new Date(deps.now()));
  return status.open ? undefined : status.reason;
}

export async function enqueueCheck(deps: PipelineDeps, d: Pick<Deployment, "id" | "rev">): Promise<void> {
  await enqueue(deps.queues, "check", { deploymentId: d.id }, { id: JOB_IDS.check(d.id, d.rev) });
}

export async function enqueueExpiry(deps: PipelineDeps, d: Deployment): Promise<void> {
  await enqueue(
    deps.queues,
    "expire",
    { deploymentId: d.id },
    { id: JOB_IDS.expire(d.id), delay: d.expiresAt - deps.now() },
  );
}

/**
 * A deployment its check job decided runs, and whether the write that
 * decided it also started its first step for that job (`runStartedSteps`
 * runs it then; otherwise `advance` goes on from the record).
 */
export interface Started {
  readonly deployment: Deployment;
  readonly firstStepStarted: boolean;
}

/**
 * The `check` job (`jobId`): runs the automatic checklist items once, then
 * moves the deployment on as far as the checklist allows — failed, still
 * waiting for ticks, awaiting approval, or running. Answers one that is
 * running: the job then goes on to its steps (a job run again after a crash
 * finds it running, and goes on from where it stopped). A deployment with
 * nothing to check and nobody to wait for is decided in its first write,
 * which starts its first step too.
 */
export async function runChecks(
  deps: GateDeps,
  deploymentId: string,
  signal: AbortSignal,
  log: Logger,
  jobId: string,
): Promise<Started | undefined> {
  let d = await deps.store.require(deploymentId);
  if (d.state === "running") return { deployment: d, firstStepStarted: false };
  if (d.state !== "requested" && d.state !== "checking") return undefined;
  const service = deps.catalog.require(d.service);
  const environment = deps.catalog.environment(d.service, d.environment);
  if (!environment) {
    d = await deps.store.save(
      moveTo(d, "failed", deps.now(), { failureReason: `the manifest no longer defines ${d.environment}` }),
    );
    await deps.notifications.changed(d);
    return undefined;
  }
  const start = { jobId, signal };
  const items = d.rollbackOf ? [] : itemsFor(service.manifest, d.environment);
  const waitsForPeople = items.length > 0 || asksApproval(environment, d);
  if (d.state === "requested") {
    // What the deployment brings is found once, before its first word in Slack, and kept with it.
    const whatChanged = await findWhatChanged(service.repository, d, signal, log);
    if (!waitsForPeople) {
      // Nothing to check and nobody to wait for: no `checking` write, the decision is the first one.
      return decideAfterChecklist(deps, d, { results: [], ...(whatChanged ? { whatChanged } : {}) }, start);
    }
    d = await deps.store.save({ ...moveTo(d, "checking", deps.now()), ...(whatChanged ? { whatChanged } : {}) });
  }
  if (d.checklist === undefined) {
    // The first word in Slack and the limit on waiting for people start here, off the request path
    // (a re-run after a crash repeats both, safely). With no item to tick and no approval to ask for,
    // nobody is waited for, and the first word is the decision.
    if (waitsForPeople) await Promise.all([deps.notifications.changed(d), enqueueExpiry(deps, d)]);
    const results = await evaluateItems(items, {
      workdir: service.workdir,
      env: {
        ...(service.manifest.target.env ?? {}),
        SLIPWAY_DEPLOYMENT_ID: d.id,
        SLIPWAY_VERSION: d.version,
        SLIPWAY_SERVICE: d.service,
        SLIPWAY_ENVIRONMENT: d.environment,
      },
      signal,
      log,
      now: deps.now,
    });
    return decideAfterChecklist(deps, d, { results }, start);
  }
  return decideAfterChecklist(deps, d, undefined, start);
}

/**
 * Whether a deployment waits for approval once its checklist passes: when its
 * environment asks for one, and always for a sensitive deployment (a security
 * approver, whatever the environment's policy); never for a rollback.
 */
function asksApproval(environment: EnvironmentConfig, d: Pick<Deployment, "sensitive" | "rollbackOf">): boolean {
  return (environment.approval.required || d.sensitive === true) && !d.rollbackOf;
}

/**
 * Moves a deployment on according to its checklist's verdict, from the
 * state `d` is in (`checking`, or `requested` when it has nothing to check
 * and nobody to wait for). Given the checklist's `first` results (and what
 * the deployment brings, found with them), it records them in the same
 * write (refused when another run recorded them first). Given the check job
 * (`start`), the write that decides it runs also starts its first step for
 * that job when it simply goes on, and that start is told of by the steps'
 * run; otherwise the caller starts the steps of one it moved to running.
 * Answers one it moved to running.
 */
async function decideAfterChecklist(
  deps: GateDeps,
  d: Deployment,
  first?: { readonly results: ItemResult[]; readonly whatChanged?: WhatChanged },
  start?: { readonly jobId: string; readonly signal: AbortSignal },
): Promise<Started | undefined> {
  const results = first?.results;
  const verdict = gate(results ?? d.checklist ?? []);
  if (verdict.state === "waiting" && results === undefined) return undefined;
  const environment = deps.catalog.environment(d.service, d.environment);
  const service = deps.catalog.service(d.service);
  if (!environment || !service) return undefined;
  const approval = asksApproval(environment, d);
  const review = verdict.state === "passed" && approval ? await findPreProductionReview(deps, service, d) : undefined;
  // A lock taken while it waited: it may not start now although its gates passed. The write that starts
  // it is refused while a lock is held (the store reads the lock with the revision), and the deployment is
  // decided again knowing the lock.
  const decide = (locked: Lock | undefined) =>
    update<boolean>(
      deps,
      d.id,
      (found) => {
        if (found.state !== d.state || (results !== undefined && found.checklist !== undefined)) {
          return { refused: false };
        }
        const now = deps.now();
        const current =
          first === undefined
            ? found
            : {
                ...found,
                checklist: first.results,
                ...(first.whatChanged ? { whatChanged: first.whatChanged } : {}),
                updatedAt: now,
              };
        if (verdict.state === "waiting") return { next: current, result: false };
        if (verdict.state === "failed") {
          const titles = verdict.blocking.filter((i) => i.status !== "waiting").map((i) => i.title);
          return {
            next: moveTo(current, "failed", now, { failureReason: `checklist failed: ${titles.join(", ")}` }),
            result: false,
          };
        }
        const policy = environment.approval;
        if (locked) {
          return {
            next: endBadly(
              current,
              "cancelled",
              `${current.service} ${current.environment} is locked by <@${locked.owner}> (${locked.reason}); deploy again once it is unlocked`,
              now,
            ),
            result: false,
          };
        }
        if (!asksApproval(environment, current)) {
          const running = moveTo(current, "running", now);
          const started = start && withFirstStepStarted(running, service, start.signal, start.jobId, now);
          return started
            ? { next: started, result: true, unlessLocked: true }
            : { next: running, result: false, unlessLocked: true };
        }
        const approvers =
          policy.approvers === ANYONE
            ? "anyone allowed to approve"
            : describeRoleNeed(service.manifest.roles ?? {}, policy.approvers);
        return {
          next: {
            ...moveTo(current, "awaiting_approval", now),
            ...(review ? { preProduction: review } : {}),
            approval: {
              needed: policy.required ? policy.count : 0,
              allowSelfApproval: policy.allowSelfApproval,
              approvers,
              ...(current.sensitive
                ? { security: describeRoleNeed(service.manifest.roles ?? {}, [SECURITY_ROLE]) }
                : {}),
              requestedAt: now,
              votes: [],
            },
          },
          result: false,
        };
      },
      d,
    );
  const { saved, result: firstStepStarted } = await decide(undefined).catch((error: unknown) => {
    if (!(error instanceof LockedError)) throw error;
    return decide(error.lock);
  });
  // A start is told of by the steps' run, once the step has run a while.
  if (saved && !firstStepStarted) await deps.notifications.changed(saved);
  return saved?.state === "running" ? { deployment: saved, firstStepStarted } : undefined;
}

/** The `expire` job: a deployment still waiting on people at its deadline ends `expired`. */
export async function expireIfWaiting(deps: GateDeps, deploymentId: string): Promise<void> {
  const { saved } = await update(deps, deploymentId, (current) =>
    (current.state === "checking" || current.state === "awaiting_approval") && deps.now() >= current.expiresAt
      ? {
          next: endBadly(
            current,
            "expired",
            current.state === "checking"
              ? "the checklist was not completed in time"
              : "not enough approvals before the approval expired",
            deps.now(),
          ),
          result: undefined,
        }
      : { refused: undefined },
  );
  if (!saved) return;
  await deps.audit.record({
    at: deps.now(),
    actor: "slipway",
    action: "expire",
    outcome: "ok",
    service: saved.service,
    environment: saved.environment,
    deploymentId: saved.id,
    detail: saved.failureReason,
    via: "engine",
  });
  await deps.notifications.changed(saved);
}

function notWaiting(d: Deployment, what: "approve" | "tick") {
  return { ok: false, code: "not_waiting", deploymentId: d.id, state: d.state, what } as const;
}

/**
 * An approver's vote (a button, `/approve`, or the reject dialog). Counted
 * once per person: a double click or a Slack retry is refused with "you
 * already approved", and the deployment moves on exactly once.
 */
export async function recordVote(
  deps: GateDeps,
  input: {
    deploymentId: string;
    userId: string;
    decision: Decision;
    reason?: string;
    allowed: Authorization;
    /** Whether the voter holds the security role (asked only for a sensitive deployment). */
    security?: boolean;
    via: AuditVia;
  },
): Promise<VoteAnswer> {
  const now = deps.now();
  const pending = await deps.store.require(input.deploymentId);
  const locked = await deps.locks.get(pending.service, pending.environment);
  const closed = outsideLowTraffic(deps, pending);
  const { saved, result } = await update<VoteAnswer>(deps, input.deploymentId, (current) => {
    if (current.state !== "awaiting_approval" || !current.approval) {
      return { refused: notWaiting(current, "approve") };
    }
    if (now >= current.expiresAt) {
      return {
        next: endBadly(current, "expired", "not enough approvals before the approval expired", now),
        result: {
          ok: false,
          code: "expired",
          deploymentId: current.id,
          what: "approval",
          expiredAt: current.expiresAt,
        },
      };
    }
    const vote = castVote({
      votes: current.approval.votes,
      vote: {
        userId: input.userId,
        decision: input.decision,
        at: now,
        ...(input.reason ? { reason: input.reason } : {}),
        ...(input.security ? { security: true } : {}),
      },
      requestedBy: current.requestedBy,
      policy: {
        count: current.approval.needed,
        allowSelfApproval: current.approval.allowSelfApproval,
        security: current.approval.security !== undefined,
      },
      allowed: input.allowed,
    });
    if (!vote.ok) return { refused: { ok: false, code: "vote_refused", refusal: vote.refusal } };
    const voted: Deployment = { ...current, approval: { ...current.approval, votes: vote.votes }, updatedAt: now };
    switch (vote.outcome) {
      case "approved":
        if (locked) {
          const { service, environment, owner, reason } = locked;
          return { refused: { ok: false, code: "locked", lock: { service, environment, owner, reason } } };
        }
        if (closed) return { refused: { ok: false, code: "closed", reason: closed } };
        return {
          next: moveTo(voted, "running", now),
          result: { ok: true, code: "approved", deploymentId: current.id },
        };
      case "rejected":
        return {
          next: moveTo(voted, "rejected", now, {
            failureReason: `rejected by <@${input.userId}>: ${input.reason ?? ""}`,
          }),
          result: { ok: true, code: "rejected", deploymentId: current.id },
        };
      case "pending":
        return {
          next: voted,
          result: {
            ok: true,
            code: "approval_counted",
            deploymentId: current.id,
            approvals: vote.approvals,
            needed: vote.needed,
          },
        };
      default: {
        const unreachable: never = vote.outcome;
        return unreachable;
      }
    }
  });
  const d = saved ?? (await deps.store.require(input.deploymentId));
  await deps.audit.record({
    at: now,
    actor: input.userId,
    action: input.decision,
    outcome: result.ok ? "ok" : "refused",
    service: d.service,
    environment: d.environment,
    deploymentId: d.id,
    ...(input.reason ? { detail: input.reason } : {}),
    ...(result.ok ? {} : { answer: result }),
    via: input.via,
  });
  if (saved) {
    await deps.notifications.changed(saved);
    if (saved.state === "running") await enqueueAdvance(deps.queues, saved.id, 0);
  }
  return result;
}

/** A person ticked a manual checklist item; the checklist is decided again without re-running its checks. */
export async function tickItem(
  deps: GateDeps & AuthorizeDeps,
  input: { deploymentId: string; itemId: string; userId: string },
): Promise<TickAnswer> {
  // The user groups the item's `tickedBy` (or the environment's deployers) name, looked up before deciding.
  const before = await deps.store.require(input.deploymentId);
  const config = deps.catalog.service(before.service)?.manifest.checklist?.find((i) => i.id === input.itemId);
  const roleNames =
    config?.check.kind === "manual" && config.check.tickedBy
      ? config.check.tickedBy
      : (deps.catalog.environment(before.service, before.environment)?.permissions.deploy ?? "anyone");
  const groups = await groupsFor(deps, slackActor(input.userId), before.service, roleNames);
  if (!groups.ok) return { ok: false, code: "lookup_failed", message: groups.message };
  const userGroups = groups.groups;
  const now = deps.now();
  const { saved, result } = await update<TickAnswer>(deps, input.deploymentId, (current) => {
    if (current.state !== "checking") return { refused: notWaiting(current, "tick") };
    if (now >= current.expiresAt) {
      return {
        next: endBadly(current, "expired", "the checklist was not completed in time", now),
        result: {
          ok: false,
          code: "expired",
          deploymentId: current.id,
          what: "checklist",
          expiredAt: current.expiresAt,
        },
      };
    }
    const item = current.checklist?.find((i) => i.id === input.itemId);
    if (!item) return { refused: { ok: false, code: "no_item", deploymentId: current.id, itemId: input.itemId } };
    if (item.status !== "waiting") {
      const { title, status, tickedBy } = item;
      return { refused: { ok: false, code: "already_ticked", title, status, ...(tickedBy ? { by: tickedBy } : {}) } };
    }
    const service = deps.catalog.require(current.service);
    const config = service.manifest.checklist?.find((i) => i.id === item.id);
    const environment = deps.catalog.environment(current.service, current.environment);
    const allowed = authorizeTick({
      userId: input.userId,
      userGroups,
      roles: service.manifest.roles ?? {},
      ...(config?.check.kind === "manual" && config.check.tickedBy ? { tickedBy: config.check.tickedBy } : {}),
      permissions: environment?.permissions ?? {},
      environment: current.environment,
      title: item.title,
    });
    if (!allowed.allowed) {
      return { refused: { ok: false, code: "forbidden", attempted: "tick", reason: allowed.reason } };
    }
    const ticked: ItemResult = { ...item, status: "passed", tickedBy: input.userId, at: now, evidence: "ticked" };
    const checklist = (current.checklist ?? []).map((i) => (i.id === item.id ? ticked : i));
    return {
      next: { ...current, checklist, updatedAt: now },
      result: { ok: true, code: "ticked", deploymentId: current.id, title: item.title },
    };
  });
  const d = saved ?? (await deps.store.require(input.deploymentId));
  await deps.audit.record({
    at: now,
    actor: input.userId,
    action: "tick",
    outcome: result.ok ? "ok" : "refused",
    service: d.service,
    environment: d.environment,
    deploymentId: d.id,
    detail: input.itemId,
    ...(result.ok ? {} : { answer: result }),
    via: "checkbox",
  });
  if (saved) {
    await deps.notifications.changed(saved);
    const decided = await decideAfterChecklist(deps, saved);
    if (decided) await enqueueAdvance(deps.queues, decided.deployment.id, 0);
  }
  return result;
}
