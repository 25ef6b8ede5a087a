import type { Actor } from "../domain/actor.js";
import { type Deployment, moveTo, newDeployment, restoringAfterEnd } from "../domain/deployment.js";
import { handOff, waitsForFirstLeg } from "../domain/hotfix-path.js";
import type { Step } from "../domain/stage-plan.js";
import type { Strategy } from "../domain/strategy.js";
import { lowTrafficStatus, windowStatus } from "../domain/windows.js";
import { failurePolicyOf } from "../manifests/rollback-readiness.js";
import type { EnvironmentConfig } from "../manifests/schema.js";
import type { AuditVia } from "../store/audit-log.js";
import type { Lock, LockStore } from "../store/locks.js";
import { type AuthorizeDeps, authorizeActor } from "./authorize.js";
import { enqueueCheck } from "./gates.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { update } from "./update-deployment.js";

/*
 * The engine's side of the hotfix path (see domain/hotfix-path.ts). The
 * request records both deployments at once; the one asked for waits in
 * `requested`, holding its environment, while the first runs. Every end of
 * the first queues one `handOff` job (job id per waiting deployment: a
 * repeat, a second worker or the watchdog's re-queue is a no-op), which
 * starts the waiting deployment's checklist or stops it. Only the hand-off
 * moves a waiting deployment: its check job is queued by nobody else.
 */

/** The first leg's plan, made by the request path for the environment the version must pass first. */
export interface FirstLegPlan {
  readonly environmentName: string;
  readonly environment: EnvironmentConfig;
  readonly strategy: Strategy;
  readonly steps: readonly Step[];
  readonly channel: string;
  readonly incidentChannel?: string;
  /** Asked with --sensitive, or the environment is marked so: it runs by the sensitive rules too. */
  readonly sensitive: boolean;
}

export type FirstLegRefusal =
  | { readonly code: "forbidden"; readonly reason: string }
  | { readonly code: "locked"; readonly lock: Lock }
  | { readonly code: "window"; readonly reason: string };

export interface FirstLegDeps extends AuthorizeDeps, PipelineDeps {
  readonly locks: LockStore;
}

/** Why the first leg cannot run now (the actor's permission there, its lock, its windows), or undefined. */
export async function firstLegRefusal(
  deps: FirstLegDeps,
  input: { readonly actor: Actor; readonly via: AuditVia; readonly service: string },
  plan: FirstLegPlan,
): Promise<FirstLegRefusal | undefined> {
  const allowed = await authorizeActor(deps, {
    action: "deploy",
    actor: input.actor,
    service: input.service,
    environment: plan.environmentName,
    via: input.via,
  });
  if (!allowed.allowed) return { code: "forbidden", reason: allowed.reason };
  const lock = await deps.locks.get(input.service, plan.environmentName);
  if (lock) return { code: "locked", lock };
  const now = new Date(deps.now());
  const window = windowStatus(plan.environment.windows, now, { hotfix: true });
  const closed = window.open && plan.sensitive ? lowTrafficStatus(plan.environment.windows, now) : window;
  if (!closed.open) {
    return { code: "window", reason: `${plan.environmentName}, where the hotfix goes first: ${closed.reason}` };
  }
  return undefined;
}

/**
 * Records the first leg of the hotfix path whose waiting deployment is
 * `waiting` (already recorded). When the first environment is busy (a
 * deployment under way there, or the restore of a backup) the waiting
 * deployment is cancelled, saying which, so it does not hold its
 * environment, and the holder's id is returned.
 */
