/*
 * The service manifest: one YAML file per service naming its Slack channels,
 * its deploy target and, per environment, the strategy and the stages to run.
 *
 * Every object is strict so a misspelt key is an error rather than a silently
 * ignored setting. Checks that span fields (one of `run`/`action` per stage,
 * unique stage names, actions declared by the target) run even when other
 * parts of the file are wrong, so one `slipway validate` shows every problem;
 * they therefore read the value defensively instead of trusting its type.
 */
import { z } from "zod";
import { STRATEGIES } from "../domain/deployment.js";
import { TARGET_ACTIONS as ACTION_NAMES, type TargetAction as ActionName } from "../targets/target.js";
import { formatPath, manifestErrorMap } from "./format-errors.js";

/** Default per-action timeout of a target when the manifest gives none. */
export const DEFAULT_ACTION_TIMEOUT_SECONDS = 300;

const MAX_TIMEOUT_SECONDS = 24 * 60 * 60;

function lowercaseName(maxLength: number) {
  const pattern = new RegExp(`^[a-z][a-z0-9-]{0,${maxLength - 1}}$`);
  return z.string().regex(pattern, {
    error: (issue) =>
      `invalid name '${String(issue.input)}': use lowercase letters, digits and '-', starting with a letter (at most ${maxLength} characters)`,
  });
}

const serviceName = lowercaseName(63);
const environmentName = lowercaseName(31);
const stageName = lowercaseName(41);

const channelId = z.string().regex(/^[CGD][A-Z0-9]{2,}$/, {
  error: (issue) =>
    `'${String(issue.input)}' is not a Slack channel id: use the id (like C0123ABCD, shown at the bottom of the channel's About tab), not the channel name`,
});

const envVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
    error: (issue) =>
      `invalid variable name '${String(issue.input)}': use letters, digits and '_', not starting with a digit`,
  })
  .refine((name) => !name.startsWith("SLIPWAY_"), {
    error: (issue) => `'${String(issue.input)}' is reserved: Slipway sets the SLIPWAY_ variables itself`,
  });

/*
 * A whole-number refinement rather than z.int(): a failing int format check
 * stops the manifest-wide checks from running, and those should always report.
 */
const timeoutSeconds = z
  .number()
  .min(1)
  .max(MAX_TIMEOUT_SECONDS)
  .refine(Number.isInteger, {
    error: (issue) => `expected a whole number of seconds, got ${String(issue.input)}`,
  });

/** A program and its arguments, run without a shell. */
const argv = z
  .array(z.string().min(1))
  .min(1, { error: "needs at least the program to run, e.g. [node, scripts/deploy.mjs]" });

const actionsSchema = z.strictObject({
  deploy: argv,
  healthCheck: argv.optional(),
  backup: argv.optional(),
  verifyRollback: argv.optional(),
  rollback: argv.optional(),
  setTraffic: argv.optional(),
  setFlag: argv.optional(),
});

export const commandTargetSchema = z.strictObject({
  type: z.literal("command"),
  /** Working directory of every action, relative to the manifest file's directory. Default: that directory. */
  workdir: z.string().min(1).optional(),
  /** Timeout of each action unless a stage sets its own. Default 300. */
  timeoutSeconds: timeoutSeconds.default(DEFAULT_ACTION_TIMEOUT_SECONDS),
  env: z.record(envVarName, z.string()).optional(),
  actions: actionsSchema,
});

export const targetSchema = z.discriminatedUnion("type", [commandTargetSchema]);

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null;
}

function isActionName(value: unknown): value is ActionName {
  return typeof value === "string" && (ACTION_NAMES as readonly string[]).includes(value);
}

