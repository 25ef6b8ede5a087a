/*
 * The service manifest: one YAML file per service naming its Slack channels,
 * its roles, its deploy target, its checklist and, per environment, the
 * strategy, the stages to run, the approval policy, who may do what, and
 * when deployments may start.
 *
 * Every object is strict so a misspelt key is an error rather than a silently
 * ignored setting. Checks that span fields (one of `run`/`action` per stage,
 * unique stage names, actions declared by the target, roles and checklist
 * items that exist) run even when other parts of the file are wrong, so one
 * `slipway validate` shows every problem; they therefore read the value
 * defensively instead of trusting its type.
 *
 * Defaults that depend on the environment's name (production needs one
 * approval) are filled in after validation, so the parsed manifest always
 * holds a complete approval policy and a permission for every action.
 */
import { z } from "zod";
import { COMPARISONS, SECTIONS, TASK_FAIL_MODES } from "../domain/checklist.js";
import { parseDuration } from "../domain/duration.js";
import { FLAG_NAME } from "../domain/feature-flag.js";
import { branchNameProblem, REPOSITORY_NAME } from "../domain/git-push.js";
import { DEFAULT_ON_FAILURE, ON_FAILURE, type OnFailure } from "../domain/on-failure.js";
import { ACTIONS, type Action, ANYONE, isSystemActor, type RoleList } from "../domain/policy.js";
import { DEFAULT_REMIND_AFTER_MS, PRODUCTION, REVIEW_WHEN, type ReviewPolicy } from "../domain/review.js";
import { cronProblem } from "../domain/schedule.js";
import { SECURITY_ROLE, sensitiveNeeds } from "../domain/sensitive.js";
import { STAGE_TAGS } from "../domain/stage-plan.js";
import { STRATEGIES, type Strategy } from "../domain/strategy.js";
import { REPORT_FORMATS } from "../domain/test-counts.js";
import { DAYS, isTimeZone, parseClock, parseLocalDateTime } from "../domain/windows.js";
import { metricsConfigSchema } from "../metrics/config.js";
import { TARGET_ACTIONS as ACTION_NAMES, type TargetAction as ActionName } from "../targets/target.js";
import { closestMatch, describeValue, formatPath, manifestErrorMap } from "./format-errors.js";

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
  /** Blue-green: retires blue once it is no longer kept as the way back (SLIPWAY_PREVIOUS_VERSION names it). */
  archive: argv.optional(),
  /** `/rollback … --restore`: restores the backup whose id SLIPWAY_BACKUP_ID gives, after the way back. */
  restore: argv.optional(),
});

export const commandTargetSchema = z.strictObject({
  type: z.literal("command"),
  /** Working directory of every action, relative to the manifest file's directory. Default: that directory. */
  workdir: z.string().min(1).optional(),
  /** Timeout of each action unless a stage sets its own. Default 300. */
  timeoutSeconds: timeoutSeconds.default(DEFAULT_ACTION_TIMEOUT_SECONDS),
  env: z.record(envVarName, z.string()).optional(),
  actions: actionsSchema,
  /** Actions that may not be repeated after a crash cut them short: Slipway pauses for an operator instead. */
  notIdempotent: z.array(z.enum(ACTION_NAMES)).optional(),
});

/** A deploy system reached by signed webhooks: each action is a POST, then its status URL is polled. */
export const httpTargetSchema = z.strictObject({
  type: z.literal("http"),
  /** Where actions are POSTed. */
  url: z.url({ protocol: /^https?$/, error: "expected an http(s) URL such as https://deployer.internal/slipway" }),
  /** Name of the environment variable holding the HMAC signing secret (the secret itself never goes in a manifest). */
  secretEnv: envVarName,
  /** The actions the receiving system supports. */
  actions: z
    .array(z.enum(ACTION_NAMES))
    .min(1)
    .refine((list) => list.includes("deploy"), {
      error: "must include deploy",
    }),
  timeoutSeconds: timeoutSeconds.default(DEFAULT_ACTION_TIMEOUT_SECONDS),
  pollIntervalSeconds: z.number().min(0.05).max(60).default(2),
  /** For stages with `run`: working directory and variables, as for the command target. */
  workdir: z.string().min(1).optional(),
  env: z.record(envVarName, z.string()).optional(),
  /** Actions that may not be repeated after a crash cut them short: Slipway pauses for an operator instead. */
  notIdempotent: z.array(z.enum(ACTION_NAMES)).optional(),
});

export const targetSchema = z.discriminatedUnion("type", [commandTargetSchema, httpTargetSchema]);

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
  const kinds = (["run", "action", "tag"] as const).filter((key) => isPresent(stage[key]));
  if (kinds.length > 1) {
    ctx.addIssue({
      code: "custom",
      input: stage,
      message: `a stage has one of 'run' (a command), 'action' (a target action) or 'tag' (a git tag), not ${kinds.map((k) => `'${k}'`).join(" and ")}`,
    });
  } else if (kinds.length === 0) {
    ctx.addIssue({
      code: "custom",
      input: stage,
      message: `a stage needs 'run' (a command such as [node, scripts/test.mjs]), 'tag: release-candidate' or 'action' (one of: ${ACTION_NAMES.join(", ")})`,
    });
  }
}

const reportFileSchema = z.string().min(1).max(300);
const reportLabel = z.string().min(1).max(60);

/** A test report the run writes: JUnit XML or Jest/Vitest JSON. */
export const reportSchema = z.strictObject({
  /** Relative to the target's working directory; `{deployment}` stands for the deployment's id. Passed to the stage as SLIPWAY_TEST_REPORT. */
  file: reportFileSchema,
  /** Default: junit for .xml, json for .json. */
  format: z.enum(REPORT_FORMATS).optional(),
  /** How the record names the suite. Default: the stage's name, e.g. "Unit Tests". */
  label: reportLabel.optional(),
});

export const stageSchema = z
  .strictObject({
    name: stageName,
    run: argv.optional(),
    action: z.enum(ACTION_NAMES).optional(),
    /** `release-candidate`: tag the version's commit `vX.Y.Z-rcN` (the next N) in the service's repository. */
    tag: z.enum(STAGE_TAGS).optional(),
    timeoutSeconds: timeoutSeconds.optional(),
    /** On a --hotfix: run as usual, skip (fast-track), or run after the rollout (full suite afterwards). */
    hotfix: z.enum(["run", "skip", "after"]).optional(),
    /** The test report this stage writes; the stage passes only when it counts nothing failed. */
    report: reportSchema.optional(),
  })
  .superRefine(checkRunOrAction, { when: () => true });

/* Repository -------------------------------------------------------------- */

