/*
 * Release versions as people type them: semver with an optional leading `v`;
 * and commit builds, the versions deploy-on-push names: the branch and the
 * pushed commit's short id, `develop-1a2b3c4`.
 *
 * A version travels from Slack to a deploy target's environment variables,
 * so the accepted alphabet is tiny (ASCII letters, digits, `.`, `-`, `+`) and
 * checked before anything else; every refusal names the first bad character
 * or part and shows a correct example.
 */

import { describeChar, quoteToken } from "./safe-text.js";

export const MAX_VERSION_LENGTH = 64;
export const VERSION_EXAMPLES = "e.g. v1.2.0, 1.2.0-rc1 or v2.0.0-beta.3";

export interface Version {
  /** The version exactly as given, e.g. `v1.2.0-rc1`. */
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** Dot-separated pre-release identifiers: `1.2.0-beta.3` → `["beta", "3"]`. */
  readonly prerelease: readonly string[];
  /** Dot-separated build metadata; ignored for precedence. */
  readonly build: readonly string[];
}

export type VersionResult = { ok: true; version: Version } | { ok: false; message: string };

export class InvalidVersionError extends Error {
  readonly code = "invalid_version";
  constructor(message: string) {
    super(message);
    this.name = "InvalidVersionError";
  }
}

const ALLOWED_CHAR = /^[0-9A-Za-z.+-]$/;
const SHAPE = /^(v?)([0-9]+)\.([0-9]+)\.([0-9]+)(?:-([0-9A-Za-z.-]*))?(?:\+([0-9A-Za-z.-]*))?$/;
const NUMERIC = /^[0-9]+$/;

function refuse(message: string): VersionResult {
  return { ok: false, message };
}

function checkNumber(text: string, label: string, shown: string): string | undefined {
  if (text.length > 1 && text.startsWith("0")) {
    return `version ${shown} has a leading zero in its ${label} number '${text}'; write numbers without leading zeros, ${VERSION_EXAMPLES}`;
  }
  if (!Number.isSafeInteger(Number(text))) {
    return `version ${shown} has a ${label} number that is too large; ${VERSION_EXAMPLES}`;
  }
  return undefined;
}

function checkIdentifiers(text: string, label: "pre-release" | "build", shown: string): string | undefined {
  const marker = label === "pre-release" ? "-" : "+";
  for (const id of text.split(".")) {
    if (id === "") {
      return `version ${shown} has an empty ${label} part; after '${marker}' write dot-separated words or numbers, ${VERSION_EXAMPLES}`;
    }
    if (label === "pre-release" && NUMERIC.test(id) && id.length > 1 && id.startsWith("0")) {
      return `version ${shown} has a leading zero in its pre-release number '${id}'; write it without leading zeros, ${VERSION_EXAMPLES}`;
    }
  }
  return undefined;
}

/** Parses a semver-like release tag: `v1.2.0`, `1.2.0-rc1`, `v2.0.0-beta.3+build.7`. */
export function parseVersion(text: string): VersionResult {
  if (text.length === 0) return refuse(`a version is required, ${VERSION_EXAMPLES}`);
  const length = Array.from(text).length;
  if (length > MAX_VERSION_LENGTH) {
    return refuse(
      `version ${quoteToken(text)} is ${length} characters long; at most ${MAX_VERSION_LENGTH} are allowed, ${VERSION_EXAMPLES}`,
    );
  }
  const shown = quoteToken(text);
  for (const char of text) {
    if (!ALLOWED_CHAR.test(char)) {
      return refuse(
        `version ${shown} contains ${describeChar(char)}, which is not allowed; use only letters, digits, '.', '-' and '+', ${VERSION_EXAMPLES}`,
      );
    }
  }
  const match = SHAPE.exec(text);
  if (!match) {
    return refuse(
      `version ${shown} is not in the form MAJOR.MINOR.PATCH with an optional 'v' in front, ${VERSION_EXAMPLES}`,
    );
  }
  const [, , major = "", minor = "", patch = "", prerelease, build] = match;
  const problem =
    checkNumber(major, "major", shown) ??
    checkNumber(minor, "minor", shown) ??
    checkNumber(patch, "patch", shown) ??
    (prerelease === undefined ? undefined : checkIdentifiers(prerelease, "pre-release", shown)) ??
    (build === undefined ? undefined : checkIdentifiers(build, "build", shown));
  if (problem !== undefined) return refuse(problem);
  return {
    ok: true,
    version: {
      text,
      major: Number(major),
      minor: Number(minor),
      patch: Number(patch),
      prerelease: prerelease === undefined ? [] : prerelease.split("."),
      build: build === undefined ? [] : build.split("."),
    },
  };
}

