import type { Queue } from "bullmq";
import type { Deployment } from "../domain/deployment.js";
import { enqueue, JOB_IDS } from "./jobs.js";

/** Short pause before a sync, so a burst of changes becomes one round of Slack calls. */
export const SYNC_COALESCE_MS = 150;

/**
 * Tells the notifier that a deployment changed. It only enqueues: Slack is
 * reached by the notify workers, so a slow or failing Slack never holds up a
 * deployment. One job per revision; the notifier makes each a no-op once
 * Slack shows that revision or a later one.
 */
export class Notifications {
  constructor(private readonly queue: Queue) {}

  async changed(deployment: Deployment): Promise<void> {
    await enqueue(
      { notify: this.queue },
      "sync",
      { deploymentId: deployment.id },
      {
        id: JOB_IDS.sync(deployment.id, deployment.rev),
        delay: SYNC_COALESCE_MS,
        attempts: 10,
      },
    );
  }

  /**
   * Asks for a sync of a deployment whose Slack messages show an older
   * revision than its record (a sync that failed for good, a lost job). At
   * most one such job waits per deployment, however often it is asked for.
   */
  async resync(deployment: Deployment): Promise<void> {
    await enqueue(
      { notify: this.queue },
      "sync",
      { deploymentId: deployment.id },
      { onePending: JOB_IDS.resync(deployment.id), attempts: 10 },
    );
  }
}