export const repositorySchema = z.strictObject({
  /** A local clone of the service's repository, relative to the manifest file's directory. */
  path: z.string().min(1),
  /** A remote name of that clone (e.g. origin) or a URL: fetched before reading, and release candidate tags are pushed to it. */
  remote: z
    .string()
    .min(1)
    .refine((remote) => !remote.startsWith("-"), { error: "a remote name or URL, not an option" })
    .optional(),
});

/* Roles ------------------------------------------------------------------- */

const roleName = lowercaseName(41);

const roleKey = roleName
  .refine((name) => name !== ANYONE, {
    error: `'${ANYONE}' is reserved: in permissions it means everyone; give the role another name`,
  })
  .refine((name) => !isSystemActor(name), {
    error: (issue) =>
      `'${String(issue.input)}' is reserved: in permissions it names Slipway's ${String(issue.input)} trigger; give the role another name`,
  });

const userId = z.string().regex(/^[UW][A-Z0-9]{2,}$/, {
  error: (issue) =>
    `'${String(issue.input)}' is not a Slack user id: use the member id (like U0123ABCD, from the person's profile → ⋮ → Copy member ID), not the name`,
});

const userGroupId = z.string().regex(/^S[A-Z0-9]{2,}$/, {
  error: (issue) =>
    `'${String(issue.input)}' is not a Slack user-group id: use the group's id (like S0123ABCD, returned by usergroups.list), not its @handle`,
});

function checkRoleHasMembers(role: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(role)) return;
  const size = (value: unknown) => (Array.isArray(value) ? value.length : isPresent(value) ? 1 : 0);
  if (size(role.users) + size(role.groups) === 0) {
    ctx.addIssue({
      code: "custom",
      input: role,
      message:
        "a role needs at least one member: list Slack user ids under users or user-group ids under groups, e.g. { users: [U0123ABCD] }",
    });
  }
}

export const roleSchema = z
  .strictObject({
    /** Slack user ids (`U…`, `W…`). */
    users: z.array(userId).default([]),
    /** Slack user-group ids (`S…`); membership is looked up when someone acts. */
    groups: z.array(userGroupId).default([]),
  })
  .superRefine(checkRoleHasMembers, { when: () => true });

/** `anyone`, or a list of role names of which a person needs one. */
const roleList = z.union([z.literal(ANYONE), z.array(roleName).min(1)], {
  error: (issue) => {
    if (issue.code !== "invalid_union") return undefined;
    if (typeof issue.input === "string") {
      return `'${issue.input}' is neither ${ANYONE} nor a list of roles: write [${issue.input}] to name one role, or ${ANYONE}`;
    }
    return `expected ${ANYONE} or a list of role names such as [deployers]; got ${describeValue(issue.input)}`;
  },
});

/* Checklist ---------------------------------------------------------------- */

/** Default timeout of a command check when the item gives none. */
export const DEFAULT_CHECK_TIMEOUT_SECONDS = 60;

const itemId = lowercaseName(41);

const relativeFile = z.string().min(1);

const jsonPath = z.string().regex(/^[^.\s]+(?:\.[^.\s]+)*$/, {
  error: (issue) =>
    `'${String(issue.input)}' is not a dotted path: name the keys from the top of the file, separated by dots, e.g. total.lines.pct`,
});

export const commandCheckSchema = z.strictObject({
  kind: z.literal("command"),
  /** Passes when the command exits 0; run from the target's working directory, without a shell. */
  run: argv,
  /** Default 60. */
  timeoutSeconds: timeoutSeconds.optional(),
});

export const jsonCheckSchema = z.strictObject({
  kind: z.literal("json"),
  /** Relative to the target's working directory. */
  file: relativeFile,
  /** Dotted path to a number in the file, e.g. `total.lines.pct`; array indexes are numbers (`runs.0.score`). */
  path: jsonPath,
  op: z.enum(COMPARISONS),
  value: z.number(),
});

function checkTaskMatch(check: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(check)) return;
  const { fail, match } = check;
  if (fail === "open-matching" && !isPresent(match)) {
    ctx.addIssue({
      code: "custom",
      path: ["match"],
      input: match,
      message:
        "required when fail is open-matching: a regular expression for the open items that fail, e.g. critical|high",
    });
  } else if (fail === "open" && isPresent(match)) {
    ctx.addIssue({
      code: "custom",
      path: ["match"],
      input: match,
      message:
        "only used with fail: open-matching; remove it, or set fail: open-matching to fail only on matching items",
    });
  }
  if (typeof match === "string") {
    try {
      new RegExp(match, "i");
    } catch (error) {
      ctx.addIssue({
        code: "custom",
        path: ["match"],
        input: match,
        message: `'${match}' is not a valid regular expression (${error instanceof Error ? error.message : String(error)})`,
      });
    }
  }
}

export const tasksCheckSchema = z
  .strictObject({
    kind: z.literal("tasks"),
    /** A markdown file with task lists (`- [ ]`, `- [x]`), relative to the target's working directory. */
    file: relativeFile,
    /** `open`: any open task fails; `open-matching`: an open task whose text matches `match` fails. */
    fail: z.enum(TASK_FAIL_MODES),
    /** Regular expression, case-insensitive; only with `fail: open-matching`. */
    match: z.string().min(1).optional(),
  })
  .superRefine(checkTaskMatch, { when: () => true });

export const testsCheckSchema = z.strictObject({
  kind: z.literal("tests"),
  /** The test report, relative to the target's working directory; `{deployment}` stands for the deployment's id. */
  file: reportFileSchema,
  /** Default: junit for .xml, json for .json. */
  format: z.enum(REPORT_FORMATS).optional(),
  /** How the record names the suite. Default: the item's title. */
  label: reportLabel.optional(),
  /** The test run that writes the report (given SLIPWAY_TEST_REPORT); without it, the file is read as it is. */
  run: argv.optional(),
  /** Default 60. */
  timeoutSeconds: timeoutSeconds.optional(),
});

export const manualCheckSchema = z.strictObject({
  kind: z.literal("manual"),
  /** Roles allowed to tick it. Default: whoever may deploy to the environment. */
  tickedBy: z.array(roleName).min(1).optional(),
});

function checkRegex(pattern: unknown, ctx: z.core.$RefinementCtx): void {
  if (typeof pattern !== "string") return;
  try {
    new RegExp(pattern, "i");
  } catch (error) {
    ctx.addIssue({
      code: "custom",
      input: pattern,
      message: `'${pattern}' is not a valid regular expression (${error instanceof Error ? error.message : String(error)})`,
    });
  }
}

/** Default `match` of a logs check: the lines that count as errors. */
export const DEFAULT_LOG_ERROR_MATCH = "\\b(error|fatal|panic)\\b";

