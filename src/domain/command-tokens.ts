/*
 * Pieces shared by the slash-command parsers: splitting Slack's command text
 * into words, telling flags from words, matching names from the manifests,
 * and building refusals that are safe to show in Slack.
 */

import { closestMatch } from "./near-miss.js";
import { decodeSlackEntities, quoteToken, stripInvisible } from "./safe-text.js";

export const MAX_COMMAND_LENGTH = 1000;
export const MAX_REASON_LENGTH = 200;
/** Names shown in a "known: …" list before it is cut short. */
const MAX_LISTED_NAMES = 15;

/** Names known across all manifests; the parsers check words against them. */
export interface GrammarContext {
  readonly environments: readonly string[];
  readonly services: readonly string[];
}

/**
 * A refusal. `message` says what was wrong and is safe to echo (user text in
 * it is quoted, cut to 40 characters, and free of control characters and
 * angle brackets); `usage` is the correct form of the command that was meant.
 */
export interface InvalidCommand {
  readonly kind: "invalid";
  readonly message: string;
  readonly usage: string;
}

export function invalid(message: string, usage: string): InvalidCommand {
  return { kind: "invalid", message, usage };
}

export function isInvalid(value: unknown): value is InvalidCommand {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "invalid";
}

/** Refusal for text longer than Slack users plausibly type, or undefined when the length is fine. */
export function checkLength(text: string, usage: string): InvalidCommand | undefined {
  if (text.length <= MAX_COMMAND_LENGTH) return undefined;
  return invalid(
    `the command text is ${text.length} characters long; at most ${MAX_COMMAND_LENGTH} are allowed`,
    usage,
  );
}

/** Decodes Slack's `&amp;` `&lt;` `&gt;`, then splits on any run of whitespace (including newlines and Unicode spaces). */
export function tokenize(text: string): string[] {
  return decodeSlackEntities(text)
    .split(/\s+/u)
    .filter((word) => word.length > 0);
}

/** `--name`, `-x`, or `—name` (an editor's auto-corrected `--`): a dash run directly followed by a letter. */
const FLAG_START = /^(?:--?|[\u2013\u2014])(?=\p{L})/u;

export function looksLikeFlag(token: string): boolean {
  return FLAG_START.test(token);
}

export interface FlagSpec {
  readonly name: string;
  readonly takesValue: boolean;
  /** What the value must be, for the "needs a value" refusal, e.g. "a duration, e.g. --for 2h". */
  readonly needs?: string;
}

export interface SplitArgs {
  readonly positionals: string[];
  /** Flags that were given; value flags map to their value, switches to `true`. */
  readonly flags: ReadonlyMap<string, string | true>;
  /**
   * The first thing wrong with the flags, if any. Callers check the
   * positional words first, so a bad version is reported before a stray flag.
   */
  readonly problem?: InvalidCommand;
}

