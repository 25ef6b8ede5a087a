import { type Job, UnrecoverableError, Worker } from "bullmq";
import { SlipwayError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { RedisClient } from "../store/redis.js";
import { runAbort } from "./controls.js";
import { abandonFlagChange, runFlagChange } from "./flags.js";
import { expireIfWaiting, type GateDeps, runChecks } from "./gates.js";
import { runHandOff } from "./hotfix-path.js";
import { JOBS, parseJobData } from "./jobs.js";
import {
  advance,
  FencedOffError,
  failAfterRetries,
  runStartedSteps,
  STEP_ABANDONED,
  takeOverAbandonedStep,
} from "./pipeline.js";
import { queueOptions, workerLockOptions } from "./queues.js";
import { remindReview } from "./records.js";
import { abandonRestore, runRestoreAfterEnd } from "./restore-after-end.js";
import { runSchedule, type ScheduleDeps } from "./schedules.js";
import { startNextWaiting } from "./waiting-deployments.js";
import { runAnalysis } from "./watch.js";
import { runWatchdog } from "./watchdog.js";
import type { WatchdogTiming } from "./watchdog-timing.js";

export interface PipelineWorkerOptions {
  readonly connection: RedisClient;
  /** Slipway's key prefix (SLIPWAY_KEY_PREFIX). */
  readonly keyPrefix: string;
  readonly deps: GateDeps & ScheduleDeps;
  readonly log: Logger;
  readonly concurrency: number;
  /** How long a job's lock lasts without renewal. Default BullMQ's 30 s. */
  readonly lockDurationMs?: number;
  /** How long the watchdog lets a deployment be before it acts. Default WATCHDOG_TIMING. */
  readonly watchdog?: WatchdogTiming;
}

/** A job's return value, kept with it: the last step it ran. */
function ranSteps(lastStep: number | undefined): { lastStep: number } | undefined {
  return lastStep === undefined ? undefined : { lastStep };
}

/** Starts a worker that runs pipeline jobs; stages get an AbortSignal that fires when the lock is lost. */
export function startPipelineWorker(options: PipelineWorkerOptions): Worker {
  const { deps, log } = options;
  const worker = new Worker(
    "pipeline",
    async (job: Job, _token: string | undefined, signal?: AbortSignal) => {
      const stop = signal ?? new AbortController().signal;
      switch (job.name) {
        case "advance": {
          const data = parseJobData(JOBS.pipeline.advance, job.data, "pipeline/advance");
          const jobLog = log.child({ jobId: job.id, deploymentId: data.deploymentId });
          return ranSteps(await advance(deps, data.deploymentId, data.stageIndex, stop, jobLog, job.id ?? ""));
        }
        case "check": {
          const data = parseJobData(JOBS.pipeline.check, job.data, "pipeline/check");
          const jobLog = log.child({ jobId: job.id, deploymentId: data.deploymentId });
          const jobId = job.id ?? "";
          const started = await runChecks(deps, data.deploymentId, stop, jobLog, jobId);
          if (!started) return;
          // A deployment its checks started runs its steps in this job, as an advance job would.
          const { deployment, firstStepStarted } = started;
          return ranSteps(
            firstStepStarted
              ? await runStartedSteps(deps, deployment, stop, jobLog, jobId)
              : await advance(deps, data.deploymentId, 0, stop, jobLog, jobId, deployment),
          );
        }
        case "expire": {
          const data = parseJobData(JOBS.pipeline.expire, job.data, "pipeline/expire");
          await expireIfWaiting(deps, data.deploymentId);
          return;
        }
        case "abort": {
          const data = parseJobData(JOBS.pipeline.abort, job.data, "pipeline/abort");
          await runAbort(
            deps,
            data.deploymentId,
            data.poll,
            stop,
            log.child({ jobId: job.id, deploymentId: data.deploymentId }),
          );
          return;
        }
        case "scheduled": {
          const data = parseJobData(JOBS.pipeline.scheduled, job.data, "pipeline/scheduled");
          await runSchedule(deps, data, log.child({ jobId: job.id, ...data }));
          return;
        }
        case "startWaiting": {
          const data = parseJobData(JOBS.pipeline.startWaiting, job.data, "pipeline/startWaiting");
          const jobLog = log.child({ jobId: job.id, ...data });
          const outcome = await startNextWaiting(deps, data, jobLog);
          jobLog.info({ outcome: outcome.code }, "waiting deployments looked at");
          return;
        }
        case "watchdog":
          await runWatchdog(deps, log.child({ component: "watchdog" }), options.watchdog);
          return;
        case "analyse": {
          const data = parseJobData(JOBS.pipeline.analyse, job.data, "pipeline/analyse");
          const jobLog = log.child({ jobId: job.id, deploymentId: data.deploymentId });
          await runAnalysis(deps, data.deploymentId, data.stageIndex, data.epoch, stop, jobLog);
          return;
        }
        case "flag": {
          const data = parseJobData(JOBS.pipeline.flag, job.data, "pipeline/flag");
          const jobLog = log.child({ jobId: job.id, deploymentId: data.deploymentId });
          await runFlagChange(deps, data.deploymentId, data.seq, job.attemptsMade + 1, stop, jobLog);
          return;
        }
        case "remindReview": {
          const data = parseJobData(JOBS.pipeline.remindReview, job.data, "pipeline/remindReview");
          await remindReview(deps, data.deploymentId);
          return;
        }
        case "restore": {
          const data = parseJobData(JOBS.pipeline.restore, job.data, "pipeline/restore");
          const jobLog = log.child({ jobId: job.id, deploymentId: data.deploymentId });
          await runRestoreAfterEnd(deps, data.deploymentId, stop, jobLog);
          return;
        }
        case "handOff": {
          const data = parseJobData(JOBS.pipeline.handOff, job.data, "pipeline/handOff");
          await runHandOff(deps, data.deploymentId);
          return;
        }
        default:
          throw new UnrecoverableError(`queue pipeline has no job named '${job.name}'`);
      }
    },
    {
      ...queueOptions(options.connection, options.keyPrefix, "pipeline"),
      concurrency: options.concurrency,
      ...workerLockOptions(options.lockDurationMs),
    },
  );
  worker.on("lockRenewalFailed", (jobIds: string[]) => {
    for (const jobId of jobIds) {
      log.warn({ jobId }, "lost the lock of a pipeline job; stopping its stage");
      worker.cancelJob(jobId, "lock lost");
    }
  });
  worker.on("failed", (job, error) => {
    if (!job || error instanceof FencedOffError) return;
    const exhausted = error instanceof UnrecoverableError || job.attemptsMade >= (job.opts.attempts ?? 1);
    log.error({ jobId: job.id, err: error, attemptsMade: job.attemptsMade }, "pipeline job failed");
    if (!exhausted) return;
    if (job.name === "flag") {
      // A flag change that gave up leaves the flag where it was; the deployment itself is fine.
      const change = JOBS.pipeline.flag.safeParse(job.data);
      if (!change.success) return;
      abandonFlagChange(deps, change.data.deploymentId, change.data.seq, error.message).catch((e: unknown) =>
        log.error({ err: e, deploymentId: change.data.deploymentId }, "could not record the failed flag change"),
      );
      return;
    }
    if (job.name === "restore") {
      // A restore that gave up is recorded as failed; the deployment had ended and keeps its state.
      const restore = JOBS.pipeline.restore.safeParse(job.data);
      if (!restore.success) return;
      abandonRestore(deps, restore.data.deploymentId, error.message).catch((e: unknown) =>
        log.error({ err: e, deploymentId: restore.data.deploymentId }, "could not record the failed restore"),
      );
      return;
    }
    const parsed = JOBS.pipeline.check.safeParse(job.data);
    if (!parsed.success) return;
    if (error instanceof SlipwayError && error.code === STEP_ABANDONED) {
      takeOverAbandonedStep(deps, parsed.data.deploymentId, job.id ?? "").catch((e: unknown) =>
        log.error({ err: e, deploymentId: parsed.data.deploymentId }, "could not queue the abandoned step again"),
      );
      return;
    }
    failAfterRetries(deps, parsed.data.deploymentId, error).catch((e: unknown) =>
      log.error({ err: e, deploymentId: parsed.data.deploymentId }, "could not mark deployment failed"),
    );
  });
  worker.on("error", (error) => log.error({ err: error }, "pipeline worker error"));
  return worker;
}