export const logsCheckSchema = z.strictObject({
  kind: z.literal("logs"),
  /**
   * A log query: prints the service's log lines since the deployment started, given as SLIPWAY_LOGS_SINCE
   * (ISO 8601) and SLIPWAY_LOGS_SINCE_MS, and as `{since}` in an argument (e.g. `--since-time={since}`).
   */
  run: argv,
  /** Which printed lines are errors: a regular expression, case-insensitive. Default `\b(error|fatal|panic)\b`. */
  match: z.string().min(1).superRefine(checkRegex).default(DEFAULT_LOG_ERROR_MATCH),
  /** How many error lines pass. Default 0. */
  max: z.number().int().min(0).default(0),
  /** Default 60. */
  timeoutSeconds: timeoutSeconds.optional(),
});

export const checkSchema = z.discriminatedUnion("kind", [
  commandCheckSchema,
  jsonCheckSchema,
  tasksCheckSchema,
  testsCheckSchema,
  manualCheckSchema,
  logsCheckSchema,
]);

/** Deployment validation runs unattended after the last step, and only it knows when the deployment started. */
function checkItemSection(item: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(item) || !isMapping(item.check)) return;
  const { section } = item;
  const { kind } = item.check;
  if (section === "deployment" && kind === "manual") {
    ctx.addIssue({
      code: "custom",
      path: ["check", "kind"],
      input: kind,
      message:
        "a deployment validation item checks itself after the last step, with nobody to tick it: use command, json, tasks, tests or logs, or move the manual item to the code, environment or security section",
    });
  }
  if (kind === "logs" && section !== "deployment") {
    ctx.addIssue({
      code: "custom",
      path: ["section"],
      input: section,
      message:
        "a logs check counts error lines since the deployment started, so it belongs to the deployment section (checked after the last step); write section: deployment",
    });
  }
}

export const checklistItemSchema = z
  .strictObject({
    id: itemId,
    title: z.string().min(1).max(150),
    section: z.enum(SECTIONS),
    /** Default true; false makes the item advisory: shown, never blocking. */
    required: z.boolean().default(true),
    check: checkSchema,
  })
  .superRefine(checkItemSection, { when: () => true });

/* Approval and permissions ------------------------------------------------- */

/** The environment that needs approval when its manifest says nothing about it. */
export const APPROVAL_REQUIRED_BY_DEFAULT_IN = "production";
export const DEFAULT_APPROVAL_COUNT = 1;
export const DEFAULT_APPROVAL_EXPIRY = "4h";
const MAX_APPROVAL_COUNT = 10;

const approvalCount = z
  .number()
  .min(1)
  .max(MAX_APPROVAL_COUNT)
  .refine(Number.isInteger, {
    error: (issue) => `expected a whole number of approvals, got ${String(issue.input)}`,
  });

const durationText = z.string().superRefine((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", input: text, message: parsed.message });
});

export const approvalSchema = z.strictObject({
  /** Default true once an approval section is written. */
  required: z.boolean().default(true),
  /** Distinct approvals needed (quorum), 1..10. Default 1. */
  count: approvalCount.default(DEFAULT_APPROVAL_COUNT),
  /** Roles that may approve. Default: permissions.approve, which defaults to anyone. */
  approvers: roleList.optional(),
  /** Whether the requester may approve their own deployment. Default false. */
  allowSelfApproval: z.boolean().default(false),
  /** How long a request waits for approval before it expires. Default 4h. */
  expiresAfter: durationText.default(DEFAULT_APPROVAL_EXPIRY),
});

export const permissionsSchema = z.strictObject({
  deploy: roleList.optional(),
  approve: roleList.optional(),
  rollback: roleList.optional(),
  lock: roleList.optional(),
  /** Who may restore from backup with /rollback --restore: named roles only. Default: nobody. */
  restore: z
    .array(roleName)
    .min(1, { error: "name at least one role that may restore, e.g. [dbas], or leave restore out" })
    .optional(),
});

/* Windows ------------------------------------------------------------------ */

function clockTime(allowEndOfDay: boolean) {
  return z.string().refine((text) => parseClock(text, allowEndOfDay) !== undefined, {
    error: (issue) =>
      `'${String(issue.input)}' is not a time: write HH:MM on a 24-hour clock, e.g. "09:00"${allowEndOfDay ? ' (or "24:00" for the end of the day)' : ""}`,
  });
}

const localDateTime = z.string().refine((text) => parseLocalDateTime(text) !== undefined, {
  error: (issue) =>
    `'${String(issue.input)}' is not a date and time: write "YYYY-MM-DD HH:MM" in the windows' time zone, e.g. "2026-12-20 00:00"`,
});

let knownTimeZones: readonly string[] | undefined;

function timeZoneSuggestion(name: string): string {
  knownTimeZones ??= Intl.supportedValuesOf("timeZone");
  const match = closestMatch(name, knownTimeZones);
  return match === undefined ? "" : ` — did you mean '${match}'?`;
}

const timeZone = z.string().refine(isTimeZone, {
  error: (issue) =>
    `unknown time zone '${String(issue.input)}': use an IANA name such as Europe/Berlin, America/New_York or UTC${typeof issue.input === "string" ? timeZoneSuggestion(issue.input) : ""}`,
});

function checkWindowTimes(window: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(window) || typeof window.from !== "string" || typeof window.to !== "string") return;
  const from = parseClock(window.from);
  const to = parseClock(window.to, true);
  if (from !== undefined && from === to) {
    ctx.addIssue({
      code: "custom",
      path: ["to"],
      input: window.to,
      message: `the window starts and ends at ${window.from}; for a whole day write from: "00:00", to: "24:00" (a 'to' before 'from' runs past midnight)`,
    });
  }
}

export const allowWindowSchema = z
  .strictObject({
    days: z.array(z.enum(DAYS)).min(1),
    /** Local time the window opens, `HH:MM`. */
    from: clockTime(false),
    /** Local time it closes, `HH:MM` or `24:00`; earlier than `from` means the next day. */
    to: clockTime(true),
  })
  .superRefine(checkWindowTimes, { when: () => true });

function normalizedLocal(text: string): string {
  return text.length === 10 ? `${text} 00:00` : text;
}

function checkFreezeOrder(freeze: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(freeze) || typeof freeze.from !== "string" || typeof freeze.to !== "string") return;
  if (parseLocalDateTime(freeze.from) === undefined || parseLocalDateTime(freeze.to) === undefined) return;
  if (normalizedLocal(freeze.from) >= normalizedLocal(freeze.to)) {
    ctx.addIssue({
      code: "custom",
      path: ["to"],
      input: freeze.to,
      message: `the freeze ends (${freeze.to}) before or when it starts (${freeze.from}); 'to' must be later than 'from'`,
    });
  }
}

export const freezeSchema = z
  .strictObject({
    /** Local date and time the freeze starts, `YYYY-MM-DD HH:MM`. */
    from: localDateTime,
    /** Local date and time it ends (exclusive). */
    to: localDateTime,
    /** Shown to whoever is refused, e.g. Holiday freeze. */
    reason: z.string().min(1).max(200).optional(),
  })
  .superRefine(checkFreezeOrder, { when: () => true });