function checkRunOrAction(stage: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(stage)) return;
  const hasRun = isPresent(stage.run);
  const hasAction = isPresent(stage.action);
  if (hasRun && hasAction) {
    ctx.addIssue({
      code: "custom",
      input: stage,
      message: "a stage has either 'run' (a command) or 'action' (a target action), not both",
    });
  } else if (!hasRun && !hasAction) {
    ctx.addIssue({
      code: "custom",
      input: stage,
      message: `a stage needs 'run' (a command such as [node, scripts/test.mjs]) or 'action' (one of: ${ACTION_NAMES.join(", ")})`,
    });
  }
}

export const stageSchema = z
  .strictObject({
    name: stageName,
    run: argv.optional(),
    action: z.enum(ACTION_NAMES).optional(),
    timeoutSeconds: timeoutSeconds.optional(),
  })
  .superRefine(checkRunOrAction, { when: () => true });

export const environmentSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).default("all-at-once"),
  stages: z.array(stageSchema).min(1, { error: "needs at least one stage" }),
});

function declaredActions(target: unknown): Set<string> | undefined {
  if (!isMapping(target) || !isMapping(target.actions)) return undefined;
  return new Set(Object.keys(target.actions).filter(isActionName));
}

function checkStagesAgainstTarget(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(manifest) || !isMapping(manifest.environments)) return;
  const declared = declaredActions(manifest.target);
  for (const [environment, config] of Object.entries(manifest.environments)) {
    if (!isMapping(config) || !Array.isArray(config.stages)) continue;
    const firstIndex = new Map<string, number>();
    config.stages.forEach((stage: unknown, index: number) => {
      if (!isMapping(stage)) return;
      const at = ["environments", environment, "stages", index];
      const { name, action } = stage;
      if (typeof name === "string") {
        const first = firstIndex.get(name);
        if (first === undefined) firstIndex.set(name, index);
        else {
          ctx.addIssue({
            code: "custom",
            path: [...at, "name"],
            input: name,
            message: `duplicate stage name '${name}' (already used by stages[${first}]); stage names must be unique within an environment`,
          });
        }
      }
      if (declared !== undefined && isActionName(action) && !declared.has(action)) {
        const list = declared.size > 0 ? [...declared].join(", ") : "none";
        ctx.addIssue({
          code: "custom",
          path: [...at, "action"],
          input: action,
          message: `action '${action}' is not declared in target.actions (declared: ${list}); add target.actions.${action} or use another action`,
        });
      }
    });
  }
}

export const serviceManifestSchema = z
  .strictObject({
    service: serviceName,
    description: z.string().optional(),
    channels: z.strictObject({
      deploy: channelId,
      incidents: channelId.optional(),
    }),
    target: targetSchema,
    environments: z
      .record(environmentName, environmentSchema)
      .refine((environments) => Object.keys(environments).length > 0, {
        error: "needs at least one environment, e.g. development",
      }),
  })
  .superRefine(checkStagesAgainstTarget, { when: () => true });

export type ServiceManifest = z.output<typeof serviceManifestSchema>;
/** A manifest as written in YAML, before defaults are filled in. */
export type ServiceManifestInput = z.input<typeof serviceManifestSchema>;
export type EnvironmentConfig = z.output<typeof environmentSchema>;
export type StageConfig = z.output<typeof stageSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type CommandTargetConfig = z.output<typeof commandTargetSchema>;

/** One schema problem: where in the YAML and what is wrong. */
export interface ManifestIssue {
  path: string;
  message: string;
}

export type ParseManifestResult = { ok: true; manifest: ServiceManifest } | { ok: false; issues: ManifestIssue[] };

/** Validates parsed YAML against the manifest schema, with messages meant for people. */
export function parseManifest(input: unknown): ParseManifestResult {
  const result = serviceManifestSchema.safeParse(input, { error: manifestErrorMap });
  if (result.success) return { ok: true, manifest: result.data };
  const seen = new Set<string>();
  const issues: ManifestIssue[] = [];
  for (const issue of result.error.issues) {
    const entry = { path: formatPath(issue.path), message: issue.message };
    const key = `${entry.path}\u0000${entry.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push(entry);
  }
  return { ok: false, issues };
}
