import { evaluateItems } from "../checks/evaluate-item.js";
import { gate, type ItemResult, itemsFor } from "../domain/checklist.js";
import { type Deployment, moveTo, type RollbackRecord } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import { failureRoute } from "../domain/failure-route.js";
import type { Step } from "../domain/stage-plan.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { TargetAction } from "../targets/target.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { restoreBackup } from "./restore-backup.js";
import { runStep } from "./stage-runner.js";
import { update } from "./update-deployment.js";

/*
 * The way back, the seed's manual rollback process done by the engine:
 * traffic to the stable version first (the fastest relief), then the
 * target's rollback action, then (asked with --restore) the restore of the
 * deployment's backup, then the post-rollback validation checklist.
 * Each action carries its own idempotency key, so a worker crash halfway
 * resumes without repeating what already ran.
 */

const WAY_BACK: readonly { name: string; action: TargetAction; weight?: number }[] = [
  { name: "traffic-to-stable", action: "setTraffic", weight: 0 },
  { name: "rollback", action: "rollback" },
];

/**
 * An environment's validation checked against `version` (the one live now):
 * its deployment items after the last step, counting logs from the
 * deployment's first step, or its validation items after a rollback.
 */
export function checkValidation(
  deps: Pick<PipelineDeps, "now">,
  service: LoadedService,
  d: Pick<Deployment, "id" | "service" | "environment" | "createdAt" | "stages">,
  version: string,
  phase: "post-deployment" | "post-rollback",
  signal: AbortSignal,
  log: Logger,
): Promise<ItemResult[]> {
  return evaluateItems(itemsFor(service.manifest, d.environment, phase), {
    workdir: service.workdir,
    env: {
      ...(service.manifest.target.env ?? {}),
      SLIPWAY_SERVICE: d.service,
      SLIPWAY_ENVIRONMENT: d.environment,
      SLIPWAY_VERSION: version,
      SLIPWAY_DEPLOYMENT_ID: d.id,
    },
    signal,
    log,
    now: deps.now,
    since: d.stages[0]?.startedAt ?? d.createdAt,
  });
}

/**
 * Rolls a deployment back from `rolling_back` to `rolled_back` (or `failed`
 * when the way back itself fails). Resumable: actions already recorded as
 * done are not run again.
 */
export async function completeRollback(
  deps: PipelineDeps,
  deploymentId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  let d = await deps.store.require(deploymentId);
  if (d.state !== "rolling_back" || !d.rollback) return;
  const service = deps.catalog.require(d.service);
  // Only a canary or blue-green rollout has a share of traffic to take back, and only until it is promoted.
  const split = d.strategy === "canary" || d.strategy === "blue-green";
  const promoted = !split || d.stages.some((s) => s.step.promote && s.status === "succeeded");
  for (const { name, action, weight } of WAY_BACK) {
    if (!service.target.supports(action)) continue;
    // With no share to take back, the rollback action alone restores the previous version.
    if (name === "traffic-to-stable" && promoted) continue;
    if (d.rollback?.actions.some((a) => a.name === name && a.ok)) continue;
    const step: Step = { name: `rollback-${name}`, action, ...(weight === undefined ? {} : { weight }) };
    const result = await runStep(service, step, { ...d, version: d.version }, signal, log, `${d.id}:rollback:${name}`);
    log.info({ action: name, ok: result.ok }, "rollback action finished");
    const saved = await update(deps, deploymentId, (current) => {
      if (current.state !== "rolling_back" || !current.rollback) return { refused: undefined };
      const rollback: RollbackRecord = {
        ...current.rollback,
        actions: [...current.rollback.actions, { name, ok: result.ok, output: result.outputTail, at: deps.now() }],
      };
      const restored =
        result.ok && current.incident && current.incident.trafficRestoredMs === undefined
          ? { incident: { ...current.incident, trafficRestoredMs: deps.now() - current.incident.at } }
          : {};
      const next = { ...current, ...restored, rollback, updatedAt: deps.now() };
      // A traffic step that fails does not stop the way back: the rollback action still runs.
      return {
        next:
          result.ok || name === "traffic-to-stable"
            ? next
            : moveTo(next, "failed", deps.now(), {
                failureReason: `rollback action ${name} failed: ${result.outputTail.split("\n").at(-1) ?? ""}`,
              }),
        result: undefined,
      };
    });
    if (!saved.saved) return;
    d = saved.saved;
    await deps.notifications.changed(d);
    if (isFinal(d.state)) return;
  }

  // Asked with --restore: the backup the deployment took is restored once the previous version is back.
  const restored = await restoreBackup(deps, d, service, signal, log);
  if (!restored || isFinal(restored.state)) return;
  d = restored;

  const checklist = await checkValidation(deps, service, d, d.previousVersion ?? "", "post-rollback", signal, log);
  const verdict = gate(checklist);
  const { saved } = await update(deps, deploymentId, (current) => {
    if (current.state !== "rolling_back" || !current.rollback) return { refused: undefined };
    const rollback = { ...current.rollback, checklist, finishedAt: deps.now() };
    const next = { ...current, rollback, updatedAt: deps.now() };
    return {
      next:
        verdict.state === "failed"
          ? moveTo(next, "failed", deps.now(), {
              failureReason: `rolled back, but post-rollback validation failed: ${verdict.blocking.map((i) => i.title).join(", ")}`,
            })
          : moveTo(next, "rolled_back", deps.now()),
      result: undefined,
    };
  });
  if (saved) await deps.notifications.changed(saved);
}

/**
 * A deployment that cannot go on — a step that failed, a pipeline that
 * could not continue, a cancel, an expiry — goes the way its environment's
 * `onFailure` says (see domain/failure-route.ts): it ends in `end`; or it
 * takes the way back as an automatic rollback does (traffic to stable, the
 * rollback action, the post-rollback checklist), with an incident saying
 * why, which `completeRollback` (through the abort job) finishes; or it
 * pauses for a person, the root message and the incident alert saying what
 * is live where. A failed step, a pipeline out of retries, an Abort or a
 * /rollback that cancels, a lock that cancels and an expiry all end through
 * here, so none of them can leave the new version serving traffic unsaid.
 */
export function endBadly(
  current: Deployment,
  end: "failed" | "cancelled" | "expired",
  reason: string,
  now: number,
): Deployment {
  const route = failureRoute(current);
  switch (route.route) {
    case "end":
      return moveTo(current, end, now, {
        failureReason: route.noEarlierVersion
          ? `${reason}; nothing succeeded in ${current.environment} before, so there is no earlier version to roll back to`
          : reason,
      });
    case "way-back":
      return {
        ...beginRollback(current, `automatic rollback: ${reason}`, "slipway", now),
        incident: { at: now, summary: reason },
      };
    case "pause":
      return {
        ...current,
        holdUntil: undefined,
        paused: { by: "slipway", at: now, reason: `${reason}, and ${current.environment} pauses on failure` },
        stuck: {
          at: now,
          what: `${reason}; ${route.live}`,
          suggestion: "Resume runs the failed step again; Abort or Roll back takes the way back",
        },
        updatedAt: now,
      };
    default: {
      const unreachable: never = route;
      return unreachable;
    }
  }
}

/** Starts the way back: marks the deployment rolling back with who and why. */
export function beginRollback(current: Deployment, reason: string, by: string, now: number): Deployment {
  return {
    ...moveTo(current, "rolling_back", now),
    paused: undefined,
    holdUntil: undefined,
    rollback: { reason, by, startedAt: now, actions: [] },
  };
}
