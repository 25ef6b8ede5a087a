import type { Deployment } from "../domain/deployment.js";
import { type DeploymentStore, StaleWriteError } from "../store/deployment-store.js";

/**
 * Saves `change(current)`, re-reading and deciding again when someone else
 * wrote in between, so a decision is always made on the latest record.
 * Given the record as the caller last read or saved it (`known`), it decides
 * on that first and reads the store only when the save is refused as stale
 * or the change refuses: a refusal stands only on a record just read. A
 * change may ask for its write to be refused while the service and
 * environment are locked (the store throws LockedError then).
 */
export async function update<T>(
  deps: { readonly store: DeploymentStore },
  deploymentId: string,
  change: (current: Deployment) => { next: Deployment; result: T; unlessLocked?: boolean } | { refused: T },
  known?: Deployment,
): Promise<{ saved?: Deployment; result: T }> {
  let current = known ?? (await deps.store.require(deploymentId));
  let read = known === undefined;
  for (;;) {
    const decided = change(current);
    if ("refused" in decided) {
      if (read) return { result: decided.refused };
    } else {
      try {
        const options = decided.unlessLocked ? { unlessLocked: true } : {};
        return { saved: await deps.store.save(decided.next, options), result: decided.result };
      } catch (error) {
        if (!(error instanceof StaleWriteError)) throw error;
      }
    }
    current = await deps.store.require(deploymentId);
    read = true;
  }
}
