import type { Deployment } from "../domain/deployment.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { StageConfig } from "../manifests/schema.js";
import { type CommandResult, runCommand } from "../targets/run-command.js";
import { type InvocationContext, invocationEnv } from "../targets/target.js";

/** The same key on every attempt of a step, so a target can tell a repeat from new work. */
export function idempotencyKey(deploymentId: string, stage: string, step?: string): string {
  return step === undefined ? `${deploymentId}:${stage}` : `${deploymentId}:${stage}:${step}`;
}

/** Runs one stage: its own argv (`run`), or one of the target's actions (`action`). */
export function runStage(
  service: LoadedService,
  stage: StageConfig,
  deployment: Deployment,
  signal: AbortSignal,
  log: Logger,
): Promise<CommandResult> {
  const context: InvocationContext = {
    service: deployment.service,
    environment: deployment.environment,
    version: deployment.version,
    deploymentId: deployment.id,
    stage: stage.name,
    idempotencyKey: idempotencyKey(deployment.id, stage.name),
    signal,
    log,
  };
  const timeoutMs = (stage.timeoutSeconds ?? service.manifest.target.timeoutSeconds) * 1000;
  if (stage.action !== undefined) return service.target.invoke(stage.action, context, timeoutMs);
  return runCommand({
    argv: stage.run ?? [],
    cwd: service.workdir,
    env: { ...(service.manifest.target.env ?? {}), ...invocationEnv(context) },
    timeoutMs,
    signal,
    log,
  });
}