export const windowsSchema = z.strictObject({
  /** IANA time zone name the windows and freezes are read in. */
  timezone: timeZone,
  /** When deployments may start; none listed means any time outside a freeze. */
  allow: z.array(allowWindowSchema).default([]),
  freezes: z.array(freezeSchema).default([]),
  /** Whether a --hotfix deployment may start outside a window or during a freeze. Default false. */
  hotfixBypass: z.boolean().default(false),
  /** When traffic is low, e.g. [{ days: [tue, wed, thu], from: "02:00", to: "05:00" }]: the only time a sensitive deployment starts. */
  lowTraffic: z
    .array(allowWindowSchema)
    .min(1, { error: "list at least one low-traffic window, or leave lowTraffic out" })
    .optional(),
});

/* Strategies ------------------------------------------------------------- */

const durationMs = durationText.transform((text) => {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : 0;
});

const percent = z
  .number()
  .min(1)
  .max(100)
  .refine(Number.isInteger, { error: (issue) => `expected a whole percentage, got ${String(issue.input)}` });

/** A traffic step: the new version's share, and how long it holds while analysis watches it. */
const trafficStepSchema = z.strictObject({ weight: percent, hold: durationMs.optional() });

/**
 * What traffic steps must be, for the strategy that has them. Both rise step
 * by step and hold each step below 100% (analysis watches it that long). A
 * canary's steps stay below 100%: its 100% comes by itself. A blue-green
 * switch in steps ends at 100%, after which blue is kept for keepBlueFor, so
 * that step holds nothing of its own.
 */
function checkTrafficSteps(strategy: "canary" | "blue-green") {
  return (steps: unknown, ctx: z.core.$RefinementCtx): void => {
    if (!Array.isArray(steps)) return;
    const weightOf = (step: unknown) => (isMapping(step) && typeof step.weight === "number" ? step.weight : undefined);
    steps.forEach((step: unknown, index: number) => {
      const weight = weightOf(step);
      if (!isMapping(step) || weight === undefined) return;
      const previous = weightOf(steps[index - 1]);
      if (previous !== undefined && weight <= previous) {
        ctx.addIssue({
          code: "custom",
          path: [index, "weight"],
          input: weight,
          message: `weights must increase from step to step: ${weight}% comes after ${previous}%`,
        });
      }
      if (strategy === "canary" && weight >= 100) {
        ctx.addIssue({
          code: "custom",
          path: [index, "weight"],
          input: weight,
          message: "a step below 100; 100% is the last step by itself",
        });
      } else if (weight < 100 && !isPresent(step.hold)) {
        ctx.addIssue({
          code: "custom",
          path: [index],
          input: step,
          message: `the ${weight}% step needs a hold, the time analysis watches it, e.g. { weight: ${weight}, hold: 10m }`,
        });
      } else if (weight === 100 && isPresent(step.hold)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "hold"],
          input: step.hold,
          message: "after the switch to 100% blue is kept for blueGreen.keepBlueFor; set that instead of a hold here",
        });
      }
    });
    const last = weightOf(steps.at(-1));
    if (strategy === "blue-green" && last !== undefined && last !== 100) {
      ctx.addIssue({
        code: "custom",
        path: [steps.length - 1, "weight"],
        input: last,
        message:
          "the last step switches all traffic to green: end the steps with { weight: 100 }, e.g. [{ weight: 10, hold: 5m }, { weight: 50, hold: 5m }, { weight: 100 }]",
      });
    }
  };
}

function trafficSteps(strategy: "canary" | "blue-green") {
  return z
    .array(trafficStepSchema)
    .min(1)
    .superRefine(checkTrafficSteps(strategy), { when: () => true });
}

export const canarySchema = z.strictObject({
  /** Traffic steps before 100%, e.g. [{ weight: 5, hold: 15m }, { weight: 25, hold: 1h }]. Default: the seed's 5/25/50. */
  steps: trafficSteps("canary"),
});

export const blueGreenSchema = z.strictObject({
  /** Switch traffic in held steps ending at 100%, e.g. [{ weight: 10, hold: 5m }, { weight: 50, hold: 5m }, { weight: 100 }]. Default: all at once. */
  steps: trafficSteps("blue-green").optional(),
  /** How long blue stays ready as the way back after the switch. Default 30m. */
  keepBlueFor: durationMs.optional(),
  /** Archive blue through the target's archive action once it is no longer kept. Default: when the target has one. */
  archive: z.boolean().optional(),
});

export const rollingSchema = z.strictObject({
  instances: z.number().int().min(1).max(100),
  /** How long each updated instance is watched (and analysed) before the next. Default two analysis intervals with metrics, none without. */
  observe: durationMs.optional(),
});

export const featureFlagSchema = z.strictObject({
  flag: z.string().regex(FLAG_NAME, { error: "a flag name: letters, digits, . _ -" }),
  percent: percent.default(100),
});

export const hotfixSchema = z.strictObject({
  /** Whether a --hotfix may deploy here at all. Default true. */
  allowed: z.boolean().optional(),
  /** How long a hotfix soaks after deploying here before going on. Default 5m in staging, none elsewhere. */
  soak: durationMs.optional(),
  /** Intensive monitoring: how often a hotfix is analysed. Default a third of metrics.interval. */
  interval: durationMs.optional(),
});

const extendedFor = durationMs.refine((ms) => ms > 0 && ms <= 24 * 3_600_000, {
  error: "extended monitoring lasts more than 0 and at most 24h, e.g. 1h",
});

export const monitoringSchema = z.strictObject({
  /** The seed's immediate validation after 100%: analysed at the metrics interval. Default 15m when metrics are set. */
  immediate: durationMs.optional(),
  /**
   * Extended monitoring of the succeeded deployment after that: a length (e.g. 1h), or { for: 1h, interval: 5m,
   * metrics: [conversion-rate] } with its own interval (default 4× metrics.interval) and the custom metrics it
   * judges (default all of them, which the immediate window then leaves to it); false for none. Default 1h when
   * the service declares custom metrics.
   */
  extended: z
    .union(
      [
        z.literal(false),
        extendedFor,
        z.strictObject({
          for: extendedFor.optional(),
          interval: durationMs.optional(),
          metrics: z.array(z.string().min(1)).min(1).optional(),
        }),
      ],
      {
        error: (issue) =>
          issue.code === "invalid_union"
            ? "write a length such as 1h, { for: 1h, interval: 5m, metrics: [conversion-rate] }, or false for none"
            : undefined,
      },
    )
    .optional(),
});

/* Triggers ------------------------------------------------------------------ */

