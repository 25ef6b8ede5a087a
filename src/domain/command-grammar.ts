/*
 * The `/deploy` command grammar.
 *
 * Slack hands over the text after `/deploy`; this turns it into one typed
 * command or a refusal that says what was wrong and shows the correct form.
 * It only checks words against the names it is given; whether the caller may
 * deploy, and which service to use when the service is left out, are decided
 * elsewhere. A sub-command name (`status`, `lock`, …) always wins over an
 * environment of the same name.
 */

import { APPROVE_USAGE, ROLLBACK_USAGE } from "./approve-rollback-grammar.js";
import {
  checkLength,
  formatList,
  type GrammarContext,
  type InvalidCommand,
  invalid,
  isInvalid,
  readReason,
  resolveName,
  type SplitArgs,
  splitArgs,
  tokenize,
  tooManyArguments,
  unknownNameMessage,
} from "./command-tokens.js";
import { parseDuration } from "./duration.js";
import { FLAG_NAME } from "./feature-flag.js";
import { normalizeDeploymentId } from "./ids.js";
import { closestMatch } from "./near-miss.js";
import { quoteToken } from "./safe-text.js";
import { STRATEGIES, type Strategy } from "./strategy.js";
import { checkDeployableVersion } from "./version.js";

export type { GrammarContext, InvalidCommand } from "./command-tokens.js";
export { type DurationResult, parseDuration } from "./duration.js";

export const DEPLOY_USAGE = {
  deploy:
    "/deploy <environment> <version> [service] [--strategy=canary] [--flag=name] [--percent=25] [--hotfix] [--sensitive] [--dry-run] [--queue]",
  status: "/deploy status [service] [environment]",
  help: "/deploy help",
  history: "/deploy history [service] [environment] [--limit 10]",
  stats: "/deploy stats [service] [environment] [--days 30]",
  record: "/deploy record <deployment-id>",
  audit: "/deploy audit [service] [environment]",
  lock: "/deploy lock <environment> [service] <reason...> [--for 2h]",
  unlock: "/deploy unlock <environment> [service]",
} as const;

export type DeploySubcommand = Exclude<keyof typeof DEPLOY_USAGE, "deploy">;
const SUBCOMMANDS: readonly DeploySubcommand[] = [
  "status",
  "help",
  "history",
  "stats",
  "record",
  "audit",
  "lock",
  "unlock",
];
const HELP_WORDS: readonly string[] = ["help", "--help", "-h", "?"];

export interface DeployRequest {
  readonly kind: "deploy";
  readonly environment: string;
  /** The version exactly as typed (already checked by checkDeployableVersion). */
  readonly version: string;
  /** Left out when not given; the caller picks the only service or asks. */
  readonly service?: string;
  readonly strategy?: Strategy;
  /** `--flag` / `--percent`: the feature flag to flip and how far; either implies the feature-flag strategy. */
  readonly flag?: FlagRequest;
  readonly hotfix: boolean;
  /** `--sensitive`: a security-critical update (low-traffic window, a security approver, longer watch). */
  readonly sensitive: boolean;
  readonly dryRun: boolean;
  /** Wait behind the active deployment instead of being refused as busy. */
  readonly queue: boolean;
}

export interface FlagRequest {
  readonly name?: string;
  /** 0 deploys dark and leaves the flag off, for the root message's buttons to ramp up. */
  readonly percent?: number;
}

export interface ScopedQuery {
  readonly kind: "status" | "history" | "stats" | "audit";
  readonly service?: string;
  readonly environment?: string;
  /** `/deploy history --limit N`: deployments per page. */
  readonly limit?: number;
  /** `/deploy stats --days N`: the period. */
  readonly days?: number;
}

/** `/deploy record <id>`: one deployment's record as markdown. */
export interface RecordQuery {
  readonly kind: "record";
  readonly deploymentId: string;
}

export interface LockRequest {
  readonly kind: "lock";
  readonly environment: string;
  readonly service?: string;
  /** Free text without control characters, at most 200 characters; escape it when rendering. */
  readonly reason: string;
  readonly forMs?: number;
}

export interface UnlockRequest {
  readonly kind: "unlock";
  readonly environment: string;
  readonly service?: string;
}

