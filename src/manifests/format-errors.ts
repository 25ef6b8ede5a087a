/*
 * Manifest errors written for the person editing the YAML.
 *
 * Zod's default messages name TypeScript types ("expected object, received
 * string"). `manifestErrorMap` rewrites every issue kind in YAML terms and
 * says what was found ("expected an array of strings, got a string"), lists
 * the allowed keys or values, and suggests the nearest one for a typo. It is
 * passed per parse, so a message set on a schema itself still wins.
 */
import { z } from "zod";

/** One problem in one manifest file. */
export interface ManifestError {
  /** The file relative to the manifest directory's parent, e.g. `services/web.yaml`. */
  file: string;
  /** Where in the YAML, e.g. `environments.production.stages[2].run`; empty for the whole file. */
  path: string;
  message: string;
}

/** `services/web.yaml: environments.production.stages[2].run: expected an array of strings, got a string` */
export function formatManifestError(error: ManifestError): string {
  return error.path === "" ? `${error.file}: ${error.message}` : `${error.file}: ${error.path}: ${error.message}`;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** Object keys joined with dots, array indexes in brackets: `environments.production.stages[2].run`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`;
    else {
      const key = String(segment);
      if (PLAIN_KEY.test(key)) out += out === "" ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

/** What a YAML value is, with its article: "a string", "an array", "an empty value". */
export function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "an empty value";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return Number.isInteger(value) ? "an integer" : "a number";
    case "boolean":
      return "a boolean";
    case "object":
      return "a mapping";
    default:
      return `a ${typeof value}`;
  }
}

function describeExpected(expected: string, schema: unknown): string {
  switch (expected) {
    case "array":
      if (schema instanceof z.ZodArray) {
        const element: unknown = schema.element;
        if (element instanceof z.ZodString) return "an array of strings";
        if (element instanceof z.ZodObject) return "an array of mappings";
      }
      return "an array";
    case "object":
    case "record":
      return "a mapping";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "int":
      return "a whole number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

function quoteList(values: readonly unknown[]): string {
  return values.map((v) => (typeof v === "string" ? v : String(v))).join(", ");
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0] ?? 0;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j] ?? 0;
      const left = row[j - 1] ?? 0;
      row[j] = Math.min(above + 1, left + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length] ?? 0;
}

/** The candidate a typo most likely meant, if any is close enough. */
export function closestMatch(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3));
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function didYouMean(input: unknown, candidates: readonly string[]): string {
  if (typeof input !== "string") return "";
  const match = closestMatch(input, candidates);
  return match === undefined ? "" : ` — did you mean '${match}'?`;
}

function unknownKeys(keys: readonly string[], schema: unknown): string {
  const allowed = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const named = keys.map((k) => `'${k}'`).join(", ");
  const head = keys.length === 1 ? `unknown key ${named}` : `unknown keys ${named}`;
  const list = allowed.length > 0 ? ` (allowed: ${allowed.join(", ")})` : "";
  const [only] = keys;
  const hint = keys.length === 1 && only !== undefined ? didYouMean(only, allowed) : "";
  return `${head}${list}${hint}`;
}

function sizeWord(origin: string, count: number | bigint): string {
  const n = Number(count);
  if (origin === "array") return n === 1 ? "1 item" : `${n} items`;
  return n === 1 ? "1 character" : `${n} characters`;
}

function tooSmall(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooSmall>): string {
  const { origin, minimum, inclusive } = issue;
  if ((origin === "string" || origin === "array") && Number(minimum) === 1) {
    return origin === "string" ? "must not be empty" : "must have at least 1 item";
  }
  if (origin === "string" || origin === "array") return `must have at least ${sizeWord(origin, minimum)}`;
  return inclusive === false ? `must be greater than ${minimum}` : `must be at least ${minimum}`;
}

function tooBig(issue: z.core.$ZodRawIssue<z.core.$ZodIssueTooBig>): string {
  const { origin, maximum, inclusive } = issue;
  if (origin === "string" || origin === "array") return `must have at most ${sizeWord(origin, maximum)}`;
  return inclusive === false ? `must be less than ${maximum}` : `must be at most ${maximum}`;
}

function invalidType(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidType>): string {
  if (issue.input === undefined) return "required";
  const expected = describeExpected(issue.expected, issue.inst);
  const got = describeValue(issue.input);
  const quoteHint =
    issue.expected === "string" && (typeof issue.input === "number" || typeof issue.input === "boolean")
      ? ` (quote it: "${String(issue.input)}")`
      : "";
  return `expected ${expected}, got ${got}${quoteHint}`;
}

function invalidUnion(issue: z.core.$ZodRawIssue<z.core.$ZodIssueInvalidUnion>): string {
  const discriminator = typeof issue.discriminator === "string" ? issue.discriminator : undefined;
  const options = "options" in issue && Array.isArray(issue.options) ? issue.options.map(String) : [];
  if (discriminator !== undefined) {
    const value = isMapping(issue.input) ? issue.input[discriminator] : undefined;
    if (value === undefined) return `required (one of: ${quoteList(options)})`;
    return `unknown ${discriminator} '${String(value)}' (supported: ${quoteList(options)})${didYouMean(value, options)}`;
  }
  return "does not match any of the allowed forms";
}

/**
 * Zod error map that phrases every issue for someone editing YAML. Pass it as
 * `schema.safeParse(data, { error: manifestErrorMap })`.
 */
export const manifestErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      return invalidType(issue);
    case "unrecognized_keys":
      return unknownKeys(issue.keys, issue.inst);
    case "invalid_value": {
      const options = issue.values.map(String);
      if (issue.input === undefined) return `required (one of: ${quoteList(options)})`;
      if (options.length === 1) return `expected '${options[0]}', got '${String(issue.input)}'`;
      return `expected one of: ${quoteList(options)}; got '${String(issue.input)}'${didYouMean(issue.input, options)}`;
    }
    case "invalid_union":
      return invalidUnion(issue);
    case "invalid_key":
      return issue.issues[0]?.message ?? `invalid name '${String(issue.input)}'`;
    case "too_small":
      return tooSmall(issue);
    case "too_big":
      return tooBig(issue);
    case "invalid_format":
      return issue.format === "regex" && typeof issue.pattern === "string"
        ? `'${String(issue.input)}' does not match ${issue.pattern}`
        : `'${String(issue.input)}' is not a valid ${issue.format}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "invalid_element":
      return "invalid entry";
    case "custom":
      return "invalid value";
    default:
      return undefined;
  }
};