/** Deploy on push: pushes of `branch` to `repository` deploy the environment. */
export const pushTriggerSchema = z.strictObject({
  /** The GitHub repository, `owner/name`. */
  repository: z.string().regex(REPOSITORY_NAME, {
    error: (issue) =>
      `'${String(issue.input)}' is not a GitHub repository: write owner/name as in its URL, e.g. example-org/web`,
  }),
  /** The branch whose pushes deploy, as git names it (no refs/heads/, no patterns). */
  branch: z.string().superRefine((name, ctx) => {
    const problem = branchNameProblem(name);
    if (problem !== undefined) ctx.addIssue({ code: "custom", input: name, message: problem });
  }),
  /** Name of the environment variable holding the webhook's secret (the secret itself never goes in a manifest). */
  secretEnv: envVarName,
});

/** Deploy on a schedule: at each cron time, the newest version that succeeded in `from` and is not live here yet. */
export const scheduleTriggerSchema = z.strictObject({
  /** Cron expression as BullMQ reads it: 5 fields, or 6 with seconds first. */
  cron: z.string().superRefine((cron, ctx) => {
    const problem = cronProblem(cron);
    if (problem !== undefined) ctx.addIssue({ code: "custom", input: cron, message: problem });
  }),
  /** IANA time zone the cron expression is read in. */
  timezone: timeZone,
  /** The environment whose successful versions this one takes. */
  from: environmentName,
});

/* Review ------------------------------------------------------------------- */

export const reviewSchema = z.strictObject({
  /** When the thread asks for the post-deployment review: after trouble (rollback, hotfix, failure), every time, or never. Default trouble in production, never elsewhere. */
  after: z.enum(REVIEW_WHEN).optional(),
  /** When one reminder is posted if nobody answered. Default 1d. */
  remindAfter: durationMs.optional(),
});

/* Environments ------------------------------------------------------------- */

export const requiresSchema = z.strictObject({
  /** The environment a version must have succeeded in before it may deploy here. */
  environment: environmentName,
  /** How long it must have stayed there since, e.g. 24h. Default: no wait. */
  soak: durationMs.optional(),
});

export const environmentSchema = z.strictObject({
  strategy: z.enum(STRATEGIES).default("all-at-once"),
  stages: z.array(stageSchema).min(1, { error: "needs at least one stage" }),
  /**
   * Checklist item ids: those of the code, environment and security sections are checked before deploying
   * (default: every such item), those of the deployment section after the last step (default: none), those
   * of the validation section after a rollback (default: every such item).
   */
  checklist: z.array(itemId).optional(),
  approval: approvalSchema.optional(),
  /** Roles per action, or anyone. Default: anyone for every action. */
  permissions: permissionsSchema.optional(),
  windows: windowsSchema.optional(),
  canary: canarySchema.optional(),
  blueGreen: blueGreenSchema.optional(),
  rolling: rollingSchema.optional(),
  featureFlag: featureFlagSchema.optional(),
  hotfix: hotfixSchema.optional(),
  monitoring: monitoringSchema.optional(),
  /** Deploy each push of a branch. */
  push: pushTriggerSchema.optional(),
  /** Deploy on a schedule what succeeded in another environment. */
  schedule: scheduleTriggerSchema.optional(),
  /** The promotion gate: a version deploys here only after succeeding (and soaking) there. */
  requires: requiresSchema.optional(),
  review: reviewSchema.optional(),
  /** What a deployment that cannot go on does: roll back by itself, pause, or stop (see domain/on-failure.ts). Default stop. */
  onFailure: z
    .enum(ON_FAILURE, {
      error: (issue) =>
        `${typeof issue.input === "string" ? `'${issue.input}'` : describeValue(issue.input)} is not a rollback policy: write rollback (Slipway rolls back by itself to the last good version), stop (the deployment ends failed and offers Roll back) or pause (it pauses and says what is live where)${typeof issue.input === "string" ? suggestion(issue.input, ON_FAILURE) : ""}`,
    })
    .optional(),
  /** Every deployment here is sensitive (as with --sensitive): low-traffic window, a security approver, longer watch, heads-ups. */
  sensitive: z.boolean().optional(),
});

function declaredActions(target: unknown): Set<string> | undefined {
  if (!isMapping(target)) return undefined;
  if (Array.isArray(target.actions)) return new Set(target.actions.filter(isActionName));
  if (!isMapping(target.actions)) return undefined;
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
      if (isPresent(stage.tag) && !isMapping(manifest.repository)) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "tag"],
          input: stage.tag,
          message:
            "a tag stage needs the service's git repository: add repository: { path: <local clone>, remote: origin } to the manifest",
        });
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
    const needs = STRATEGY_NEEDS[String(config.strategy) as keyof typeof STRATEGY_NEEDS];
    if (declared !== undefined && needs !== undefined && !declared.has(needs)) {
      ctx.addIssue({
        code: "custom",
        path: ["environments", environment, "strategy"],
        input: config.strategy,
        message: `the ${String(config.strategy)} strategy needs the target's ${needs} action; add target.actions.${needs} or choose another strategy`,
      });
    }
    checkBlueGreenArchive(config, environment, declared, ctx);
    if (declared !== undefined && config.onFailure === "rollback" && !declared.has("rollback")) {
      ctx.addIssue({
        code: "custom",
        path: ["environments", environment, "onFailure"],
        input: config.onFailure,
        message:
          "onFailure: rollback needs the target's rollback action to return to the last good version; add target.actions.rollback, or write stop or pause",
      });
    }
  }
}

/** `blueGreen.archive: true` needs the target's archive action, and says how long blue is kept before it goes. */
function checkBlueGreenArchive(
  config: Record<string, unknown>,
  environment: string,
  declared: Set<string> | undefined,
  ctx: z.core.$RefinementCtx,
): void {
  const blueGreen = isMapping(config.blueGreen) ? config.blueGreen : undefined;
  if (blueGreen?.archive !== true) return;
  const at = ["environments", environment, "blueGreen", "archive"];
  if (declared !== undefined && !declared.has("archive")) {
    ctx.addIssue({
      code: "custom",
      path: at,
      input: true,
      message:
        "archiving blue needs the target's archive action: add target.actions.archive, or leave archive out (blue is then kept as it is)",
    });
  }
  if (!isPresent(blueGreen.keepBlueFor)) {
    ctx.addIssue({
      code: "custom",
      path: at,
      input: true,
      message:
        "blue is archived once it is no longer kept as the way back: say how long that is, e.g. keepBlueFor: 30m, next to archive: true",
    });
  }
}

/** The target action each strategy cannot do without. */
export const STRATEGY_NEEDS: Readonly<Record<Strategy, ActionName | undefined>> = {
  "all-at-once": undefined,
  canary: "setTraffic",
  "blue-green": "setTraffic",
  rolling: "healthCheck",
  "feature-flag": "setFlag",
};

const MAX_LISTED_NAMES = 12;