export type DeployCommand =
  | DeployRequest
  | ScopedQuery
  | { readonly kind: "help" }
  /** `/deploy` alone: the deploy form. */
  | { readonly kind: "form" }
  | LockRequest
  | UnlockRequest
  | RecordQuery
  | InvalidCommand;

const STRATEGY_LIST = STRATEGIES.join(", ");

const DEPLOY_FLAGS = [
  { name: "strategy", takesValue: true, needs: `one of ${STRATEGY_LIST}, e.g. --strategy=canary` },
  { name: "flag", takesValue: true, needs: "a feature flag's name, e.g. --flag=new-checkout" },
  { name: "percent", takesValue: true, needs: "a percentage from 0 to 100, e.g. --percent=25" },
  { name: "hotfix", takesValue: false },
  { name: "sensitive", takesValue: false },
  { name: "dry-run", takesValue: false },
  { name: "queue", takesValue: false },
] as const;

/** Most deployments `/deploy history` shows per page. */
export const MAX_HISTORY_LIMIT = 40;
/** Longest period `/deploy stats` looks at. */
export const MAX_STATS_DAYS = 365;

/** The number flags of the scoped queries, by sub-command. */
const QUERY_FLAGS = {
  status: [],
  audit: [],
  history: [
    {
      name: "limit",
      takesValue: true,
      needs: `a number of deployments from 1 to ${MAX_HISTORY_LIMIT}, e.g. --limit 20`,
    },
  ],
  stats: [{ name: "days", takesValue: true, needs: `a number of days from 1 to ${MAX_STATS_DAYS}, e.g. --days 90` }],
} as const;

const LOCK_FLAGS = [
  { name: "for", takesValue: true, needs: "a duration such as 30m, 2h or 1d, e.g. --for 2h" },
] as const;

/** An example environment for messages: `production` when there is one, else the last known. */
function exampleEnvironment(ctx: GrammarContext): string {
  return resolveName("production", ctx.environments) ?? ctx.environments[ctx.environments.length - 1] ?? "production";
}

function exampleService(ctx: GrammarContext): string {
  return ctx.services[0] ?? "api";
}

/** Parses the text after `/deploy`. Empty text asks for the deploy form. */
export function parseDeployCommand(text: string, ctx: GrammarContext): DeployCommand {
  const tooLong = checkLength(text, DEPLOY_USAGE.deploy);
  if (tooLong) return tooLong;
  const tokens = tokenize(text);
  const [first, ...rest] = tokens;
  if (first === undefined) return { kind: "form" };
  const word = first.toLowerCase();
  if (HELP_WORDS.includes(word)) return { kind: "help" };
  switch (word) {
    case "status":
    case "history":
    case "stats":
    case "audit":
      return parseScopedQuery(word, rest, ctx);
    case "record":
      return parseRecord(rest);
    case "lock":
      return parseLock(rest, ctx);
    case "unlock":
      return parseUnlock(rest, ctx);
    default:
      return parseDeploy(tokens, ctx);
  }
}

function parseDeploy(tokens: readonly string[], ctx: GrammarContext): DeployCommand {
  const usage = DEPLOY_USAGE.deploy;
  const split = splitArgs(tokens, DEPLOY_FLAGS, "/deploy", usage);
  const [envToken, versionToken, serviceToken, ...extra] = split.positionals;
  const env = exampleEnvironment(ctx);
  if (envToken === undefined) {
    return invalid(`missing environment and version, e.g. /deploy ${env} v1.2.0`, usage);
  }
  const environment = resolveName(envToken, ctx.environments);
  if (environment === undefined) return refuseEnvironment(envToken, versionToken, ctx, usage);
  if (versionToken === undefined) {
    return invalid(`missing version: say which version to deploy, e.g. /deploy ${environment} v1.2.0`, usage);
  }
  const version = checkDeployableVersion(versionToken);
  if (!version.ok) {
    const service = resolveName(versionToken, ctx.services);
    if (service !== undefined && serviceToken !== undefined && checkDeployableVersion(serviceToken).ok) {
      return invalid(`the version comes before the service: /deploy ${environment} ${serviceToken} ${service}`, usage);
    }
    return invalid(version.message, usage);
  }
  let service: string | undefined;
  if (serviceToken !== undefined) {
    service = resolveName(serviceToken, ctx.services);
    if (service === undefined) return invalid(unknownNameMessage("service", serviceToken, ctx.services), usage);
  }
  if (extra.length > 0) return tooManyArguments(extra, usage);
  if (split.problem) return split.problem;
  const asked = readStrategy(split, usage);
  if (isInvalid(asked)) return asked;
  const flag = readFlag(split, asked, usage);
  if (isInvalid(flag)) return flag;
  const strategy = flag === undefined ? asked : "feature-flag";
  return {
    kind: "deploy",
    environment,
    version: versionToken,
    ...(service === undefined ? {} : { service }),
    ...(strategy === undefined ? {} : { strategy }),
    ...(flag === undefined ? {} : { flag }),
    hotfix: split.flags.has("hotfix"),
    sensitive: split.flags.has("sensitive"),
    dryRun: split.flags.has("dry-run"),
    queue: split.flags.has("queue"),
  };
}

