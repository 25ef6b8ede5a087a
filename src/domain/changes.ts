/*
 * What changed between two versions, from their commits: each commit is
 * sorted into features, fixes or other by its conventional-commit prefix
 * (`feat:`, `fix(api)!:`), and the task and defect ids its message mentions
 * (`TASK-12`, `DEF-7`) are picked out, so the approval card and the record
 * can say "Feature: … (TASK-12)" the way the seed's deployment record does.
 *
 * Slack caps a message's size, so a long release is trimmed: features first,
 * then fixes, then the rest, and what did not fit is counted, never hidden.
 */

export const CHANGE_KINDS = ["feature", "fix", "other"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

/** A commit as git gives it. */
export interface RawCommit {
  readonly sha: string;
  readonly author: string;
  /** When it was authored, epoch milliseconds. */
  readonly at: number;
  readonly subject: string;
  readonly body: string;
}

/** A commit as a change of the release. */
export interface Change {
  readonly sha: string;
  /** The subject line without its conventional-commit prefix (the kind says what it was). */
  readonly subject: string;
  readonly author: string;
  readonly kind: ChangeKind;
  /** Task and defect ids named in the message, in order of first mention. */
  readonly ids: readonly string[];
}

const CONVENTIONAL = /^([A-Za-z]+)(?:\([^)]*\))?!?:\s*(.*)$/;

const KIND_OF_TYPE: Readonly<Record<string, ChangeKind>> = {
  feat: "feature",
  feature: "feature",
  fix: "fix",
  bugfix: "fix",
  hotfix: "fix",
};

/** Ids like `TASK-12`, `DEF-7`, `PAY-1203`: capitals (and digits), a dash, a number. */
const ID = /\b[A-Z][A-Z0-9]{1,15}-\d{1,9}\b/g;

export function describeCommit(commit: RawCommit): Change {
  const match = CONVENTIONAL.exec(commit.subject.trim());
  const kind = match ? (KIND_OF_TYPE[(match[1] ?? "").toLowerCase()] ?? "other") : "other";
  const subject = match && (match[2] ?? "") !== "" ? (match[2] ?? "") : commit.subject.trim();
  const ids = [...new Set(`${commit.subject}\n${commit.body}`.match(ID) ?? [])];
  return { sha: commit.sha, subject, author: commit.author, kind, ids };
}

export interface ChangeGroup {
  readonly kind: ChangeKind;
  readonly changes: readonly Change[];
}

/** The changes in groups, features then fixes then other, each in git's order (newest first); empty groups left out. */
export function groupChanges(changes: readonly Change[]): ChangeGroup[] {
  return CHANGE_KINDS.map((kind) => ({ kind, changes: changes.filter((c) => c.kind === kind) })).filter(
    (group) => group.changes.length > 0,
  );
}

export interface ChangeBudget {
  /** At most this many changes shown. */
  readonly maxChanges: number;
  /** At most this many characters, as measured by `length`. */
  readonly maxChars: number;
  /** How many characters a change takes once drawn. */
  readonly length: (change: Change) => number;
}

export interface TrimmedChanges {
  readonly groups: readonly ChangeGroup[];
  /** Changes that did not fit, by kind. */
  readonly omitted: Readonly<Record<ChangeKind, number>>;
  readonly total: number;
}

/**
 * The groups cut to fit the budget: changes are taken features first, then
 * fixes, then other, until the next one would not fit; the rest are counted.
 */
export function trimChanges(changes: readonly Change[], budget: ChangeBudget): TrimmedChanges {
  const omitted: Record<ChangeKind, number> = { feature: 0, fix: 0, other: 0 };
  let shown = 0;
  let chars = 0;
  let full = false;
  const groups: ChangeGroup[] = [];
  for (const group of groupChanges(changes)) {
    const kept: Change[] = [];
    for (const change of group.changes) {
      const size = budget.length(change);
      if (!full && shown < budget.maxChanges && chars + size <= budget.maxChars) {
        kept.push(change);
        shown += 1;
        chars += size;
      } else {
        full = true;
        omitted[group.kind] += 1;
      }
    }
    if (kept.length > 0) groups.push({ kind: group.kind, changes: kept });
  }
  return { groups, omitted, total: changes.length };
}

/** At most this many changes are kept with a deployment (and its record); the rest are counted by kind. */
export const KEPT_CHANGES = 100;

/**
 * What a deployment brings: the commits between the version live in its
 * environment and the new one, worked out once when the deployment starts
 * and kept with it, so that every message and the record say the same and
 * no renderer runs git.
 */
export interface WhatChanged {
  /** The version live before, where the commits start; undefined when nothing was live (the version's latest commits). */
  readonly since?: string;
  /** How many commits the range holds. */
  readonly total: number;
  /** The changes kept, at most KEPT_CHANGES: features first, then fixes, then the rest. */
  readonly changes: readonly Change[];
  /** By kind, the changes of the range that were not kept. */
  readonly notKept: Readonly<Record<ChangeKind, number>>;
  /** When the earliest commit after `since` was authored: where the change's lead time starts. */
  readonly firstCommitAt?: number;
  /** Why the commits could not be listed (git failed), in git's words. */
  readonly problem?: string;
}

/** The changes of `commits` (git's order, newest first), going from `since` to the new version. */
export function whatChanged(commits: readonly RawCommit[], since: string | undefined): WhatChanged {
  const all = commits.map(describeCommit);
  const kept = trimChanges(all, { maxChanges: KEPT_CHANGES, maxChars: Number.POSITIVE_INFINITY, length: () => 0 });
  const first = commits.reduce<number | undefined>(
    (min, c) => (min === undefined || c.at < min ? c.at : min),
    undefined,
  );
  return {
    ...(since === undefined ? {} : { since }),
    total: all.length,
    changes: kept.groups.flatMap((g) => g.changes),
    notKept: kept.omitted,
    ...(since === undefined || first === undefined ? {} : { firstCommitAt: first }),
  };
}

/** The kept changes cut to `budget`; `omitted` counts those left out here and those never kept. */
export function fitWhatChanged(what: WhatChanged, budget: ChangeBudget): TrimmedChanges {
  const trimmed = trimChanges(what.changes, budget);
  const omitted = { ...trimmed.omitted };
  for (const kind of CHANGE_KINDS) omitted[kind] += what.notKept[kind];
  return { groups: trimmed.groups, omitted, total: what.total };
}
