import { runCommand } from "./run-command.js";
import type { ActionResult, InvocationContext, Target, TargetAction } from "./target.js";
import { invocationEnv } from "./target.js";

export interface CommandTargetOptions {
  /** argv per action; an action without one is not supported by this target. */
  readonly actions: Partial<Record<TargetAction, readonly string[]>>;
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
}

/** Carries out each action by running its argv array, with the deployment passed as variables. */
export class CommandTarget implements Target {
  constructor(private readonly options: CommandTargetOptions) {}

  supports(action: TargetAction): boolean {
    return this.options.actions[action] !== undefined;
  }

  invoke(action: TargetAction, context: InvocationContext, timeoutMs: number): Promise<ActionResult> {
    const argv = this.options.actions[action];
    if (!argv) {
      return Promise.resolve({
        ok: false,
        exitCode: null,
        outputTail: `this target has no '${action}' action; add target.actions.${action} to the manifest`,
        durationMs: 0,
        timedOut: false,
        aborted: false,
      });
    }
    return runCommand({
      argv,
      cwd: this.options.workdir,
      env: { ...this.options.env, ...invocationEnv(context), SLIPWAY_ACTION: action },
      timeoutMs,
      signal: context.signal,
      log: context.log.child({ action }),
    });
  }
}
