import { isFinal } from "../domain/deployment-state.js";
import type { Logger } from "../logger.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { restoreBackup } from "./restore-backup.js";
import { checkValidation } from "./rollback.js";
import { update } from "./update-deployment.js";

/*
 * Restore after the fact: the job side of a `/rollback … --restore` asked for
 * a deployment that had already ended back on the earlier version (rolled
 * back without it, or failed after its way back), which restore-request.ts
 * records on that deployment and queues. The deployment keeps its final
 * state; its restore says how it went, and its thread and root show it.
 */

/**
 * The `restore` job: the backup of a deployment that ended back on the
 * earlier version, restored after the fact (asked with `/rollback …
 * --restore`, see restore-request.ts), then the post-rollback validation
 * checked again against the version live, kept with the restore. Each part
 * is done once: a job run again finds what is recorded and does the rest.
 */
export async function runRestoreAfterEnd(
  deps: PipelineDeps,
  deploymentId: string,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const d = await deps.store.require(deploymentId);
  if (!d.restore?.afterEnd || !isFinal(d.state)) return;
  const service = deps.catalog.require(d.service);
  const restored = await restoreBackup(deps, d, service, signal, log);
  if (!restored?.restore?.ok || restored.restore.validation !== undefined) return;
  const validation = await checkValidation(
    deps,
    service,
    restored,
    restored.previousVersion ?? "",
    "post-rollback",
    signal,
    log,
  );
  const { saved } = await update(deps, deploymentId, (current) =>
    current.restore?.ok && current.restore.validation === undefined
      ? { next: { ...current, restore: { ...current.restore, validation }, updatedAt: deps.now() }, result: undefined }
      : { refused: undefined },
  );
  if (saved) await deps.notifications.changed(saved);
}

/** A restore job that gave up (its retries spent): the restore is recorded as failed, with why. */
export async function abandonRestore(deps: PipelineDeps, deploymentId: string, error: string): Promise<void> {
  const { saved } = await update(deps, deploymentId, (current) =>
    current.restore?.afterEnd && current.restore.ok === undefined
      ? {
          next: {
            ...current,
            restore: { ...current.restore, ok: false, output: error, finishedAt: deps.now() },
            updatedAt: deps.now(),
          },
          result: undefined,
        }
      : { refused: undefined },
  );
  if (saved) await deps.notifications.changed(saved);
}
