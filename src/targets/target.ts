import type { Logger } from "../logger.js";
import type { CommandResult } from "./run-command.js";

/** The actions a target adapter can carry out for a deployment. */
export const TARGET_ACTIONS = [
  "deploy",
  "setTraffic",
  "healthCheck",
  "backup",
  "verifyRollback",
  "rollback",
  "setFlag",
] as const;
export type TargetAction = (typeof TARGET_ACTIONS)[number];

/** What every invocation of a stage or action knows about its deployment. */
export interface InvocationContext {
  readonly service: string;
  readonly environment: string;
  readonly version: string;
  readonly deploymentId: string;
  readonly stage: string;
  /** Same for every attempt of the same step: targets use it to do the work once. */
  readonly idempotencyKey: string;
  /** What the step asks of the target beyond the version: traffic weight, instance, flag… as SLIPWAY_* variables. */
  readonly params: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
  readonly log: Logger;
}

export type ActionResult = CommandResult;

export interface Target {
  /** Whether the target can carry out `action` at all. */
  supports(action: TargetAction): boolean;
  /** Carries out `action`; stops it after `timeoutMs` or when the context's signal aborts. */
  invoke(action: TargetAction, context: InvocationContext, timeoutMs: number): Promise<ActionResult>;
}

/** The variables every command started for a deployment receives. */
export function invocationEnv(context: InvocationContext): Record<string, string> {
  return {
    SLIPWAY_SERVICE: context.service,
    SLIPWAY_ENVIRONMENT: context.environment,
    SLIPWAY_VERSION: context.version,
    SLIPWAY_DEPLOYMENT_ID: context.deploymentId,
    SLIPWAY_STAGE: context.stage,
    SLIPWAY_IDEMPOTENCY_KEY: context.idempotencyKey,
    ...context.params,
  };
}
