import { type Deployment, nextStageIndex, updateStage } from "../domain/deployment.js";
import type { LoadedService } from "../manifests/catalog.js";

/*
 * How a job starts a step: in its own write, or in the write that records
 * what came before it (the step before's result, or the decision that the
 * deployment runs), so a job going through steps due at once writes once
 * per step. Either way the start is a new attempt fenced by the store's
 * compare-and-set, and names the job that runs it.
 */

/**
 * `d` with step `index` started by job `jobId`: a new attempt, fenced by the
 * compare-and-set that writes it, with the job named its runner. `lost`
 * counts the attempts before it whose worker was lost.
 */
export function startStep(d: Deployment, index: number, jobId: string, now: number, lost = 0): Deployment {
  const attempts = (d.stages[index]?.attempts ?? 0) + 1;
  return updateStage(
    { ...d, stuck: undefined },
    index,
    { status: "running", attempts, startedAt: now, runner: jobId, lost },
    now,
  );
}

/**
 * A deployment as it is decided running, with its first step started by job
 * `jobId` in the same write when it simply goes on (as a step's result and
 * the next step's start are one write); the job then runs it with
 * runStartedSteps. Undefined when it does not (the target cannot do the
 * step, the job is stopping): the decision is written alone, and `advance`
 * takes it from there.
 */
export function withFirstStepStarted(
  d: Deployment,
  service: LoadedService,
  signal: AbortSignal,
  jobId: string,
  now: number,
): Deployment | undefined {
  const first = goesOnAt(d, service, signal);
  return first === -1 ? undefined : startStep(d, first, jobId, now);
}

/**
 * The step this job starts in the same write that records the one before
 * it, or -1 when the deployment does not simply go on (it ended or waits,
 * someone paused or aborted it, the job is stopping, or the target cannot
 * do the step and it is skipped by its own job).
 */
export function goesOnAt(d: Deployment, service: LoadedService, signal: AbortSignal): number {
  if (signal.aborted || d.state !== "running" || d.abort || d.paused || d.holdUntil !== undefined) return -1;
  const next = nextStageIndex(d);
  const step = d.stages[next];
  if (step?.status !== "pending") return -1;
  const { action, ifSupported } = step.step;
  return ifSupported && action && !service.target.supports(action) ? -1 : next;
}