function listNames(names: readonly string[]): string {
  if (names.length <= MAX_LISTED_NAMES) return names.join(", ");
  return `${names.slice(0, MAX_LISTED_NAMES).join(", ")} and ${names.length - MAX_LISTED_NAMES} more`;
}

function suggestion(word: string, candidates: readonly string[]): string {
  const match = closestMatch(word, candidates);
  return match === undefined ? "" : ` — did you mean '${match}'?`;
}

type IssuePath = (string | number)[];

function checkRoleReferences(
  list: unknown,
  at: IssuePath,
  roleNames: readonly string[],
  ctx: z.core.$RefinementCtx,
): void {
  if (!Array.isArray(list)) return;
  list.forEach((name: unknown, index: number) => {
    if (typeof name !== "string") return;
    if (isSystemActor(name)) return;
    if (name === ANYONE) {
      ctx.addIssue({
        code: "custom",
        path: [...at, index],
        input: name,
        message: `write ${ANYONE} on its own, without brackets (e.g. deploy: ${ANYONE}), or list only role names`,
      });
      return;
    }
    if (roleNames.includes(name)) return;
    const message =
      roleNames.length === 0
        ? `unknown role '${name}': no roles are defined; add it under roles, e.g. roles: { ${name}: { users: [U0123ABCD] } }`
        : `unknown role '${name}'${suggestion(name, roleNames)} (roles: ${listNames(roleNames)}); define it under roles or use one of those`;
    ctx.addIssue({ code: "custom", path: [...at, index], input: name, message });
  });
}

function checkChecklistItems(manifest: Record<string, unknown>, ctx: z.core.$RefinementCtx): string[] {
  const ids: string[] = [];
  if (!Array.isArray(manifest.checklist)) return ids;
  const firstIndex = new Map<string, number>();
  manifest.checklist.forEach((item: unknown, index: number) => {
    if (!isMapping(item) || typeof item.id !== "string") return;
    const first = firstIndex.get(item.id);
    if (first === undefined) {
      firstIndex.set(item.id, index);
      ids.push(item.id);
    } else {
      ctx.addIssue({
        code: "custom",
        path: ["checklist", index, "id"],
        input: item.id,
        message: `duplicate checklist item id '${item.id}' (already used by checklist[${first}]); item ids must be unique`,
      });
    }
  });
  return ids;
}

function checkEnvironmentChecklist(
  list: unknown,
  at: IssuePath,
  itemIds: readonly string[],
  ctx: z.core.$RefinementCtx,
): void {
  if (!Array.isArray(list)) return;
  const seen = new Map<string, number>();
  list.forEach((id: unknown, index: number) => {
    if (typeof id !== "string") return;
    const first = seen.get(id);
    if (first !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: [...at, index],
        input: id,
        message: `checklist item '${id}' is listed twice (first at [${first}]); list each item once`,
      });
      return;
    }
    seen.set(id, index);
    if (itemIds.includes(id)) return;
    const message =
      itemIds.length === 0
        ? `unknown checklist item '${id}': the manifest has no checklist; define the item under checklist`
        : `unknown checklist item '${id}'${suggestion(id, itemIds)} (items: ${listNames(itemIds)}); define it under checklist or remove it here`;
    ctx.addIssue({ code: "custom", path: [...at, index], input: id, message });
  });
}

function roleListKey(list: unknown): string | undefined {
  if (list === ANYONE) return ANYONE;
  if (!Array.isArray(list) || !list.every((name) => typeof name === "string")) return undefined;
  return [...new Set(list as string[])].sort().join(",");
}

function describeRoleList(list: unknown): string {
  return Array.isArray(list) ? `[${list.map(String).join(", ")}]` : String(list);
}

/** Distinct users of the roles, or undefined when a role is missing or has user groups (so its size is unknown). */
function usersOnly(roles: Record<string, unknown>, list: readonly unknown[]): Set<string> | undefined {
  const users = new Set<string>();
  for (const name of list) {
    if (typeof name !== "string") return undefined;
    const role = roles[name];
    if (!isMapping(role)) return undefined;
    if (Array.isArray(role.groups) && role.groups.length > 0) return undefined;
    if (isPresent(role.groups) && !Array.isArray(role.groups)) return undefined;
    if (!Array.isArray(role.users)) return undefined;
    for (const user of role.users) if (typeof user === "string") users.add(user);
  }
  return users;
}

function checkApproval(
  config: Record<string, unknown>,
  at: IssuePath,
  roles: Record<string, unknown>,
  ctx: z.core.$RefinementCtx,
): void {
  const approval = isMapping(config.approval) ? config.approval : undefined;
  const permissions = isMapping(config.permissions) ? config.permissions : undefined;
  if (approval === undefined) return;
  const approvers = approval.approvers;
  const permitted = permissions?.approve;
  if (isPresent(approvers) && isPresent(permitted)) {
    const a = roleListKey(approvers);
    const p = roleListKey(permitted);
    if (a !== undefined && p !== undefined && a !== p) {
      ctx.addIssue({
        code: "custom",
        path: [...at, "approval", "approvers"],
        input: approvers,
        message: `${describeRoleList(approvers)} differs from permissions.approve (${describeRoleList(permitted)}); both say who may approve, so write it once: keep approval.approvers and remove permissions.approve, or make them the same`,
      });
    }
  }
  const effective = isPresent(approvers) ? approvers : permitted;
  const count = approval.count;
  if (approval.required === false || typeof count !== "number" || !Array.isArray(effective)) return;
  const users = usersOnly(roles, effective);
  if (users === undefined || count <= users.size) return;
  const names = effective.map(String).join(", ");
  const plural = effective.length === 1 ? "role" : "roles";
  ctx.addIssue({
    code: "custom",
    path: [...at, "approval", "count"],
    input: count,
    message: `needs ${count} approvals, but the approver ${plural} (${names}) name only ${users.size} Slack ${users.size === 1 ? "user" : "users"} (${[...users].join(", ")}) and no user groups, so the quorum can never be met; lower count to ${users.size} or add people or a user group to the ${plural}`,
  });
}

function checkPolicyReferences(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(manifest)) return;
  const roles = isMapping(manifest.roles) ? manifest.roles : {};
  const roleNames = Object.keys(roles);
  const itemIds = checkChecklistItems(manifest, ctx);

  if (Array.isArray(manifest.checklist)) {
    manifest.checklist.forEach((item: unknown, index: number) => {
      if (!isMapping(item) || !isMapping(item.check)) return;
      checkRoleReferences(item.check.tickedBy, ["checklist", index, "check", "tickedBy"], roleNames, ctx);
    });
  }

  if (!isMapping(manifest.environments)) return;
  for (const [environment, config] of Object.entries(manifest.environments)) {
    if (!isMapping(config)) continue;
    const at: IssuePath = ["environments", environment];
    checkEnvironmentChecklist(config.checklist, [...at, "checklist"], itemIds, ctx);
    if (isMapping(config.permissions)) {
      for (const action of ACTIONS) {
        checkRoleReferences(config.permissions[action], [...at, "permissions", action], roleNames, ctx);
      }
    }
    if (isMapping(config.approval)) {
      checkRoleReferences(config.approval.approvers, [...at, "approval", "approvers"], roleNames, ctx);
    }
    checkApproval(config, at, roles, ctx);
  }
}

