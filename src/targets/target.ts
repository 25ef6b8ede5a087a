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
  "archive",
  "restore",
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
  /**
   * Which attempt of the step this is, from 1: a fencing token for the
   * idempotency key. Slipway starts attempt n+1 only once the worker running
   * attempt n has lost the step, but attempt n's process may still be running
   * (a worker frozen past its lock): a target that has seen a higher attempt
   * for the key must not act for a lower one.
   */
  readonly attempt: number;
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
    SLIPWAY_ATTEMPT: String(context.attempt),
    ...context.params,
  };
}