export async function createFirstLeg(
  deps: FirstLegDeps,
  waiting: Deployment,
  plan: FirstLegPlan,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly heldBy: string }> {
  const path = waiting.hotfixPath;
  if (!path) throw new Error(`${waiting.id} is not on a hotfix path`);
  const first = newDeployment(
    {
      id: path.first.id,
      service: waiting.service,
      environment: plan.environmentName,
      version: waiting.version,
      strategy: plan.strategy,
      hotfix: true,
      requestedBy: waiting.requestedBy,
      source: waiting.source,
      ...(waiting.requesterName ? { requesterName: waiting.requesterName } : {}),
      steps: plan.steps,
      channel: plan.channel,
      ...(plan.incidentChannel ? { incidentChannel: plan.incidentChannel } : {}),
      waitLimitMs: plan.environment.approval.expiresAfterMs,
      reviewPolicy: plan.environment.review,
      failurePolicy: failurePolicyOf(deps.catalog.require(waiting.service).manifest, plan.environmentName),
      hotfixPath: path,
      sensitive: plan.sensitive,
    },
    deps.now(),
  );
  const created = await deps.store.create(first);
  if (created.ok) return { ok: true };
  const holder = await deps.store.get(created.heldBy);
  const held =
    holder?.restore && restoringAfterEnd(holder)
      ? `backup \`${holder.restore.backupId}\` of \`${holder.id}\` is being restored there, then the post-rollback validation checked, and nothing deploys there until it is done; ask for the hotfix again once it has finished`
      : `\`${created.heldBy}\` is deploying there`;
  await deps.store.save(
    moveTo(waiting, "cancelled", deps.now(), {
      failureReason: `the hotfix could not go to ${plan.environmentName} first: ${held}`,
    }),
  );
  return { ok: false, heldBy: created.heldBy };
}

/** Starts a recorded hotfix path: the first leg's checklist, and the waiting deployment's root message. */
export async function dispatchHotfixPath(deps: PipelineDeps, waiting: Deployment): Promise<void> {
  const path = waiting.hotfixPath;
  if (!path) throw new Error(`${waiting.id} is not on a hotfix path`);
  await Promise.all([enqueueCheck(deps, { id: path.first.id, rev: 0 }), deps.notifications.changed(waiting)]);
}

/**
 * The `handOff` job: the first leg has ended. Succeeded, the waiting
 * deployment's checklist starts (then approval and stages, as for any
 * deployment); otherwise it is cancelled, saying why, before anything ran.
 */
export async function runHandOff(deps: PipelineDeps, deploymentId: string): Promise<void> {
  const waiting = await deps.store.require(deploymentId);
  if (waiting.state !== "requested" || !waitsForFirstLeg(waiting) || !waiting.hotfixPath) return;
  const firstLink = waiting.hotfixPath.first;
  const first = await deps.store.get(firstLink.id);
  const next = handOff(first);
  switch (next) {
    case "wait":
      return;
    case "go": {
      // Handed off once: the first run marks it and restarts its time to wait on people (checklist,
      // approval), which starts now, not when the path was asked for. A repeat (a retry after a crash, the
      // watchdog) queues the same check job again, for the revision the hand-off was recorded at: a no-op.
      const { saved, result } = await update<Deployment | undefined>(deps, deploymentId, (current) => {
        if (current.state !== "requested" || !current.hotfixPath) return { refused: undefined };
        if (current.hotfixPath.handedOffAt !== undefined) return { refused: current };
        const now = deps.now();
        return {
          next: {
            ...current,
            hotfixPath: { ...current.hotfixPath, handedOffAt: now },
            expiresAt: now + (current.expiresAt - current.createdAt),
            updatedAt: now,
          },
          result: undefined,
        };
      });
      const handedOff = saved ?? result;
      if (handedOff) await Promise.all([enqueueCheck(deps, handedOff), deps.notifications.changed(handedOff)]);
      return;
    }
    case "stop": {
      const how = first ? `ended ${first.state.replace("_", " ")}` : "is gone";
      const { saved } = await update(deps, deploymentId, (current) =>
        current.state === "requested"
          ? {
              next: moveTo(current, "cancelled", deps.now(), {
                failureReason: `the hotfix stopped before ${current.environment}: its ${firstLink.environment} deployment \`${firstLink.id}\` ${how}${first?.failureReason ? ` (${first.failureReason})` : ""}`,
              }),
              result: undefined,
            }
          : { refused: undefined },
      );
      if (saved) await deps.notifications.changed(saved);
      return;
    }
    default: {
      const unreachable: never = next;
      return unreachable;
    }
  }
}
