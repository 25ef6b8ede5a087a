import { nextStageIndex, restoringAfterEnd } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import { waitsForFirstLeg } from "../domain/hotfix-path.js";
import { EXTENDED_WATCH_INDEX, watchAwaitsRollback, watching } from "../domain/monitoring-windows.js";
import { formatDuration } from "../domain/progress.js";
import type { Logger } from "../logger.js";
import type { Waitlist } from "../store/waitlist.js";
import { enqueueCheck } from "./gates.js";
import { runHandOff } from "./hotfix-path.js";
import { enqueue, JOB_IDS, upsertSchedule } from "./jobs.js";
import { enqueueAbort, enqueueAdvance, enqueueAnalysis } from "./next-jobs.js";
import { runnerHoldsStep, runnerJobState, safeToRepeat } from "./pipeline.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { resumeRestore } from "./restore-after-end.js";
import { update } from "./update-deployment.js";
import { WATCHDOG_TIMING, type WatchdogTiming } from "./watchdog-timing.js";

/*
 * The watchdog makes sure no deployment is left silently stuck. Every run
 * it looks at the deployments still under way: work whose job was lost (a
 * crash between recording a step and queuing the next, a Redis restart
 * without persistence) is queued again — every job is safe to repeat — and
 * so is a step recorded running whose job is over with no result recorded
 * (Redis lost it), unless its action is not safe to repeat. A step running
 * far past its timeout is reported in the thread and the incident channel
 * with what it was doing and what Slipway will do. The restore of
 * an ended deployment's backup is seen to its end the same way (its lost
 * job queued again, a job that gave up unrecorded recorded), so it never
 * holds its environment for good. A deployment whose Slack messages show
 * an older revision than its record (a sync that failed for good, or was
 * lost) is synced again, ended ones included.
 */

const SCAN = 500;
/** A change this recent may still be on its way to Slack through its own sync. */
const RESYNC_AFTER_MS = 10_000;
/** Slack is brought up to date for deployments changed within this time; older ones are left as they are. */
const RESYNC_WITHIN_MS = 60 * 60_000;

export async function scheduleWatchdog(deps: PipelineDeps, everyMs: number): Promise<void> {
  await upsertSchedule(deps.queues, "watchdog", {}, { id: JOB_IDS.watchdog(), repeat: { every: everyMs } });
}

export async function runWatchdog(
  deps: PipelineDeps & { readonly waitlist: Waitlist },
  log: Logger,
  { quietMs, graceMs }: WatchdogTiming = WATCHDOG_TIMING,
): Promise<void> {
  const now = deps.now();
  await startForgottenLines(deps, now, log);
  const deployments = await deps.store.recent(SCAN);
  const rendered = await deps.store.renderedRevs(deployments.map((d) => d.id));
  for (const [i, d] of deployments.entries()) {
    const age = now - d.updatedAt;
    const shown = rendered[i] ?? -1;
    if (shown < d.rev && age > RESYNC_AFTER_MS && age < RESYNC_WITHIN_MS) {
      log.warn(
        { deploymentId: d.id, rev: d.rev, shown },
        "Slack shows an older revision than the record; syncing again",
      );
      await deps.notifications.resync(d);
    }
    const quiet = now - d.updatedAt > quietMs;
    // A succeeded deployment's extended window, or the rollback its trip asks for (a repeated round is a no-op).
    if (watching(d) || watchAwaitsRollback(d)) {
      if (quiet) await enqueueAnalysis(deps, d, EXTENDED_WATCH_INDEX, 0);
      continue;
    }
    // The restore of an ended deployment's backup, which holds its environment until it is done.
    if (restoringAfterEnd(d)) {
      if (quiet) await resumeRestore(deps, d, log);
      continue;
    }
    if (isFinal(d.state)) continue;
    const service = deps.catalog.service(d.service);
    if (!service) continue;
    switch (d.state) {
      case "requested":
        // Its check job was lost, or never queued: the process that recorded and answered the request
        // died before queuing it. The waiting deployment of a hotfix path moves only by its hand-off,
        // which is safe to run again.
        if (quiet) await (waitsForFirstLeg(d) ? runHandOff(deps, d.id) : enqueueCheck(deps, d));
        break;
      case "checking":
        if (quiet) await enqueueCheck(deps, d);
        break;
      case "awaiting_approval":
        break;
      case "rolling_back":
        if (quiet) await enqueueAbort(deps.queues, d, { tag: "watchdog" });
        break;
      case "monitoring":
        if (quiet && !d.paused && service.metrics) await enqueueAnalysis(deps, d, -1, 0);
        break;
      case "running": {
        if (d.paused) break;
        if (d.abort) {
          if (quiet) await enqueueAbort(deps.queues, d, { tag: "watchdog" });
          break;
        }
        const running = d.stages.find((s) => s.status === "running");
        if (running?.startedAt !== undefined) {
          const limit = (running.step.timeoutSeconds ?? service.manifest.target.timeoutSeconds) * 1000 + graceMs;
          const ranFor = now - running.startedAt;
          const overdue = ranFor > limit && !d.stuck;
          if (!quiet && !overdue) break;
          const job = await runnerJobState(deps.queues, running);
          const repeatable = safeToRepeat(service, running.step);
          let rev = d.rev;
          if (overdue) {
            const stuck = {
              at: now,
              ...stuckWords(
                running.name,
                ranFor,
                limit - graceMs,
                job,
                d.environment,
                repeatable ? undefined : running.step.action,
              ),
            };
            const { saved } = await update(deps, d.id, (current) =>
              current.stuck || isFinal(current.state)
                ? { refused: undefined }
                : { next: { ...current, stuck }, result: undefined },
            );
            if (saved) {
              log.warn({ deploymentId: d.id, step: running.name }, "deployment stuck");
              await deps.notifications.changed(saved);
              rev = saved.rev;
            }
          }
          if (quiet && repeatable && !runnerHoldsStep(job)) {
            // Its job ended without the step's result recorded (Redis lost it) or is gone: nothing runs the step.
            // Queued under the revision the report left, so the next round asks for the same job.
            log.warn(
              { deploymentId: d.id, step: running.name, runner: running.runner, job },
              "nothing runs the deployment's running step; queuing it again",
            );
            await enqueueAdvance(deps.queues, d.id, d.stages.indexOf(running), { tag: `watchdog${rev}` });
          }
          break;
        }
        // The step due, or the end of a final hold (keep blue, a soak) that nothing came to close.
        const due = nextStageIndex(d) === -1 ? d.stages.length : nextStageIndex(d);
        const holding = d.holdUntil !== undefined && now < d.holdUntil + graceMs;
        if (quiet && !holding) {
          log.warn({ deploymentId: d.id, due }, "deployment stopped moving; queuing its next step again");
          await enqueueAdvance(deps.queues, d.id, due, { tag: `watchdog${d.rev}` });
        }
        break;
      }
      default:
        break;
    }
  }
}