/** Whether the environment's deploy permission lets a system actor deploy. */
function deployAllows(config: Record<string, unknown>, actor: string): boolean {
  const deploy = isMapping(config.permissions) ? config.permissions.deploy : undefined;
  return !Array.isArray(deploy) || deploy.includes(actor);
}

function checkTriggers(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(manifest) || !isMapping(manifest.environments)) return;
  const names = Object.keys(manifest.environments);
  const pushedBy = new Map<string, string>();
  for (const [environment, config] of Object.entries(manifest.environments)) {
    if (!isMapping(config)) continue;
    const at: IssuePath = ["environments", environment];
    const { push, schedule } = config;
    if (isMapping(push)) {
      const key = `${String(push.repository)}#${String(push.branch)}`;
      const first = pushedBy.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "push", "branch"],
          input: push.branch,
          message: `pushes of ${String(push.branch)} to ${String(push.repository)} already deploy ${first}; a branch deploys one environment (feed the next one with a schedule instead)`,
        });
      } else pushedBy.set(key, environment);
    }
    if (isMapping(schedule) && typeof schedule.from === "string") {
      if (schedule.from === environment) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "schedule", "from"],
          input: schedule.from,
          message: `${environment} cannot be fed from itself; name the environment whose successful versions it takes, e.g. from: ${names.find((n) => n !== environment) ?? "development"}`,
        });
      } else if (!names.includes(schedule.from)) {
        ctx.addIssue({
          code: "custom",
          path: [...at, "schedule", "from"],
          input: schedule.from,
          message: `unknown environment '${schedule.from}'${suggestion(schedule.from, names)} (environments: ${listNames(names)}); the schedule deploys what succeeded there`,
        });
      }
    }
    for (const [trigger, actor] of [
      [push, "push"],
      [schedule, "schedule"],
    ] as const) {
      if (!isMapping(trigger) || deployAllows(config, actor)) continue;
      const deploy = isMapping(config.permissions) ? config.permissions.deploy : [];
      const list = Array.isArray(deploy) ? deploy.map(String) : [];
      ctx.addIssue({
        code: "custom",
        path: [...at, "permissions", "deploy"],
        input: deploy,
        message: `${environment} deploys on ${actor}, but permissions.deploy does not allow the ${actor} actor; add it: deploy: [${[...list, actor].join(", ")}]`,
      });
    }
  }
}

function checkPromotions(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(manifest) || !isMapping(manifest.environments)) return;
  const names = Object.keys(manifest.environments);
  for (const [environment, config] of Object.entries(manifest.environments)) {
    if (!isMapping(config) || !isMapping(config.requires) || typeof config.requires.environment !== "string") continue;
    const required = config.requires.environment;
    const at = ["environments", environment, "requires", "environment"];
    if (required === environment) {
      ctx.addIssue({
        code: "custom",
        path: at,
        input: required,
        message: `${environment} cannot require itself; name the environment a version passes first, e.g. staging`,
      });
    } else if (!names.includes(required)) {
      ctx.addIssue({
        code: "custom",
        path: at,
        input: required,
        message: `unknown environment '${required}'${suggestion(required, names)} (environments: ${listNames(names)}); name one this manifest defines`,
      });
    }
  }
}

/** A service or environment marked sensitive needs the security role, the incident channel and low-traffic windows. */
function checkSensitive(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(manifest) || !isMapping(manifest.environments)) return;
  const told = new Set<string>();
  for (const [environment, config] of Object.entries(manifest.environments)) {
    if (!isMapping(config) || (manifest.sensitive !== true && config.sensitive !== true)) continue;
    const marked =
      manifest.sensitive === true ? "the service is marked sensitive" : `${environment} is marked sensitive`;
    const windows = isMapping(config.windows) ? config.windows : undefined;
    const needs = sensitiveNeeds({
      roles: isMapping(manifest.roles) ? manifest.roles : {},
      ...(isMapping(manifest.channels) && typeof manifest.channels.incidents === "string"
        ? { incidentChannel: manifest.channels.incidents }
        : {}),
      ...(Array.isArray(windows?.lowTraffic) ? { lowTraffic: windows.lowTraffic } : {}),
    });
    for (const need of needs) {
      if (need !== "low-traffic-window" && told.has(need)) continue;
      told.add(need);
      const [path, message] =
        need === "security-role"
          ? [
              ["roles"],
              `${marked}, so its deployments need an approver from the '${SECURITY_ROLE}' role: add roles: { ${SECURITY_ROLE}: { users: [U…] } }`,
            ]
          : need === "incident-channel"
            ? [
                ["channels", "incidents"],
                `${marked}, so Slipway posts heads-ups to the incident channel: add channels.incidents: C…`,
              ]
            : [
                ["environments", environment, "windows", "lowTraffic"],
                `${marked}, so its deployments run only in a low-traffic window: add windows: { timezone: Europe/Berlin, lowTraffic: [{ days: [tue, wed, thu], from: "02:00", to: "05:00" }] }`,
              ];
      ctx.addIssue({ code: "custom", path, input: undefined, message });
    }
  }
}

function checkManifest(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  checkStagesAgainstTarget(manifest, ctx);
  checkPolicyReferences(manifest, ctx);
  checkTriggers(manifest, ctx);
  checkPromotions(manifest, ctx);
  checkSensitive(manifest, ctx);
  checkMonitoringMetrics(manifest, ctx);
}

/** The extended window watches custom metrics the service declares: its own set names some, or it has none to watch. */
function checkMonitoringMetrics(manifest: unknown, ctx: z.core.$RefinementCtx): void {
  if (!isMapping(manifest) || !isMapping(manifest.environments)) return;
  const metrics = isMapping(manifest.metrics) ? manifest.metrics : undefined;
  const declared = (Array.isArray(metrics?.custom) ? metrics.custom : []).flatMap((m) =>
    isMapping(m) && typeof m.name === "string" ? [m.name] : [],
  );
  for (const [environment, config] of Object.entries(manifest.environments)) {
    const monitoring = isMapping(config) && isMapping(config.monitoring) ? config.monitoring : undefined;
    const asked = monitoring?.extended !== undefined && monitoring.extended !== false;
    if (asked && declared.length === 0) {
      ctx.addIssue({
        code: "custom",
        path: ["environments", environment, "monitoring", "extended"],
        input: monitoring?.extended,
        message:
          "the extended window watches the service's custom metrics, and metrics.custom declares none: declare them (e.g. a conversion rate), or leave extended out",
      });
      continue;
    }
    const extended = isMapping(monitoring?.extended) ? monitoring.extended : undefined;
    if (!Array.isArray(extended?.metrics)) continue;
    extended.metrics.forEach((name, index) => {
      if (typeof name !== "string" || declared.includes(name)) return;
      ctx.addIssue({
        code: "custom",
        path: ["environments", environment, "monitoring", "extended", "metrics", index],
        input: name,
        message:
          declared.length === 0
            ? `'${name}' is not a metric of this service: declare it in metrics.custom first`
            : `'${name}' is not a metric of this service; metrics.custom declares ${declared.join(", ")}`,
      });
    });
  }
}