function refuseEnvironment(
  envToken: string,
  next: string | undefined,
  ctx: GrammarContext,
  usage: string,
): InvalidCommand {
  if (next !== undefined && checkDeployableVersion(envToken).ok) {
    const environment = resolveName(next, ctx.environments);
    if (environment !== undefined) {
      return invalid(`the environment comes before the version: /deploy ${environment} ${envToken}`, usage);
    }
  }
  if (closestMatch(envToken, ctx.environments) === undefined) {
    const subcommand = closestMatch(envToken, SUBCOMMANDS);
    if (subcommand !== undefined) {
      return invalid(
        `unknown environment or sub-command ${quoteToken(envToken)}; did you mean /deploy ${subcommand}? known environments: ${formatList(ctx.environments)}`,
        DEPLOY_USAGE[subcommand],
      );
    }
  }
  return invalid(unknownNameMessage("environment", envToken, ctx.environments), usage);
}

function readStrategy(split: SplitArgs, usage: string): Strategy | undefined | InvalidCommand {
  const raw = split.flags.get("strategy");
  if (typeof raw !== "string") return undefined;
  const value = raw.toLowerCase();
  const strategy = STRATEGIES.find((s) => s === value);
  if (strategy !== undefined) return strategy;
  const guess = closestMatch(value, STRATEGIES);
  const hint = guess === undefined ? "" : ` did you mean ${guess}?`;
  return invalid(`unknown strategy ${quoteToken(raw)};${hint} allowed: ${STRATEGY_LIST}`, usage);
}

function readFlag(
  split: SplitArgs,
  strategy: Strategy | undefined,
  usage: string,
): FlagRequest | undefined | InvalidCommand {
  const name = split.flags.get("flag");
  const percentText = split.flags.get("percent");
  if (typeof name !== "string" && typeof percentText !== "string") return undefined;
  if (strategy !== undefined && strategy !== "feature-flag") {
    return invalid(
      `--flag and --percent go with the feature-flag strategy, not ${strategy}; use --strategy=feature-flag or leave --strategy out`,
      usage,
    );
  }
  if (typeof name === "string" && !FLAG_NAME.test(name)) {
    return invalid(
      `${quoteToken(name)} is not a flag name: start with a letter, then letters, digits, . _ or -, at most 64 characters, e.g. --flag=new-checkout`,
      usage,
    );
  }
  let percent: number | undefined;
  if (typeof percentText === "string") {
    const match = /^(\d{1,3})%?$/.exec(percentText);
    percent = match ? Number(match[1]) : Number.NaN;
    if (!(percent >= 0 && percent <= 100)) {
      return invalid(
        `${quoteToken(percentText)} is not a percentage; write a whole number from 0 to 100, e.g. --percent=25 (0 deploys dark with the flag off)`,
        usage,
      );
    }
  }
  return {
    ...(typeof name === "string" ? { name } : {}),
    ...(percent === undefined ? {} : { percent }),
  };
}