/**
 * What the watchdog says of a step past its timeout, by what became of the
 * job that runs it (BullMQ's job state): still held by a live worker, waiting
 * to be taken over, or over (completed, failed for good, gone) with nothing
 * running the step; and so what Slipway will do about it. `unsafeAction`
 * names the step's action when the target marks it not safe to repeat.
 */
export function stuckWords(
  step: string,
  ranForMs: number,
  timeoutMs: number,
  job: string,
  environment: string,
  unsafeAction?: string,
): { what: string; suggestion: string } {
  const past = `step ${step} has been running for ${formatDuration(ranForMs)}, past its ${formatDuration(timeoutMs)} timeout`;
  const wayBack = `Abort or /rollback takes ${environment} the way back`;
  if (job === "active") {
    return {
      what: `${past}; its worker still holds it, but the step has not returned (that worker may be stopped or too busy to go on)`,
      suggestion: `Slipway will not run it again while that worker holds it; ${wayBack}`,
    };
  }
  if (runnerHoldsStep(job)) {
    return {
      what: `${past}; its worker was lost and its job waits for another worker`,
      suggestion: `Slipway runs it again as soon as a worker is free; if nothing moves in a few minutes, ${wayBack}`,
    };
  }
  const over = `${past}; its job ended or is gone without the step's result recorded, and nothing runs it`;
  return unsafeAction === undefined
    ? {
        what: over,
        suggestion: `Slipway queues it again and runs it on a free worker; if nothing moves in a few minutes, ${wayBack}`,
      }
    : {
        what: `${over} (its ${unsafeAction} may have half happened)`,
        suggestion: `Slipway will not run it again by itself, as the target marks ${unsafeAction} not safe to repeat; check the target, then ${wayBack}`,
      };
}

/**
 * A waiting deployment that may start in a service and environment nothing
 * holds: the start its predecessor's end should have queued was lost (a
 * crash between the two). Asks for a start; at most one such job waits per
 * service and environment, and starting is safe to repeat.
 */
async function startForgottenLines(
  deps: PipelineDeps & { readonly waitlist: Waitlist },
  now: number,
  log: Logger,
): Promise<void> {
  for (const service of deps.catalog.serviceNames()) {
    for (const environment of Object.keys(deps.catalog.service(service)?.manifest.environments ?? {})) {
      const line = await deps.waitlist.line(service, environment);
      if (!line.some((w) => (w.notBefore ?? 0) <= now)) continue;
      if ((await deps.store.activeFor(service, environment)) !== undefined) continue;
      log.warn({ service, environment, waiting: line.length }, "a waiting deployment may start; asking for its start");
      await enqueue(
        deps.queues,
        "startWaiting",
        { service, environment },
        { onePending: JOB_IDS.startWaiting(service, environment, "watchdog") },
      );
    }
  }
}
