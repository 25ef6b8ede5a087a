import type { Deployment } from "../domain/deployment.js";
import type { Step } from "../domain/stage-plan.js";
import { reportFile } from "../domain/test-counts.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import { type CommandResult, runCommand } from "../targets/run-command.js";
import { type InvocationContext, invocationEnv } from "../targets/target.js";
import { runReleaseCandidateStage } from "./release-candidate-stage.js";

/** The same key on every attempt of a step, so a target can tell a repeat from new work. */
export function idempotencyKey(deploymentId: string, step: string): string {
  return `${deploymentId}:${step}`;
}

/** The step's asks as the variables a target reads. */
export function stepParams(deployment: Deployment, step: Step): Record<string, string> {
  const params: Record<string, string> = {
    SLIPWAY_STRATEGY: deployment.strategy,
    SLIPWAY_PREVIOUS_VERSION: deployment.previousVersion ?? "",
    SLIPWAY_HOTFIX: deployment.hotfix ? "1" : "0",
  };
  if (step.weight !== undefined) params.SLIPWAY_TRAFFIC_WEIGHT = String(step.weight);
  if (step.promote) params.SLIPWAY_PROMOTE = "1";
  if (step.instance !== undefined) params.SLIPWAY_INSTANCE = String(step.instance);
  if (step.instances !== undefined) params.SLIPWAY_INSTANCES = String(step.instances);
  if (step.flag !== undefined) params.SLIPWAY_FLAG = step.flag;
  if (step.flagPercent !== undefined) params.SLIPWAY_FLAG_PERCENT = String(step.flagPercent);
  if (step.backupId !== undefined) params.SLIPWAY_BACKUP_ID = step.backupId;
  if (step.report !== undefined) params.SLIPWAY_TEST_REPORT = reportFile(step.report.file, deployment.id);
  return params;
}

const WAITED: CommandResult = { ok: true, exitCode: 0, outputTail: "", durationMs: 0, timedOut: false, aborted: false };

/**
 * Runs one step: its own argv (`run`), one of the target's actions (`action`), a git tag (`tag`), or nothing (a hold).
 *
 * @param key The idempotency key. Default: the deployment's id and the step's name.
 * @param attempt The step's attempt number (its `StageRun.attempts`), passed on as a fencing token.
 *   Default 1, for actions outside the plan (the way back, health checks) that keep no count.
 */
export function runStep(
  service: LoadedService,
  step: Step,
  deployment: Deployment,
  signal: AbortSignal,
  log: Logger,
  key: string = idempotencyKey(deployment.id, step.name),
  attempt = 1,
): Promise<CommandResult> {
  const context: InvocationContext = {
    service: deployment.service,
    environment: deployment.environment,
    version: deployment.version,
    deploymentId: deployment.id,
    stage: step.name,
    idempotencyKey: key,
    attempt,
    params: stepParams(deployment, step),
    signal,
    log,
  };
  const timeoutMs = (step.timeoutSeconds ?? service.manifest.target.timeoutSeconds) * 1000;
  if (step.action !== undefined) return service.target.invoke(step.action, context, timeoutMs);
  if (step.tag !== undefined) return runReleaseCandidateStage(service, deployment, timeoutMs, signal, log);
  if (step.run === undefined) return Promise.resolve(WAITED);
  return runCommand({
    argv: step.run,
    cwd: service.workdir,
    env: { ...(service.manifest.target.env ?? {}), ...invocationEnv(context) },
    timeoutMs,
    signal,
    log,
  });
}
