import { type ItemResult, itemsFor, resultFor } from "../domain/checklist.js";
import { type Deployment, endedBack, restoringAfterEnd } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import { flagState } from "../domain/feature-flag.js";
import type { Logger } from "../logger.js";
import { enqueue, JOB_IDS } from "./jobs.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { restoreBackup } from "./restore-backup.js";
import { checkValidation } from "./rollback.js";
import { update } from "./update-deployment.js";

/*
 * Restore after the fact: the job side of a `/rollback … --restore` asked for
 * a deployment that had already ended back on the earlier version (rolled
 * back without it, or failed after its way back), or for a /rollback
 * deployment that succeeded (the backup then is the one the deployment it
 * replaced took), which restore-request.ts records on that deployment and
 * queues. The deployment keeps its final state; its restore says how it
 * went, and its thread and root show it.
 *
 * While the restore and its validation run, the deployment holds its
 * service and environment again (`holdsEnvironment`): the write that
 * records the restore claims the active key, and the write that ends it
 * (done, failed, or given up) lets it go, so nothing deploys there
 * meanwhile and the line behind it starts after it. The watchdog sees that
 * every restore under way gets there: a lost job is queued again, and a job
 * that gave up without saying so is recorded as given up. The live
 * deployment's root offers no flag buttons meanwhile (a change would be
 * refused): it is rendered again as the restore starts and once it is done.
 */

/** Queues the restore of a deployment that ended back; one job per deployment, so queuing it again is a no-op. */
export async function enqueueRestore(deps: Pick<PipelineDeps, "queues">, d: Pick<Deployment, "id">): Promise<void> {
  await enqueue(deps.queues, "restore", { deploymentId: d.id }, { id: JOB_IDS.restore(d.id) });
}

/**
 * Has the root of the deployment live in `d`'s environment (the last one to
 * pass the version live there) rendered again, when it moves a flag: as the
 * restore of `d`'s backup starts or ends holding the environment, its flag
 * buttons go or come back. Nothing for `d` itself, whose own changes
 * render its root.
 */
export async function showLiveRoot(deps: Pick<PipelineDeps, "store" | "notifications">, d: Deployment): Promise<void> {
  const version = await deps.store.lastSucceeded(d.service, d.environment);
  const passed = version === undefined ? undefined : await deps.store.passedRecord(d.service, d.environment, version);
  if (!passed || passed.id === d.id) return;
  const live = await deps.store.get(passed.id);
  if (live && flagState(live)) await deps.notifications.resync(live);
}

/**
 * The `restore` job: the backup recorded on a deployment that ended back on
 * the earlier version (or on the /rollback deployment that took it back),
 * restored after the fact (asked with `/rollback … --restore`, see
 * restore-request.ts), then the post-rollback validation checked again
 * against the version live, kept with the restore. Each part is done once:
 * a job run again finds what is recorded and does the rest. Then, done or
 * not, the live deployment's root is rendered again (see showLiveRoot).
 */
export async function runRestoreAfterEnd(
  deps: PipelineDeps,
  deploymentId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  if (!d.restore?.afterEnd || !isFinal(d.state)) return;
  await restoreAndValidate(deps, d, signal, log);
  await showLiveRoot(deps, d);
}

/** The restore of `d`'s backup, then its validation, each unless recorded already. */
async function restoreAndValidate(deps: PipelineDeps, d: Deployment, signal: AbortSignal, log: Logger): Promise<void> {
  const service = deps.catalog.require(d.service);
  const restored = await restoreBackup(deps, d, service, signal, log);
  if (!restored?.restore?.ok || restored.restore.validation !== undefined) return;
  // Live now: what a deployment that ended back went back to, or what a /rollback deployment deployed again.
  const live = endedBack(restored) ? (restored.previousVersion ?? "") : restored.version;
  const validation = await checkValidation(deps, service, restored, live, "post-rollback", signal, log);
  const { saved } = await update(deps, d.id, (current) =>
    current.restore?.ok && current.restore.validation === undefined
      ? { next: { ...current, restore: { ...current.restore, validation }, updatedAt: deps.now() }, result: undefined }
      : { refused: undefined },
  );
  if (saved) await deps.notifications.changed(saved);
}

/**
 * A restore job that gave up (its retries spent): the restore is recorded as
 * failed, with why; or, when the backup was restored already, its
 * validation as not checked. Either way the environment is free again.
 */
export async function abandonRestore(deps: PipelineDeps, deploymentId: string, error: string): Promise<void> {
  const { saved } = await update(deps, deploymentId, (current) => {
    const restore = current.restore;
    if (!restore || !restoringAfterEnd(current)) return { refused: undefined };
    const now = deps.now();
    const ended =
      restore.ok === undefined
        ? { ...restore, ok: false, output: error, finishedAt: now }
        : {
            ...restore,
            validation: uncheckedValidation(deps, current, `not checked, the restore job gave up: ${error}`),
          };
    return { next: { ...current, restore: ended, updatedAt: now }, result: undefined };
  });
  if (saved) {
    await deps.notifications.changed(saved);
    await showLiveRoot(deps, saved);
  }
}

/** The post-rollback validation's items, each an error saying why it was not checked. */
function uncheckedValidation(deps: PipelineDeps, d: Deployment, why: string): ItemResult[] {
  const service = deps.catalog.service(d.service);
  if (!service) return [];
  return itemsFor(service.manifest, d.environment, "post-rollback").map((item) =>
    resultFor(item, "error", why, deps.now()),
  );
}

/**
 * The watchdog's part for a restore under way that has sat quiet: its job
 * queued again when it was lost (the process that recorded the restore died
 * before queuing it, or Redis lost it), or the restore recorded as given up
 * when its job gave up and the worker died before recording it. A job still
 * waiting or running is left to it.
 */
export async function resumeRestore(deps: PipelineDeps, d: Deployment, log: Logger): Promise<void> {
  const job = await deps.queues.pipeline.getJob(JOB_IDS.restore(d.id));
  if (!job) {
    log.warn({ deploymentId: d.id }, "a restore under way has no job; queuing it again");
    await enqueueRestore(deps, d);
  } else if ((await job.getState()) === "failed") {
    log.warn({ deploymentId: d.id }, "a restore job gave up unrecorded; recording it");
    await abandonRestore(deps, d.id, job.failedReason);
  }
}
