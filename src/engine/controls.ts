import { slackActor } from "../domain/actor.js";
import { type Deployment, nextStageIndex, touchedTraffic } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import { exposure } from "../domain/stage-plan.js";
import type { Logger } from "../logger.js";
import type { AuditVia } from "../store/audit-log.js";
import type { ControlAnswer } from "./answers.js";
import { type AuthorizeDeps, authorizeActor } from "./authorize.js";
import type { GateDeps } from "./gates.js";
import { enqueueAbort, enqueueAdvance, enqueueAnalysis } from "./next-jobs.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { beginRollback, completeRollback, endBadly } from "./rollback.js";
import { update } from "./update-deployment.js";

/*
 * Pause, Resume, Promote and Abort from Slack. Each is a compare-and-set on
 * the deployment plus, where work must follow, a queued job: the listener
 * that takes the click never runs a step itself.
 */

export const CONTROLS = ["pause", "resume", "promote", "abort"] as const;
export type Control = (typeof CONTROLS)[number];

/** How long an abort waits for a running step to finish before going ahead without it. */
const ABORT_WAIT_MS = 500;

function tag(control: Control, d: Deployment): string {
  return `${control}${d.rev}`;
}

function remainingHold(d: Deployment, now: number): number {
  return Math.max(0, (d.holdUntil ?? now) - now);
}

export async function applyControl(
  deps: GateDeps & AuthorizeDeps,
  input: { deploymentId: string; userId: string; control: Control; via: AuditVia },
): Promise<ControlAnswer> {
  const { control, userId } = input;
  // Pause, Resume and Promote need the deploy permission; Abort the rollback one.
  const asked = await deps.store.require(input.deploymentId);
  const allowed = await authorizeActor(deps, {
    action: control === "abort" ? "rollback" : "deploy",
    attempted: control,
    actor: slackActor(userId),
    service: asked.service,
    environment: asked.environment,
    via: input.via,
    deploymentId: asked.id,
  });
  if (!allowed.allowed) return { ok: false, code: "forbidden", attempted: "control", reason: allowed.reason };
  const now = deps.now();
  const { saved, result } = await update<ControlAnswer>(deps, input.deploymentId, (current) => {
    const deploymentId = current.id;
    if (isFinal(current.state))
      return { refused: { ok: false, code: "ended", deploymentId, state: current.state, control } };
    if (current.abort || current.state === "rolling_back") {
      return { refused: { ok: false, code: "already_rolling_back", deploymentId } };
    }
    switch (control) {
      case "pause":
        if (current.state !== "running" && current.state !== "monitoring")
          return { refused: { ok: false, code: "not_running", deploymentId, state: current.state, control } };
        if (current.paused) return { refused: { ok: false, code: "already_paused", by: current.paused.by } };
        return {
          next: { ...current, paused: { by: userId, at: now }, updatedAt: now },
          result: { ok: true, code: "paused", deploymentId },
        };
      case "resume":
        if (!current.paused) return { refused: { ok: false, code: "not_paused", deploymentId } };
        return {
          next: {
            ...current,
            // After "needs an operator", the step a crash cut short is run again from the start.
            stages:
              current.paused.by === "slipway" && current.stuck
                ? current.stages.map((s) => (s.status === "running" ? { ...s, status: "pending" as const } : s))
                : current.stages,
            paused: undefined,
            stuck: undefined,
            // The analysis this Resume queues replaces any still waiting from before the pause.
            analysisEpoch: (current.analysisEpoch ?? 0) + 1,
            updatedAt: now,
          },
          result: { ok: true, code: "resumed", deploymentId },
        };
      case "promote": {
        if (current.state !== "running")
          return { refused: { ok: false, code: "not_running", deploymentId, state: current.state, control } };
        const skippable = current.stages.filter((s) => s.step.rollout && s.status === "pending");
        if (skippable.length === 0) return { refused: { ok: false, code: "nothing_to_skip", deploymentId } };
        const stages = current.stages.map((s) =>
          s.step.rollout && s.status === "pending" ? { ...s, status: "skipped" as const } : s,
        );
        return {
          next: { ...current, stages, holdUntil: undefined, paused: undefined, updatedAt: now },
          result: { ok: true, code: "promoting", deploymentId, skipped: skippable.map((s) => s.name) },
        };
      }
      case "abort":
        if (!touchedTraffic(current) && current.stages.every((s) => s.status !== "running")) {
          return {
            next: endBadly(current, "cancelled", `aborted by <@${userId}> before anything was deployed`, now),
            result: { ok: true, code: "cancelled", deploymentId, version: current.version },
          };
        }
        return {
          next: { ...current, abort: { by: userId, at: now }, updatedAt: now },
          result: { ok: true, code: "aborting", deploymentId },
        };
      default: {
        const unreachable: never = control;
        return unreachable;
      }
    }
  });
  const d = saved ?? (await deps.store.require(input.deploymentId));
  await deps.audit.record({
    at: now,
    actor: userId,
    action: control,
    outcome: result.ok ? "ok" : "refused",
    service: d.service,
    environment: d.environment,
    deploymentId: d.id,
    ...(result.ok ? {} : { answer: result }),
    via: input.via,
  });
  if (!saved) return result;
  await deps.notifications.changed(saved);
  // The step due, or one past the last while a final hold (keep blue, a soak) runs.
  const due = nextStageIndex(saved) === -1 ? saved.stages.length : nextStageIndex(saved);
  const watched =
    deps.catalog.service(saved.service)?.metrics !== undefined && exposure(saved.strategy, saved.stages).candidate;
  if (control === "resume" && saved.state === "monitoring") {
    await enqueueAnalysis(deps, saved, -1, 0);
  } else if (control === "resume" && watched && saved.holdUntil !== undefined) {
    await enqueueAnalysis(deps, saved, due, 0);
  } else if (control === "resume" || control === "promote") {
    await enqueueAdvance(deps.queues, saved.id, due, {
      tag: tag(control, saved),
      delay: control === "resume" ? remainingHold(saved, now) : 0,
    });
  }
  if (control === "abort" && saved.abort) await enqueueAbort(deps.queues, saved);
  return result;
}

/**
 * The `abort` job: once no step is running (or the running one is past its
 * time), the deployment leaves: cancelled if nothing reached the system,
 * otherwise rolled back.
 */
export async function runAbort(
  deps: PipelineDeps,
  deploymentId: string,
  poll: number,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  if (d.state === "rolling_back") return completeRollback(deps, deploymentId, signal, log);
  if (isFinal(d.state) || !d.abort) return;
  const running = d.stages.find((s) => s.status === "running");
  const service = deps.catalog.require(d.service);
  if (running?.startedAt !== undefined) {
    const limit =
      running.startedAt + (running.step.timeoutSeconds ?? service.manifest.target.timeoutSeconds) * 1000 + 5_000;
    if (deps.now() < limit) {
      await enqueueAbort(deps.queues, d, { delay: ABORT_WAIT_MS, poll: poll + 1 });
      return;
    }
  }
  const by = d.abort.by;
  const { saved } = await update(deps, deploymentId, (current) => {
    if (isFinal(current.state) || current.state === "rolling_back") return { refused: undefined };
    const now = deps.now();
    return touchedTraffic(current)
      ? { next: beginRollback(current, `aborted by <@${by}>`, by, now), result: undefined }
      : { next: endBadly(current, "cancelled", `aborted by <@${by}>`, now), result: undefined };
  });
  if (!saved) return;
  await deps.notifications.changed(saved);
  if (saved.state === "rolling_back") await completeRollback(deps, deploymentId, signal, log);
}
