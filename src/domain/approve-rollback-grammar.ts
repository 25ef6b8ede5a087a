/*
 * Grammars of `/approve <deployment-id>` and
 * `/rollback <environment> [service] [version] [reason...] [--restore]`.
 *
 * In `/rollback` the words after the environment are read in order: a known
 * service, then anything shaped like a version (`v…` or `N.N…`, which must
 * then be a valid version, so a mistyped version is refused rather than taken
 * as the reason), and the rest is the reason.
 */

import {
  checkLength,
  type GrammarContext,
  type InvalidCommand,
  invalid,
  isInvalid,
  readReason,
  resolveName,
  splitArgs,
  tokenize,
  tooManyArguments,
  unknownNameMessage,
} from "./command-tokens.js";
import { DEPLOYMENT_ID_EXAMPLE, normalizeDeploymentId } from "./ids.js";
import { quoteToken } from "./safe-text.js";
import { checkDeployableVersion, parseCommitBuild } from "./version.js";

export const APPROVE_USAGE = "/approve <deployment-id>";
export const ROLLBACK_USAGE = "/rollback <environment> [service] [version] [reason...] [--restore]";

export interface ApproveRequest {
  readonly kind: "approve";
  /** Canonical lowercase id, e.g. `d-7k3m9x2q`. */
  readonly deploymentId: string;
}

export type ApproveCommand = ApproveRequest | { readonly kind: "help" } | InvalidCommand;

export interface RollbackRequest {
  readonly kind: "rollback";
  readonly environment: string;
  /** Left out when not given; the caller picks the only service or asks. */
  readonly service?: string;
  /** Target version as typed; left out to mean "the previous good version". */
  readonly version?: string;
  /** Free text without control characters, at most 200 characters; escape it when rendering. */
  readonly reason?: string;
  /** `--restore`: after the way back, restore the backup the rolled-back deployment took. */
  readonly restore?: true;
}

export type RollbackCommand = RollbackRequest | { readonly kind: "help" } | InvalidCommand;

const HELP_WORDS: readonly string[] = ["help", "--help", "-h", "?"];

/** Parses the text after `/approve`. */
export function parseApproveCommand(text: string): ApproveCommand {
  const tooLong = checkLength(text, APPROVE_USAGE);
  if (tooLong) return tooLong;
  const [first, ...extra] = tokenize(text);
  if (first === undefined) {
    return invalid(
      `missing deployment id: say which deployment to approve, e.g. /approve ${DEPLOYMENT_ID_EXAMPLE} (the id is on the approval card)`,
      APPROVE_USAGE,
    );
  }
  if (HELP_WORDS.includes(first.toLowerCase())) return { kind: "help" };
  const deploymentId = normalizeDeploymentId(first);
  if (deploymentId === undefined) {
    return invalid(
      `${quoteToken(first)} is not a deployment id; ids look like ${DEPLOYMENT_ID_EXAMPLE} and are shown on the approval card`,
      APPROVE_USAGE,
    );
  }
  if (extra.length > 0) return tooManyArguments(extra, APPROVE_USAGE);
  return { kind: "approve", deploymentId };
}

/** A word the user meant as a version: starts with `v` and a digit, or with `N.N`; or a commit build. */
function looksLikeVersion(token: string): boolean {
  return /^v\d/i.test(token) || /^\d+\.\d/.test(token) || parseCommitBuild(token) !== undefined;
}

/** Parses the text after `/rollback`. */
export function parseRollbackCommand(text: string, ctx: GrammarContext): RollbackCommand {
  const usage = ROLLBACK_USAGE;
  const tooLong = checkLength(text, usage);
  if (tooLong) return tooLong;
  const tokens = tokenize(text);
  const [first] = tokens;
  if (first !== undefined && HELP_WORDS.includes(first.toLowerCase())) return { kind: "help" };
  const split = splitArgs(tokens, [{ name: "restore", takesValue: false }], "/rollback", usage);
  const words = split.positionals;
  const [envToken] = words;
  if (envToken === undefined) {
    return invalid(
      `missing environment: say where to roll back, e.g. /rollback ${resolveName("production", ctx.environments) ?? ctx.environments[0] ?? "production"}`,
      usage,
    );
  }
  const environment = resolveName(envToken, ctx.environments);
  if (environment === undefined) return invalid(unknownNameMessage("environment", envToken, ctx.environments), usage);
  let index = 1;
  const serviceToken = words[index];
  const service = serviceToken === undefined ? undefined : resolveName(serviceToken, ctx.services);
  if (service !== undefined) index += 1;
  let version: string | undefined;
  const versionToken = words[index];
  if (versionToken !== undefined && looksLikeVersion(versionToken)) {
    const parsed = checkDeployableVersion(versionToken);
    if (!parsed.ok) return invalid(parsed.message, usage);
    version = versionToken;
    index += 1;
  }
  const reasonWords = words.slice(index);
  const misplaced = reasonWords[0] === undefined ? undefined : resolveName(reasonWords[0], ctx.services);
  if (service === undefined && version !== undefined && misplaced !== undefined) {
    return invalid(`the service comes before the version: /rollback ${environment} ${misplaced} ${version}`, usage);
  }
  if (split.problem) return split.problem;
  const reason = readReason(reasonWords, usage);
  if (isInvalid(reason)) return reason;
  if (split.flags.has("restore") && version !== undefined) {
    return invalid(
      `--restore takes back the latest deployment, whose backup it restores, to the version before it; leave out ${version}: /rollback ${environment}${service === undefined ? "" : ` ${service}`} --restore`,
      usage,
    );
  }
  return {
    kind: "rollback",
    environment,
    ...(service === undefined ? {} : { service }),
    ...(version === undefined ? {} : { version }),
    ...(reason.reason === "" ? {} : { reason: reason.reason }),
    ...(split.flags.has("restore") ? { restore: true as const } : {}),
  };
}