const parsedManifestSchema = z
  .strictObject({
    service: serviceName,
    description: z.string().optional(),
    channels: z.strictObject({
      deploy: channelId,
      incidents: channelId.optional(),
    }),
    /** Named groups of people, referred to by permissions, approvers and manual checklist items. */
    roles: z.record(roleKey, roleSchema).default({}),
    /** Every checklist item of the service; environments pick from these. */
    checklist: z.array(checklistItemSchema).default([]),
    target: targetSchema,
    /** Every deployment of the service is sensitive (as with --sensitive); see `environments.*.sensitive`. */
    sensitive: z.boolean().optional(),
    /** The service's git repository: versions are resolved in it, changes listed from it, release candidates tagged in it. */
    repository: repositorySchema.optional(),
    /** Where canary analysis and post-deployment monitoring read metrics. Without it, holds are plain waits. */
    metrics: metricsConfigSchema.optional(),
    environments: z
      .record(environmentName, environmentSchema)
      .refine((environments) => Object.keys(environments).length > 0, {
        error: "needs at least one environment, e.g. development",
      }),
  })
  .superRefine(checkManifest, { when: () => true });

type ParsedManifest = z.output<typeof parsedManifestSchema>;
type ParsedEnvironment = z.output<typeof environmentSchema>;

/** An environment's approval policy with every default filled in. */
export interface ApprovalPolicy {
  /** Whether deployments wait for approval. Default: true in production, false elsewhere. */
  readonly required: boolean;
  /** Distinct approvals needed. */
  readonly count: number;
  /** Who may approve: the same list as `permissions.approve`. */
  readonly approvers: RoleList;
  readonly allowSelfApproval: boolean;
  /** As written, e.g. `4h`. */
  readonly expiresAfter: string;
  readonly expiresAfterMs: number;
}

/** Who may do each action in an environment, with `anyone` filled in where the manifest is silent. */
export type PermissionsConfig = Readonly<Record<Action, RoleList>>;

export type EnvironmentConfig = Omit<ParsedEnvironment, "approval" | "permissions" | "review" | "onFailure"> & {
  readonly approval: ApprovalPolicy;
  /** What a deployment that cannot go on does, default filled in. */
  readonly onFailure: OnFailure;
  /** When the post-deployment review is asked for, with its defaults filled in. */
  readonly review: ReviewPolicy;
  readonly permissions: PermissionsConfig;
};

export type ServiceManifest = Omit<ParsedManifest, "environments"> & {
  environments: Record<string, EnvironmentConfig>;
};

function durationOrDefault(text: string): number {
  const parsed = parseDuration(text);
  if (parsed.ok) return parsed.ms;
  const fallback = parseDuration(DEFAULT_APPROVAL_EXPIRY);
  return fallback.ok ? fallback.ms : 0;
}

/** Fills in the defaults that depend on the environment's name or on other keys. */
export function resolveEnvironment(name: string, environment: ParsedEnvironment): EnvironmentConfig {
  const { approval, permissions, review, onFailure, ...rest } = environment;
  const approve = approval?.approvers ?? permissions?.approve ?? ANYONE;
  const expiresAfter = approval?.expiresAfter ?? DEFAULT_APPROVAL_EXPIRY;
  return {
    ...rest,
    onFailure: onFailure ?? DEFAULT_ON_FAILURE,
    review: {
      after: review?.after ?? (name === PRODUCTION ? "trouble" : "never"),
      remindAfterMs: review?.remindAfter ?? DEFAULT_REMIND_AFTER_MS,
    },
    approval: {
      required: approval?.required ?? name === APPROVAL_REQUIRED_BY_DEFAULT_IN,
      count: approval?.count ?? DEFAULT_APPROVAL_COUNT,
      approvers: approve,
      allowSelfApproval: approval?.allowSelfApproval ?? false,
      expiresAfter,
      expiresAfterMs: durationOrDefault(expiresAfter),
    },
    permissions: {
      deploy: permissions?.deploy ?? ANYONE,
      approve,
      rollback: permissions?.rollback ?? ANYONE,
      lock: permissions?.lock ?? ANYONE,
      restore: permissions?.restore ?? [],
    },
  };
}

function resolveManifest(manifest: ParsedManifest): ServiceManifest {
  const environments: Record<string, EnvironmentConfig> = {};
  for (const [name, environment] of Object.entries(manifest.environments)) {
    environments[name] = resolveEnvironment(name, environment);
  }
  return { ...manifest, environments };
}

export const serviceManifestSchema = parsedManifestSchema.transform(resolveManifest);

/** A manifest as written in YAML, before defaults are filled in. */
export type ServiceManifestInput = z.input<typeof serviceManifestSchema>;
export type StageConfig = z.output<typeof stageSchema>;
export type RepositoryManifestConfig = z.output<typeof repositorySchema>;
export type TargetConfig = z.output<typeof targetSchema>;
export type CommandTargetConfig = z.output<typeof commandTargetSchema>;
export type RoleConfig = z.output<typeof roleSchema>;
export type RolesConfig = ServiceManifest["roles"];
export type ChecklistItemConfig = z.output<typeof checklistItemSchema>;
export type CheckConfig = z.output<typeof checkSchema>;
export type CommandCheckConfig = z.output<typeof commandCheckSchema>;
export type LogsCheckConfig = z.output<typeof logsCheckSchema>;
export type JsonCheckConfig = z.output<typeof jsonCheckSchema>;
export type TasksCheckConfig = z.output<typeof tasksCheckSchema>;
export type ManualCheckConfig = z.output<typeof manualCheckSchema>;
export type TestsCheckConfig = z.output<typeof testsCheckSchema>;
export type WindowsConfig = z.output<typeof windowsSchema>;
export type AllowWindowConfig = z.output<typeof allowWindowSchema>;
export type FreezeConfig = z.output<typeof freezeSchema>;
export type PushTriggerConfig = z.output<typeof pushTriggerSchema>;
export type ScheduleTriggerConfig = z.output<typeof scheduleTriggerSchema>;

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
