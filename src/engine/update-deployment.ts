import type { Deployment } from "../domain/deployment.js";
import { type DeploymentStore, StaleWriteError } from "../store/deployment-store.js";

/**
 * Saves `change(current)`, re-reading and deciding again when someone else
 * wrote in between, so a decision is always made on the latest record.
 */
export async function update<T>(
  deps: { readonly store: DeploymentStore },
  deploymentId: string,
  change: (current: Deployment) => { next: Deployment; result: T } | { refused: T },
): Promise<{ saved?: Deployment; result: T }> {
  for (;;) {
    const current = await deps.store.require(deploymentId);
    const decided = change(current);
    if ("refused" in decided) return { result: decided.refused };
    try {
      return { saved: await deps.store.save(decided.next), result: decided.result };
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
    }
  }
}
