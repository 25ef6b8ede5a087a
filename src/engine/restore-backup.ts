import type { Deployment } from "../domain/deployment.js";
import { moveTo } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import { runStep } from "./stage-runner.js";
import { update } from "./update-deployment.js";

/**
 * The restore a `/rollback … --restore` asked for, once the way back is done
 * (the rollback of a deployment under way, or a rollback deployment's steps),
 * or on its own for a deployment that had already ended back on the earlier
 * version: the target's restore action with the backup's id as
 * SLIPWAY_BACKUP_ID, under its own idempotency key, so a worker crash (or a
 * job run again) resumes without restoring twice. A failed restore ends a
 * deployment still under way failed, saying so; one that had ended keeps its
 * state and the restore says it failed. Returns the deployment as saved, or
 * undefined when someone else moved it on meanwhile.
 */
export async function restoreBackup(
  deps: PipelineDeps,
  d: Deployment,
  service: LoadedService,
  signal: AbortSignal,
  log: Logger,
): Promise<Deployment | undefined> {
  const restore = d.restore;
  if (!restore || restore.ok !== undefined) return d;
  const result = await runStep(
    service,
    { name: "restore", action: "restore", backupId: restore.backupId },
    d,
    signal,
    log,
    `${d.id}:restore`,
  );
  log.info({ backupId: restore.backupId, ok: result.ok }, "restore finished");
  const { saved } = await update(deps, d.id, (current) => {
    if (current.state !== d.state || current.restore?.ok !== undefined || !current.restore)
      return { refused: undefined };
    const restored = {
      ...current,
      restore: { ...current.restore, ok: result.ok, output: result.outputTail, finishedAt: deps.now() },
      updatedAt: deps.now(),
    };
    const why = result.outputTail.split("\n").at(-1) ?? "";
    return {
      next:
        result.ok || isFinal(current.state)
          ? restored
          : moveTo(restored, "failed", deps.now(), {
              failureReason: `restoring backup ${restore.backupId} failed${why ? `: ${why}` : ""}`,
            }),
      result: undefined,
    };
  });
  if (saved) await deps.notifications.changed(saved);
  return saved;
}