function parseScopedQuery(
  kind: ScopedQuery["kind"],
  tokens: readonly string[],
  ctx: GrammarContext,
): ScopedQuery | InvalidCommand {
  const usage = DEPLOY_USAGE[kind];
  const split = splitArgs(tokens, QUERY_FLAGS[kind], `/deploy ${kind}`, usage);
  const words = split.positionals;
  if (words.length > 2) return tooManyArguments(words.slice(2), usage);
  let service: string | undefined;
  let environment: string | undefined;
  for (const [index, token] of words.entries()) {
    const asService = service === undefined ? resolveName(token, ctx.services) : undefined;
    const asEnvironment = environment === undefined ? resolveName(token, ctx.environments) : undefined;
    if (asService !== undefined && (asEnvironment === undefined || index === 0)) {
      service = asService;
    } else if (asEnvironment !== undefined) {
      environment = asEnvironment;
    } else if (resolveName(token, ctx.services) !== undefined || resolveName(token, ctx.environments) !== undefined) {
      return invalid(
        `${quoteToken(token)} repeats what is already given; name at most one service and one environment`,
        usage,
      );
    } else {
      return invalid(unknownScopeMessage(token, ctx), usage);
    }
  }
  if (split.problem) return split.problem;
  const limit = readCount(split, "limit", MAX_HISTORY_LIMIT, usage);
  if (isInvalid(limit)) return limit;
  const days = readCount(split, "days", MAX_STATS_DAYS, usage);
  if (isInvalid(days)) return days;
  return {
    kind,
    ...(service === undefined ? {} : { service }),
    ...(environment === undefined ? {} : { environment }),
    ...(limit === undefined ? {} : { limit }),
    ...(days === undefined ? {} : { days }),
  };
}

/** A whole number flag from 1 to `max`, if given. */
function readCount(split: SplitArgs, name: string, max: number, usage: string): number | undefined | InvalidCommand {
  const text = split.flags.get(name);
  if (typeof text !== "string") return undefined;
  const value = /^\d{1,7}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= 1 && value <= max)) {
    return invalid(`--${name} ${quoteToken(text)} is not a whole number from 1 to ${max}, e.g. --${name} 10`, usage);
  }
  return value;
}

function parseRecord(tokens: readonly string[]): RecordQuery | InvalidCommand {
  const usage = DEPLOY_USAGE.record;
  const split = splitArgs(tokens, [], "/deploy record", usage);
  const [idToken, ...extra] = split.positionals;
  if (idToken === undefined) {
    return invalid(
      "missing deployment id: the id is on the deployment's root message, e.g. /deploy record d-7k3m9x2q",
      usage,
    );
  }
  const deploymentId = normalizeDeploymentId(idToken);
  if (deploymentId === undefined) {
    return invalid(`${quoteToken(idToken)} is not a deployment id; ids look like d-7k3m9x2q`, usage);
  }
  if (extra.length > 0) return tooManyArguments(extra, usage);
  if (split.problem) return split.problem;
  return { kind: "record", deploymentId };
}

function unknownScopeMessage(token: string, ctx: GrammarContext): string {
  const guess = closestMatch(token, [...ctx.services, ...ctx.environments]);
  const hint = guess === undefined ? "" : ` did you mean ${quoteToken(guess)}?`;
  return `unknown service or environment ${quoteToken(token)};${hint} services: ${formatList(ctx.services)}; environments: ${formatList(ctx.environments)}`;
}

function parseLock(tokens: readonly string[], ctx: GrammarContext): LockRequest | InvalidCommand {
  const usage = DEPLOY_USAGE.lock;
  const split = splitArgs(tokens, LOCK_FLAGS, "/deploy lock", usage);
  const [envToken, ...rest] = split.positionals;
  const example = `/deploy lock ${exampleEnvironment(ctx)} ${exampleService(ctx)} database migration --for 2h`;
  if (envToken === undefined) return invalid(`missing environment and reason, e.g. ${example}`, usage);
  const environment = resolveName(envToken, ctx.environments);
  if (environment === undefined) return invalid(unknownNameMessage("environment", envToken, ctx.environments), usage);
  const service = rest[0] === undefined ? undefined : resolveName(rest[0], ctx.services);
  const reasonWords = service === undefined ? rest : rest.slice(1);
  const reason = readReason(reasonWords, usage);
  if (isInvalid(reason)) return reason;
  if (reason.reason === "") {
    return invalid(`missing reason: say why ${environment} is locked so others know, e.g. ${example}`, usage);
  }
  if (split.problem) return split.problem;
  let forMs: number | undefined;
  const forText = split.flags.get("for");
  if (typeof forText === "string") {
    const duration = parseDuration(forText);
    if (!duration.ok) return invalid(`--for: ${duration.message}`, usage);
    forMs = duration.ms;
  }
  return {
    kind: "lock",
    environment,
    ...(service === undefined ? {} : { service }),
    reason: reason.reason,
    ...(forMs === undefined ? {} : { forMs }),
  };
}

