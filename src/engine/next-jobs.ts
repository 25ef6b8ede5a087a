import type { Deployment } from "../domain/deployment.js";
import { enqueue, JOB_IDS } from "./jobs.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import type { Queues } from "./queues.js";

/*
 * The jobs that carry a deployment on: its next step, its abort, its next
 * analysis round. Every part of the engine that moves a deployment queues
 * them through here.
 */

/**
 * Queues the job for step `stageIndex`. `tag` makes a fresh job where one for
 * the same step may already exist (after a pause, or a promote); `delay`
 * holds it without holding a worker.
 */
export async function enqueueAdvance(
  queues: Queues,
  deploymentId: string,
  stageIndex: number,
  options: { delay?: number; tag?: string } = {},
): Promise<void> {
  await enqueue(
    queues,
    "advance",
    { deploymentId, stageIndex },
    { id: JOB_IDS.advance(deploymentId, stageIndex, options.tag), delay: options.delay ?? 0 },
  );
}

/**
 * Queues the `abort` job of `d` at its current revision. `poll` counts the
 * waits of one abort for a running step to finish; `tag` makes a fresh job
 * where one for the same revision may already have run (the watchdog's).
 */
export async function enqueueAbort(
  queues: Queues,
  d: Pick<Deployment, "id" | "rev">,
  options: { delay?: number; poll?: number; tag?: string } = {},
): Promise<void> {
  const poll = options.poll ?? 0;
  await enqueue(
    queues,
    "abort",
    { deploymentId: d.id, poll },
    { id: JOB_IDS.abort(d.id, d.rev, poll, options.tag), delay: options.delay ?? 0 },
  );
}

/**
 * Queues an analysis of `d` in `delay` ms, under its current analysis epoch
 * and revision: each round records its verdict, so the round after it is
 * queued under a new revision, and queuing the same round twice is a no-op.
 */
export async function enqueueAnalysis(
  deps: PipelineDeps,
  d: Pick<Deployment, "id" | "analysisEpoch" | "rev">,
  stageIndex: number,
  delay: number,
) {
  const epoch = d.analysisEpoch ?? 0;
  await enqueue(
    deps.queues,
    "analyse",
    { deploymentId: d.id, stageIndex, epoch },
    { id: JOB_IDS.analyse(d.id, stageIndex, epoch, d.rev), delay },
  );
}
