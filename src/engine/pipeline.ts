import { UnrecoverableError } from "bullmq";
import { readStageReport } from "../checks/test-report.js";
import { parseBackupId } from "../domain/backup.js";
import { gate, itemsFor } from "../domain/checklist.js";
import { type Deployment, moveTo, nextStageIndex, type StageRun, updateStage } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import { exposure, type Step } from "../domain/stage-plan.js";
import { coerceError, SlipwayError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import { StaleWriteError } from "../store/deployment-store.js";
import { enqueueAbort, enqueueAdvance, enqueueAnalysis } from "./next-jobs.js";
import { SYNC_COALESCE_MS } from "./notifications.js";
import type { PipelineDeps } from "./pipeline-deps.js";
import type { Queues } from "./queues.js";
import { restoreBackup } from "./restore-backup.js";
import { checkValidation, endBadly } from "./rollback.js";
import { idempotencyKey, runStep } from "./stage-runner.js";
import { goesOnAt, startStep } from "./step-start.js";
import { update } from "./update-deployment.js";
import { analysisIntervalMs, monitoringWindows } from "./watch.js";

/*
 * The pipeline moves a deployment forward one stage at a time. A job runs
 * the stage it names and then each stage due at once after it (recording a
 * stage's result and the next one's start in one write), and hands over to a
 * new job only where the deployment waits: a hold, a pause, the way back.
 * The truth about progress is the deployment record in the store, never the
 * job: a job only names the stage it expects to run first. A retried or
 * duplicated job that finds its stage already recorded as done moves on
 * without running it again; one run again after its worker was lost takes
 * over the stage it was running, which the record names it the runner of.
 *
 * Each stage attempt is fenced: starting it increments the stage's attempt
 * counter with a compare-and-set, and its result is written only if that
 * attempt is still the current one. A worker that lost its lock (and whose
 * job another worker has taken over) is refused when it tries to write. A
 * step recorded running whose job is over (its result lost with Redis's last
 * writes) or gone is taken over by the next job for it, through the same
 * compare-and-set.
 */

/** Attempts of one step in a row whose worker was lost before the deployment pauses for a person. */
export const LOST_WORKERS_LIMIT = 5;

/** A step stopped halfway because its job's lock was lost or its worker is stopping: retried, never a failure. */
export const STEP_ABANDONED = "step_abandoned";

/**
 * This job no longer owns the step it was running: a newer attempt or a
 * final state was recorded. Its result is dropped and the job is not
 * retried; the deployment is in other hands, not failed.
 */
export class FencedOffError extends UnrecoverableError {
  constructor(message: string) {
    super(message);
    this.name = "FencedOffError";
  }
}

/**
 * What became of the job running a step, as BullMQ says (`active`,
 * `waiting`, `completed`…): `unknown` when it is gone, or none was recorded.
 */
export async function runnerJobState(queues: Queues, stage: StageRun): Promise<string> {
  return stage.runner === undefined ? "unknown" : await queues.pipeline.getJobState(stage.runner);
}

/**
 * Whether a running step is in its job's hands: a worker holds the job, or
 * one will take it (it waits, or waits out a retry's backoff). A job that
 * completed or failed for good runs nothing and never runs again; a job that
 * is gone may be queued again under its id, and then claims the step through
 * the same compare-and-set as any other.
 */
export function runnerHoldsStep(jobState: string): boolean {
  return ["active", "waiting", "prioritized", "delayed", "waiting-children"].includes(jobState);
}

/** Whether a step may simply run again after an attempt that may have half happened (see the target's `notIdempotent`). */
export function safeToRepeat(service: LoadedService, step: Step): boolean {
  return step.action === undefined || !service.manifest.target.notIdempotent?.includes(step.action);
}

/**
 * Runs step `stageIndex` of a deployment if it is the next one due, and the
 * steps due at once after it (see runSteps). Answers the last step it ran;
 * undefined when it ran none. `known` is the record as the job just saved
 * it, when it has one: the step's start is then decided on it without
 * reading the store (a stale one is refused, as any start).
 */
export async function advance(
  deps: PipelineDeps,
  deploymentId: string,
  stageIndex: number,
  signal: AbortSignal,
  log: Logger,
  jobId: string,
  known?: Deployment,
): Promise<number | undefined> {
  const { store, now } = deps;
  let deployment = known ?? (await store.get(deploymentId));
  if (!deployment) throw new UnrecoverableError(`no deployment ${deploymentId}`);
  if (deployment.state !== "running") {
    log.info({ state: deployment.state }, "deployment is not running; its gates decide when it starts");
    return;
  }
  if (deployment.abort) {
    await enqueueAbort(deps.queues, deployment);
    return;
  }
  if (deployment.paused) {
    log.info({ pausedBy: deployment.paused.by }, "deployment is paused; Resume continues it");
    return;
  }

  const due = nextStageIndex(deployment);
  const service = deps.catalog.service(deployment.service);
  if (due === -1) {
    // A last step that holds (keep blue, soak) ends the deployment only when its hold is over. The last
    // step's own job, run again after a crash, queues that hold's continuation in case it was lost.
    if (deployment.holdUntil !== undefined && now() < deployment.holdUntil) {
      if (stageIndex < deployment.stages.length) await queueNext(deps, deployment, service);
      return;
    }
    await finishSteps(deps, deployment, service, signal, log);
    return;
  }
  const ownStep = deployment.stages[due]?.status === "running" && deployment.stages[due]?.runner === jobId;
  if (due !== stageIndex && !ownStep) {
    // A duplicate, late or superseded job: the store says another step is due (one this job went on to
    // and was running when its worker was lost is its own, and is taken over below).
    // If that step's job was lost (a crash between recording and queuing), queue it.
    log.info({ due, stageIndex }, "job is not for the step that is due; handing over");
    if (due > stageIndex) await queueNext(deps, deployment, service);
    return;
  }
  const stageRun = deployment.stages[due];
  if (!stageRun || !service) {
    await finish(deps, deployment, "failed", `the manifest no longer defines the service ${deployment.service}`);
    return;
  }

  const step = stageRun.step;
  if (stageRun.status === "running" && stageRun.runner !== jobId) {
    const runner = await runnerJobState(deps.queues, stageRun);
    if (runnerHoldsStep(runner)) {
      // Another job runs this step (a Resume or a hold's end queued a second one), or will: it is in its hands.
      log.info({ stage: stageRun.name, runner: stageRun.runner }, "step is running under another job; nothing to do");
      return;
    }
    // Its job ended without the step's result recorded (Redis lost it) or is gone: nothing runs the step, and
    // this job takes it over as from a lost worker. The start's compare-and-set lets one job through.
    log.warn(
      { stage: stageRun.name, runner: stageRun.runner, state: runner },
      "the step's job is over; taking it over",
    );
  }
  // The step's earlier attempt never recorded a result: its worker was lost (a crash, a lock that expired).
  const lost = stageRun.status === "running" ? (stageRun.lost ?? 0) + 1 : 0;
  if (lost >= LOST_WORKERS_LIMIT) {
    await pauseForOperator(deps, deployment, {
      reason: `step ${stageRun.name} lost ${lost} workers in a row; check the workers' logs and the target, then Resume to run it again or Abort`,
      what: `step ${stageRun.name} lost ${lost} workers in a row`,
    });
    log.warn({ stage: stageRun.name, lost }, "step keeps losing its worker; paused for an operator");
    return;
  }
  if (lost > 0 && !safeToRepeat(service, step)) {
    // A crash cut this step short; its action may have half happened and must not simply run again.
    await pauseForOperator(deps, deployment, {
      reason: `step ${stageRun.name} (${step.action}) was cut short by a crash and its action is not safe to repeat; check the target, then Resume to run it again or Abort`,
      what: `step ${stageRun.name} was cut short by a crash`,
    });
    log.warn({ stage: stageRun.name }, "non-idempotent step cut short; paused for an operator");
    return;
  }
  if (step.ifSupported && step.action && !service.target.supports(step.action)) {
    await skipUnsupported(deps, deployment, due, service, signal, log);
    return;
  }
  if (lost > 0) log.warn({ stage: stageRun.name, lost }, "step taken over from a lost worker; running it again");
  const starting = startStep({ ...deployment, holdUntil: undefined }, due, jobId, now(), lost);
  try {
    deployment = await store.save(starting);
  } catch (error) {
    if (!(error instanceof StaleWriteError)) throw error;
    // Someone wrote first (another job starting this step, a pause, an abort): theirs stands.
    log.info({ stage: stageRun.name }, "the deployment changed as the step was starting; leaving it to that change");
    return;
  }

  return runSteps(deps, deployment, due, service, signal, log, jobId);
}

/**
 * Runs the steps of a deployment whose decision to run started its first
 * step for job `jobId` (step-start.ts), as `advance` runs those of a
 * step it started: the write is told of once the step has run a while.
 */
export async function runStartedSteps(
  deps: PipelineDeps,
  started: Deployment,
  signal: AbortSignal,
  log: Logger,
  jobId: string,
): Promise<number> {
  const service = deps.catalog.require(started.service);
  return runSteps(deps, started, nextStageIndex(started), service, signal, log, jobId);
}

/**
 * How long a step's start waits to be told of: the sync's own pause, so a
 * step that runs longer is shown running as soon as it would have been,
 * and one that ends sooner is shown by its result's sync instead, which a
 * sync queued for its start would have waited for anyway (a newer change
 * puts a waiting sync off by the pause again).
 */
const TELL_START_AFTER_MS = SYNC_COALESCE_MS;

/**
 * Runs step `index`, already recorded as started by this job, and each step
 * due after it at once: a step's result and the next step's start are one
 * write, and the job goes on to run it. It stops at a hold, a failure, an
 * abort or pause, a step the target cannot do, or the end, and queues what
 * comes next as a single step would. Every started step names this job as
 * its runner, so the job, run again after its worker was lost, takes over
 * whichever of them it was running.
 */
async function runSteps(
  deps: PipelineDeps,
  started: Deployment,
  index: number,
  service: LoadedService,
  signal: AbortSignal,
  log: Logger,
  jobId: string,
): Promise<number> {
  const { notifications, now } = deps;
  let deployment = started;
  // The start this job wrote last, told of only if the step runs past TELL_START_AFTER_MS.
  let untold = notifications.changedLater(deployment, TELL_START_AFTER_MS);
  try {
    for (let due = index; ; ) {
      const stageRun = deployment.stages[due];
      if (!stageRun) throw new RangeError(`deployment ${deployment.id} has no stage ${due}`);
      const attempt = stageRun.attempts;
      const stageLog = log.child({ stage: stageRun.name, attempt });
      stageLog.info("stage started");
      const key = idempotencyKey(deployment.id, stageRun.name);
      // The wall clock, as the report file's modification time is: a report older than this run is stale.
      const runStartedAt = Date.now();
      const ran = await runStep(service, stageRun.step, deployment, signal, stageLog, key, attempt);
      const report =
        stageRun.step.report && ran.ok
          ? await readStageReport(
              stageRun.step.report,
              { name: stageRun.name, deploymentId: deployment.id, startedAt: runStartedAt },
              service.workdir,
            )
          : undefined;
      const result = report?.problem ? { ...ran, ok: false, reportProblem: report.problem } : ran;
      if (signal.aborted) {
        // Retried, not given up: if no other worker took the job over, its retry takes the step over as from
        // a lost worker (BullMQ refuses this failure from a worker that no longer holds the job's lock).
        throw new SlipwayError(
          STEP_ABANDONED,
          `stage ${stageRun.name} of ${deployment.id} abandoned: the job's lock was lost or the worker is stopping`,
        );
      }
      stageLog.info({ ok: result.ok, exitCode: result.exitCode, durationMs: result.durationMs }, "stage finished");

      let next = -1;
      let ended = false;
      deployment = await recordResult(deps, deployment, due, attempt, (current) => {
        next = -1;
        ended = false;
        const finished = updateStage(
          current,
          due,
          {
            status: result.ok ? "succeeded" : "failed",
            finishedAt: now(),
            exitCode: result.exitCode,
            outputTail: result.outputTail,
            ...(report?.tests ? { tests: report.tests } : {}),
            ...(result.ok ? {} : { error: failureWords(result) }),
          },
          now(),
        );
        if (!result.ok) return endBadly(finished, "failed", `stage ${stageRun.name} ${failureWords(result)}`, now());
        // A backup stage's id is kept for a later /rollback --restore.
        const backupId = stageRun.step.action === "backup" ? parseBackupId(result.outputTail) : undefined;
        const recorded = backupId === undefined ? finished : { ...finished, backupId };
        // A Promote while this step ran skipped what came after it: go on at once instead of holding.
        const promoted = current.stages[due + 1]?.status === "skipped";
        const holdMs = promoted ? 0 : (stageRun.step.holdMs ?? 0);
        if (holdMs > 0) return { ...recorded, holdUntil: now() + holdMs };
        next = goesOnAt(recorded, service, signal);
        if (next === -1) {
          ended = endsWithThisStep(recorded, service);
          return ended ? ending(deps, recorded, "succeeded") : recorded;
        }
        return startStep(recorded, next, jobId, now());
      });
      // This write is told of below, at once or later: its sync shows the start before it too.
      await untold.drop();
      if (ended) {
        await endedSteps(deps, deployment);
        return due;
      }
      if (next === -1) {
        // The sync and what comes next are queued together (one round trip); each is safe to queue again.
        await Promise.all([
          notifications.changed(deployment),
          carryOn(deps, deployment, result.ok, service, signal, log),
        ]);
        return due;
      }
      untold = notifications.changedLater(deployment, TELL_START_AFTER_MS);
      due = next;
    }
  } finally {
    // Left by a failure (a fenced-off or lost write, a step that threw): the last start written is told of now.
    await untold.flush().catch(() => undefined);
  }
}

/**
 * Whether a deployment whose last step just succeeded ends in the same
 * write: nothing is left to check first (no deployment validation, not the
 * way back of a /rollback) and nobody aborted it.
 */
function endsWithThisStep(d: Deployment, service: LoadedService): boolean {
  return (
    d.state === "running" &&
    !d.abort &&
    d.holdUntil === undefined &&
    nextStageIndex(d) === -1 &&
    d.rollbackOf === undefined &&
    itemsFor(service.manifest, d.environment, "post-deployment").length === 0
  );
}

/** After a step's result is recorded: the way back, the deployment's end, or its next step. */
async function carryOn(
  deps: PipelineDeps,
  deployment: Deployment,
  ok: boolean,
  service: LoadedService,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  if (deployment.state === "rolling_back") await enqueueAbort(deps.queues, deployment);
  if (!ok) return;
  if (deployment.abort) await enqueueAbort(deps.queues, deployment);
  else if (nextStageIndex(deployment) === -1 && deployment.holdUntil === undefined) {
    await finishSteps(deps, deployment, service, signal, log);
  } else await queueNext(deps, deployment, service);
}

/** A step the target cannot do and the plan may do without (archiving blue): skipped, saying why, and on. */
async function skipUnsupported(
  deps: PipelineDeps,
  deployment: Deployment,
  index: number,
  service: LoadedService,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  const stage = deployment.stages[index];
  if (!stage?.step.action) return;
  const because = `the target declares no ${stage.step.action} action`;
  let skipped: Deployment;
  try {
    skipped = await deps.store.save(
      updateStage(
        { ...deployment, holdUntil: undefined },
        index,
        { status: "skipped", skippedBecause: because, finishedAt: deps.now() },
        deps.now(),
      ),
    );
  } catch (error) {
    if (!(error instanceof StaleWriteError)) throw error;
    return;
  }
  log.info({ stage: stage.name, because }, "step skipped");
  await deps.notifications.changed(skipped);
  if (nextStageIndex(skipped) === -1) await finishSteps(deps, skipped, service, signal, log);
  else await queueNext(deps, skipped, service);
}

/**
 * Holds a deployment for a person: paused by Slipway, with why in the root
 * message and, as `stuck`, in the incident channel. Resume runs the step
 * again from the start; Abort takes the way back.
 */
async function pauseForOperator(
  deps: PipelineDeps,
  deployment: Deployment,
  words: { reason: string; what: string },
): Promise<void> {
  const at = deps.now();
  const paused = await deps.store.save({
    ...deployment,
    paused: { by: "slipway", at, reason: `needs an operator: ${words.reason}` },
    stuck: { at, what: words.what, suggestion: "check the target, then Resume or Abort" },
    updatedAt: at,
  });
  await deps.notifications.changed(paused);
}

/**
 * Queues what a deployment waits on before its next step (or its end, after
 * a final hold): analysis through a hold while the new version serves
 * traffic, otherwise the step itself at the hold's end. Safe to repeat.
 */
async function queueNext(deps: PipelineDeps, d: Deployment, service: LoadedService | undefined): Promise<void> {
  const next = nextStageIndex(d);
  const index = next === -1 ? d.stages.length : next;
  const wait = Math.max(0, (d.holdUntil ?? 0) - deps.now());
  const intervalMs =
    wait > 0 && service && exposure(d.strategy, d.stages).candidate ? analysisIntervalMs(service, d) : undefined;
  if (intervalMs !== undefined) await enqueueAnalysis(deps, d, index, Math.min(intervalMs, wait));
  else await enqueueAdvance(deps.queues, d.id, index, { delay: wait });
}

/**
 * Writes a stage's result if `attempt` is still the stage's current attempt.
 * Other writers (a person cancelling, say) may have moved the record on since
 * the attempt started; their changes are kept and the result applied on top.
 * The record as the attempt started it is tried first: the store refuses it
 * if anyone wrote since, and only then is the record read again. An attempt
 * the store has no record of starting is not fenced off (nobody else owns
 * the step): its job fails and is retried, so the step still gets its job.
 */
async function recordResult(
  deps: PipelineDeps,
  started: Deployment,
  stageIndex: number,
  attempt: number,
  apply: (current: Deployment) => Deployment,
): Promise<Deployment> {
  const deploymentId = started.id;
  for (let current = started; ; current = await deps.store.require(deploymentId)) {
    const stage = current.stages[stageIndex];
    if (stage && stage.attempts < attempt && !isFinal(current.state)) {
      // The store no longer has this attempt's start (a Redis restart lost its latest writes): no one else
      // owns the step, so the job is not fenced off but fails, and BullMQ's retry runs the step again.
      throw new SlipwayError(
        "start_lost",
        `result of ${deploymentId} stage ${stageIndex} attempt ${attempt} not written: the store lost the attempt's start`,
      );
    }
    if (!stage || stage.attempts !== attempt || stage.status !== "running" || isFinal(current.state)) {
      throw new FencedOffError(
        `result of ${deploymentId} stage ${stageIndex} attempt ${attempt} refused: a newer attempt or a final state was recorded`,
      );
    }
    try {
      return await deps.store.save(apply(current));
    } catch (error) {
      if (!(error instanceof StaleWriteError)) throw error;
    }
  }
}

/**
 * A /rollback deployment, once the earlier version is deployed again, checks
 * the post-rollback validation (the seed's manual rollback: "verify
 * rollback") once, and keeps the results with it. Undefined for any other
 * deployment; null when someone else moved it on meanwhile.
 */
async function validateRollbackDeployment(
  deps: PipelineDeps,
  d: Deployment,
  service: LoadedService,
  signal: AbortSignal,
  log: Logger,
): Promise<Deployment | undefined | null> {
  if (d.rollbackOf === undefined) return undefined;
  if (d.validation !== undefined) return d;
  // Asked with --restore: the backup of the deployment rolled back is restored before validating.
  const restored = await restoreBackup(deps, d, service, signal, log);
  if (!restored || isFinal(restored.state)) return null;
  const validation = await checkValidation(deps, service, restored, d.version, "post-rollback", signal, log);
  const { saved } = await update(deps, d.id, (current) =>
    current.state === "running" && current.validation === undefined
      ? { next: { ...current, validation, updatedAt: deps.now() }, result: undefined }
      : { refused: undefined },
  );
  return saved ?? null;
}

/**
 * The environment's deployment validation (the seed's "application starts,
 * health checks passing, basic functionality works, no errors in logs"),
 * checked once every step is done. Undefined when the environment lists no
 * deployment items; null when the deployment was moved on meanwhile, or
 * failed its validation and went the way its onFailure says.
 */
async function validateDeployment(
  deps: PipelineDeps,
  d: Deployment,
  service: LoadedService,
  signal: AbortSignal,
  log: Logger,
): Promise<Deployment | undefined | null> {
  if (itemsFor(service.manifest, d.environment, "post-deployment").length === 0) return undefined;
  // A Resume after a failed validation checks again; a job run again after a crash keeps a pass.
  if (d.deploymentValidation !== undefined && gate(d.deploymentValidation).state === "passed") return d;
  const results = await checkValidation(deps, service, d, d.version, "post-deployment", signal, log);
  const failed = gate(results).blocking;
  const { saved } = await update(deps, d.id, (current) => {
    if (current.state !== "running" || current.abort || current.paused || nextStageIndex(current) !== -1) {
      return { refused: undefined };
    }
    const next = { ...current, deploymentValidation: results, stuck: undefined, updatedAt: deps.now() };
    const reason = `deployment validation failed: ${failed.map((i) => i.title).join(", ")}`;
    return { next: failed.length > 0 ? endBadly(next, "failed", reason, deps.now()) : next, result: undefined };
  });
  if (!saved) return null;
  if (failed.length === 0) return saved;
  log.warn({ failed: failed.map((i) => i.id), state: saved.state }, "deployment validation failed");
  await deps.notifications.changed(saved);
  if (saved.state === "rolling_back") await enqueueAbort(deps.queues, saved);
  return null;
}

/**
 * Every step done: a /rollback deployment validates the way back, any other
 * its deployment; then the deployment ends (or monitors).
 */
async function finishSteps(
  deps: PipelineDeps,
  deployment: Deployment,
  service: LoadedService | undefined,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  if (service && deployment.rollbackOf === undefined) {
    const validated = await validateDeployment(deps, deployment, service, signal, log);
    if (validated === null) return;
    await finish(deps, validated ?? deployment, "succeeded");
    return;
  }
  const validated = service ? await validateRollbackDeployment(deps, deployment, service, signal, log) : undefined;
  if (validated === null) return;
  const failed = gate(validated?.validation ?? []).blocking;
  await finish(
    deps,
    validated ?? deployment,
    failed.length > 0 ? "failed" : "succeeded",
    failed.length > 0
      ? `rolled back, but post-rollback validation failed: ${failed.map((i) => i.title).join(", ")}`
      : undefined,
  );
}

async function finish(
  deps: PipelineDeps,
  deployment: Deployment,
  state: "succeeded" | "failed",
  reason?: string,
): Promise<void> {
  await endedSteps(deps, await deps.store.save(ending(deps, deployment, state, reason)));
}

/**
 * A deployment whose steps are over, as it ends `state`: a success with a
 * monitoring window monitors first.
 */
function ending(
  deps: PipelineDeps,
  deployment: Deployment,
  state: "succeeded" | "failed",
  reason?: string,
): Deployment {
  const service = deps.catalog.service(deployment.service);
  const windows = state === "succeeded" && service ? monitoringWindows(service, deployment, deps.now()) : undefined;
  const now = deps.now();
  // Slipway's own rollback (an extended window's trip) has the previous version back: how long that took.
  const incident =
    state === "succeeded" && deployment.rollbackOf !== undefined && deployment.incident
      ? { incident: { ...deployment.incident, trafficRestoredMs: now - deployment.incident.at } }
      : {};
  return windows
    ? {
        ...moveTo({ ...deployment, ...incident }, "monitoring", now),
        monitorUntil: windows.immediateUntil,
        ...(windows.immediateUntil < windows.monitorUntil ? { extendedWatch: { until: windows.monitorUntil } } : {}),
        holdUntil: undefined,
      }
    : moveTo({ ...deployment, ...incident }, state, now, reason === undefined ? {} : { failureReason: reason });
}

/** After the write that ended a deployment's steps: its sync, and the first round of its monitoring window. */
async function endedSteps(deps: PipelineDeps, done: Deployment): Promise<void> {
  const service = deps.catalog.service(done.service);
  const intervalMs = done.state === "monitoring" && service ? analysisIntervalMs(service, done) : undefined;
  await Promise.all([
    deps.notifications.changed(done),
    intervalMs === undefined ? undefined : enqueueAnalysis(deps, done, -1, intervalMs),
  ]);
}

function failureWords(result: {
  exitCode: number | null;
  timedOut: boolean;
  aborted: boolean;
  spawnError?: string;
  outputTail: string;
  reportProblem?: string;
}): string {
  if (result.reportProblem) return `failed its test report: ${result.reportProblem}`;
  if (result.spawnError) return `could not start: ${result.spawnError}`;
  if (result.timedOut) return "timed out";
  if (result.aborted) return "was stopped";
  if (result.exitCode === null)
    return `failed: ${result.outputTail.split("\n").at(-1)?.slice(0, 300) ?? "no reason given"}`;
  return `exited with code ${result.exitCode}`;
}

/**
 * After a job that kept being cut short (its lock lost, its worker
 * stopping) has used up its retries: queues the step it ran again instead
 * of failing the deployment, since a lost worker is never a reason to fail.
 * The new job takes the step over as from a lost worker, which pauses the
 * deployment for an operator once the step has lost LOST_WORKERS_LIMIT of
 * them (or at once for an action not safe to repeat). Nothing is queued
 * when the step is no longer this job's.
 */
export async function takeOverAbandonedStep(deps: PipelineDeps, deploymentId: string, jobId: string): Promise<void> {
  const d = await deps.store.get(deploymentId);
  if (!d || isFinal(d.state)) return;
  const index = d.stages.findIndex((s) => s.status === "running" && s.runner === jobId);
  if (index === -1) return;
  await enqueueAdvance(deps.queues, d.id, index, { tag: `abandoned${d.rev}` });
}

/**
 * Ends a deployment whose pipeline job has used up every retry: failed, the
 * way back or a pause, as its environment's onFailure says.
 */
export async function failAfterRetries(deps: PipelineDeps, deploymentId: string, error: unknown): Promise<void> {
  const reason = `the pipeline could not continue: ${coerceError(error).message}`;
  const { saved } = await update(deps, deploymentId, (current) =>
    isFinal(current.state) || current.state === "rolling_back"
      ? { refused: undefined }
      : { next: endBadly(current, "failed", reason, deps.now()), result: undefined },
  );
  if (!saved) return;
  await deps.notifications.changed(saved);
  if (saved.state === "rolling_back") await enqueueAbort(deps.queues, saved);
}