function parseUnlock(tokens: readonly string[], ctx: GrammarContext): UnlockRequest | InvalidCommand {
  const usage = DEPLOY_USAGE.unlock;
  const split = splitArgs(tokens, [], "/deploy unlock", usage);
  const [envToken, serviceToken, ...extra] = split.positionals;
  if (envToken === undefined) {
    return invalid(`missing environment: say what to unlock, e.g. /deploy unlock ${exampleEnvironment(ctx)}`, usage);
  }
  const environment = resolveName(envToken, ctx.environments);
  if (environment === undefined) return invalid(unknownNameMessage("environment", envToken, ctx.environments), usage);
  let service: string | undefined;
  if (serviceToken !== undefined) {
    service = resolveName(serviceToken, ctx.services);
    if (service === undefined) return invalid(unknownNameMessage("service", serviceToken, ctx.services), usage);
  }
  if (extra.length > 0) return tooManyArguments(extra, usage);
  if (split.problem) return split.problem;
  return { kind: "unlock", environment, ...(service === undefined ? {} : { service }) };
}

/**
 * The full help for `/deploy`, `/approve` and `/rollback`: every form with a
 * one-line explanation and an example that uses the configured names. Plain
 * text with `code` spans; fits one Slack section (under 3000 characters).
 */
export function helpText(ctx: GrammarContext): string {
  const env = exampleEnvironment(ctx);
  const service = exampleService(ctx);
  const lines = [
    "*Slipway commands*",
    `\`${DEPLOY_USAGE.deploy}\``,
    `  Deploy a version. The service may be left out when there is only one. Example: \`/deploy ${env} v1.2.0 ${service} --strategy=canary\``,
    `  --strategy: ${STRATEGY_LIST}. --flag=name --percent=25: a feature-flag release flipping that flag that far (0: deploy dark). --hotfix: fast-track with intensive monitoring. --dry-run: plan and check only, change nothing. --queue: when another deployment is under way there, wait in line behind it and start by itself.`,
    "`/deploy`",
    "  With no text, opens a form to pick service, environment, version and strategy.",
    `\`${DEPLOY_USAGE.status}\``,
    `  What is deployed where and what is running now. Example: \`/deploy status ${service}\``,
    `\`${DEPLOY_USAGE.history}\``,
    `  Recent deployments with their outcome and duration. Example: \`/deploy history ${service} ${env}\``,
    `\`${DEPLOY_USAGE.stats}\``,
    `  Lead time, deployment frequency, time to restore, change failure rate and duration, with DORA levels. Example: \`/deploy stats ${service} --days 90\``,
    `\`${DEPLOY_USAGE.record}\``,
    "  One deployment's record (changes, tests, metrics, lessons learned) as markdown. Example: `/deploy record d-7k3m9x2q`",
    `\`${DEPLOY_USAGE.audit}\``,
    `  Who did what and when. Example: \`/deploy audit ${service} ${env}\``,
    `\`${DEPLOY_USAGE.lock}\``,
    `  Stop deployments until unlocked or until the time runs out. Example: \`/deploy lock ${env} ${service} database migration --for 2h\``,
    `\`${DEPLOY_USAGE.unlock}\``,
    `  Lift a lock. Example: \`/deploy unlock ${env} ${service}\``,
    `\`${APPROVE_USAGE}\``,
    "  Approve a deployment waiting for approval; the id is on the approval card. Example: `/approve d-7k3m9x2q`",
    `\`${ROLLBACK_USAGE}\``,
    `  Roll back to the previous version, or to the one given. Example: \`/rollback ${env} ${service} v1.1.9 error rate up\``,
    `\`${DEPLOY_USAGE.help}\``,
    "  This help.",
    "Versions look like v1.2.0, 1.2.0-rc1 or v2.0.0-beta.3. Durations look like 45s, 30m, 2h or 1d.",
    `Environments: ${formatList(ctx.environments)}`,
    `Services: ${formatList(ctx.services)}`,
  ];
  return lines.join("\n");
}
