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
