import type { Queue } from "bullmq";
import type { Deployment } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import type { JobData, JobName } from "./jobs.js";

/** Short pause before a root-message edit, so a burst of changes becomes one edit. */
export const RENDER_COALESCE_MS = 250;

/**
 * Tells the notifier what changed. It only enqueues: Slack is reached by the
 * notify workers, so a slow or failing Slack never holds up a deployment.
 * Job ids make each message's job unique, so saying the same thing twice
 * (a retried stage, a duplicated job) posts once.
 */
export class Notifications {
  constructor(private readonly queue: Queue) {}

  private add<N extends JobName<"notify">>(name: N, data: JobData<"notify", N>, jobId: string, delay = 0) {
    return this.queue.add(name, data, { jobId, delay, attempts: 10 });
  }

  async created(deployment: Deployment): Promise<void> {
    await this.add("post", { deploymentId: deployment.id }, `post.${deployment.id}`);
  }

  async changed(deployment: Deployment): Promise<void> {
    await this.add(
      "render",
      { deploymentId: deployment.id },
      `render.${deployment.id}.${deployment.rev}`,
      RENDER_COALESCE_MS,
    );
    if (isFinal(deployment.state)) {
      await this.add("summary", { deploymentId: deployment.id }, `summary.${deployment.id}`);
    }
  }

  async stageFinished(deployment: Deployment, stageIndex: number): Promise<void> {
    await this.add("stage", { deploymentId: deployment.id, stageIndex }, `stage.${deployment.id}.${stageIndex}`);
  }
}