export function isValidVersion(text: string): boolean {
  return parseVersion(text).ok;
}

/** A build of one commit of a branch, as a push deploys it: `develop-1a2b3c4`. */
export interface CommitBuild {
  readonly text: string;
  /** The branch with every character outside the version alphabet made a `-`: `feature/x` → `feature-x`. */
  readonly branch: string;
  /** The commit's id as written: 7 to 40 lowercase hex digits. */
  readonly commit: string;
}

/** Characters of a commit id kept in a commit build's version, as `git log --oneline` shows it. */
export const SHORT_COMMIT_LENGTH = 7;
const COMMIT_BUILD = /^([A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)-([0-9a-f]{7,40})$/;

/** A commit build's parts, or undefined when the text is not one. */
export function parseCommitBuild(text: string): CommitBuild | undefined {
  if (text.length > MAX_VERSION_LENGTH || parseVersion(text).ok) return undefined;
  const match = COMMIT_BUILD.exec(text);
  if (!match) return undefined;
  const [, branch = "", commit = ""] = match;
  return { text, branch, commit };
}

/** The version of a pushed commit: `commitBuildVersion("feature/login", "1a2b3c4d…")` → `feature-login-1a2b3c4`. */
export function commitBuildVersion(branch: string, commitId: string): string {
  const commit = commitId.slice(0, SHORT_COMMIT_LENGTH).toLowerCase();
  const room = MAX_VERSION_LENGTH - commit.length - 1;
  const safe = branch
    .replace(/[^A-Za-z0-9.-]+/g, "-")
    .slice(0, room)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, "");
  return `${safe === "" ? "commit" : safe}-${commit}`;
}

/**
 * Whether Slipway may deploy this text as a version: a release tag, or a
 * commit build. A refusal explains the release form, which people type.
 */
export function checkDeployableVersion(text: string): { ok: true } | { ok: false; message: string } {
  const release = parseVersion(text);
  if (release.ok || parseCommitBuild(text) !== undefined) return { ok: true };
  return release;
}

function toVersion(value: Version | string): Version {
  if (typeof value !== "string") return value;
  const result = parseVersion(value);
  if (!result.ok) throw new InvalidVersionError(result.message);
  return result.version;
}

function sign(n: number): -1 | 0 | 1 {
  return n < 0 ? -1 : n > 0 ? 1 : 0;
}

function compareIdentifiers(a: string, b: string): -1 | 0 | 1 {
  const aNumeric = NUMERIC.test(a);
  const bNumeric = NUMERIC.test(b);
  if (aNumeric && bNumeric) return sign(Number(a) - Number(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Semver precedence: -1 when `a` is older than `b`, 1 when newer, 0 when
 * equal. The `v` prefix and build metadata do not count; a pre-release is
 * older than its release (`1.2.0-rc1` < `1.2.0`). Strings are parsed first and
 * throw InvalidVersionError when they are not versions.
 */
export function compareVersions(a: Version | string, b: Version | string): -1 | 0 | 1 {
  const x = toVersion(a);
  const y = toVersion(b);
  const core = sign(x.major - y.major) || sign(x.minor - y.minor) || sign(x.patch - y.patch);
  if (core !== 0) return core;
  if (x.prerelease.length === 0 && y.prerelease.length === 0) return 0;
  if (x.prerelease.length === 0) return 1;
  if (y.prerelease.length === 0) return -1;
  const shared = Math.min(x.prerelease.length, y.prerelease.length);
  for (let i = 0; i < shared; i += 1) {
    const order = compareIdentifiers(x.prerelease[i] ?? "", y.prerelease[i] ?? "");
    if (order !== 0) return order;
  }
  return sign(x.prerelease.length - y.prerelease.length);
}