function listFlags(flags: readonly FlagSpec[]): string {
  const names = flags.map((f) => `--${f.name}`);
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1] ?? ""}`;
}

function flagProblem(
  token: string,
  name: string,
  inlineValue: string | undefined,
  spec: FlagSpec | undefined,
  given: ReadonlyMap<string, string | true>,
  flags: readonly FlagSpec[],
  command: string,
): string | undefined {
  if (spec === undefined) {
    if (flags.length === 0) return `unknown flag ${quoteToken(token)}; ${command} takes no flags`;
    const guess = closestMatch(
      name,
      flags.map((f) => f.name),
    );
    const hint = guess === undefined ? "" : ` did you mean --${guess}?`;
    return `unknown flag ${quoteToken(token)};${hint} ${command} accepts ${listFlags(flags)}`;
  }
  if (given.has(spec.name)) return `--${spec.name} is given more than once; give it once`;
  if (!spec.takesValue && inlineValue !== undefined) {
    return `--${spec.name} takes no value; write just --${spec.name}`;
  }
  return undefined;
}

/**
 * Separates flags from positional words, left to right, noting the first
 * unknown or repeated flag, value on a switch, or value flag without a
 * value. A value flag takes `--name=value` or `--name value`.
 *
 * @param command how the command is written in messages, e.g. "/deploy lock"
 */
export function splitArgs(
  tokens: readonly string[],
  flags: readonly FlagSpec[],
  command: string,
  usage: string,
): SplitArgs {
  const positionals: string[] = [];
  const given = new Map<string, string | true>();
  let problem: string | undefined;
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i] ?? "";
    if (!looksLikeFlag(token)) {
      positionals.push(token);
      continue;
    }
    const body = token.replace(/^(?:--?|[\u2013\u2014])/u, "");
    const equals = body.indexOf("=");
    const name = (equals === -1 ? body : body.slice(0, equals)).toLowerCase();
    let value = equals === -1 ? undefined : body.slice(equals + 1);
    const spec = flags.find((f) => f.name === name);
    if (spec?.takesValue && value === undefined) {
      const next = tokens[i + 1];
      if (next !== undefined && !looksLikeFlag(next)) {
        value = next;
        i += 1;
      }
    }
    const wrong = flagProblem(token, name, value, spec, given, flags, command);
    if (wrong !== undefined) {
      problem ??= wrong;
      continue;
    }
    if (spec === undefined) continue;
    if (!spec.takesValue) {
      given.set(spec.name, true);
    } else if (value === undefined || value === "") {
      problem ??= `--${spec.name} needs a value: ${spec.needs ?? "a value"}`;
    } else {
      given.set(spec.name, value);
    }
  }
  return { positionals, flags: given, ...(problem === undefined ? {} : { problem: invalid(problem, usage) }) };
}

/** Lists longer than this are looked up through an index instead of scanned (a catalog of many services). */
const SCANNED_NAMES = 32;

interface NameIndex {
  readonly exact: ReadonlySet<string>;
  /** Lower-cased name → the one name spelt so; null when several are. */
  readonly lower: ReadonlyMap<string, string | null>;
}

/** One index per list: the catalog hands out the same arrays for as long as it lives. */
const indexes = new WeakMap<readonly string[], NameIndex>();

function indexOf(names: readonly string[]): NameIndex {
  const known = indexes.get(names);
  if (known) return known;
  const lower = new Map<string, string | null>();
  for (const name of names) {
    const key = name.toLowerCase();
    lower.set(key, lower.has(key) ? null : name);
  }
  const index = { exact: new Set(names), lower };
  indexes.set(names, index);
  return index;
}

/** The canonical spelling of `token` among `names`: an exact match, else the only case-insensitive one. */
export function resolveName(token: string, names: readonly string[]): string | undefined {
  if (names.length > SCANNED_NAMES) {
    const index = indexOf(names);
    return index.exact.has(token) ? token : (index.lower.get(token.toLowerCase()) ?? undefined);
  }
  if (names.includes(token)) return token;
  const lower = token.toLowerCase();
  const matches = names.filter((n) => n.toLowerCase() === lower);
  return matches.length === 1 ? matches[0] : undefined;
}

/** "a, b and 3 more" — names from the manifests, cut short when there are many; "none defined" when empty. */
export function formatList(names: readonly string[]): string {
  if (names.length === 0) return "none defined";
  const shown = names.slice(0, MAX_LISTED_NAMES).join(", ");
  const rest = names.length - MAX_LISTED_NAMES;
  return rest > 0 ? `${shown} and ${rest} more` : shown;
}

function plural(kind: string): string {
  return kind.endsWith("s") ? kind : `${kind}s`;
}

/** "unknown environment 'prod'; did you mean 'production'? known: development, staging, production" */
export function unknownNameMessage(kind: "environment" | "service", token: string, names: readonly string[]): string {
  const head = `unknown ${kind} ${quoteToken(token)}`;
  if (names.length === 0) return `${head}; no ${plural(kind)} are defined in the manifests`;
  const guess = closestMatch(token, names);
  const hint = guess === undefined ? "" : ` did you mean ${quoteToken(guess)}?`;
  return `${head};${hint} known: ${formatList(names)}`;
}

/** Refusal for positional words beyond what the command takes. */
export function tooManyArguments(extra: readonly string[], usage: string): InvalidCommand {
  const first = extra[0] ?? "";
  const more = extra.length > 1 ? ` (and ${extra.length - 1} more)` : "";
  return invalid(`too many arguments: ${quoteToken(first)}${more} is not expected here`, usage);
}

export type ReasonResult = { ok: true; reason: string } | InvalidCommand;

/** Joins the words of a free-text reason, drops invisible characters, and refuses an overlong one. */
export function readReason(words: readonly string[], usage: string): ReasonResult {
  const reason = stripInvisible(words.join(" ")).replace(/\s+/gu, " ").trim();
  const length = Array.from(reason).length;
  if (length > MAX_REASON_LENGTH) {
    return invalid(`the reason is ${length} characters long; keep it to ${MAX_REASON_LENGTH} or fewer`, usage);
  }
  return { ok: true, reason };
}
