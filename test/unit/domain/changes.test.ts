import { describe, expect, it } from "vitest";
import {
  type Change,
  describeCommit,
  fitWhatChanged,
  groupChanges,
  KEPT_CHANGES,
  type RawCommit,
  trimChanges,
  whatChanged,
} from "../../../src/domain/changes.js";

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

function raw(subject: string, body = "", author = "Ada", at = T0): RawCommit {
  return { sha: `${subject.length}`.padStart(40, "0"), author, at, subject, body };
}

function commit(subject: string, body = "", author = "Ada"): Change {
  return describeCommit(raw(subject, body, author));
}

describe("describeCommit", () => {
  it.each([
    ["feat: add login", "feature", "add login"],
    ["feat(api): add login", "feature", "add login"],
    ["feat!: drop v1 API", "feature", "drop v1 API"],
    ["fix: null check", "fix", "null check"],
    ["Fix(db)!: lost writes", "fix", "lost writes"],
    ["chore: bump deps", "other", "bump deps"],
    ["docs: readme", "other", "readme"],
    ["Update the readme", "other", "Update the readme"],
    ["fix:", "fix", "fix:"],
  ])("%s is a %s", (subject, kind, text) => {
    const change = commit(subject);
    expect(change.kind).toBe(kind);
    expect(change.subject).toBe(text);
  });

  it("picks task and defect ids out of the subject and body, once each, in order", () => {
    const change = commit(
      "fix: session expiry (DEF-12)",
      "Closes DEF-12.\nPart of TASK-7 and PAY-1203; not a-1 or X-.",
    );
    expect(change.ids).toEqual(["DEF-12", "TASK-7", "PAY-1203"]);
  });

  it("keeps the author and sha", () => {
    const change = describeCommit({
      sha: "a".repeat(40),
      author: "Grace Hopper",
      at: T0,
      subject: "feat: x",
      body: "",
    });
    expect(change).toMatchObject({ sha: "a".repeat(40), author: "Grace Hopper" });
  });
});

describe("groupChanges", () => {
  it("groups features, then fixes, then other, keeping git's order inside each and leaving out empty groups", () => {
    const changes = [commit("chore: a"), commit("feat: b"), commit("fix: c"), commit("feat: d")];
    expect(groupChanges(changes).map((g) => [g.kind, g.changes.map((c) => c.subject)])).toEqual([
      ["feature", ["b", "d"]],
      ["fix", ["c"]],
      ["other", ["a"]],
    ]);
    expect(groupChanges([commit("fix: only")]).map((g) => g.kind)).toEqual(["fix"]);
  });
});

describe("trimChanges", () => {
  const changes = [
    ...Array.from({ length: 5 }, (_, i) => commit(`feat: feature ${i}`)),
    ...Array.from({ length: 5 }, (_, i) => commit(`fix: fix ${i}`)),
    ...Array.from({ length: 5 }, (_, i) => commit(`chore: chore ${i}`)),
  ];
  const length = (c: Change) => c.subject.length + 10;

  it("shows everything when it fits", () => {
    const trimmed = trimChanges(changes, { maxChanges: 50, maxChars: 10_000, length });
    expect(trimmed.groups.flatMap((g) => g.changes)).toHaveLength(15);
    expect(trimmed.omitted).toEqual({ feature: 0, fix: 0, other: 0 });
    expect(trimmed.total).toBe(15);
  });

  it("keeps features and fixes before other changes and counts what it left out", () => {
    const trimmed = trimChanges(changes, { maxChanges: 7, maxChars: 10_000, length });
    expect(trimmed.groups.map((g) => [g.kind, g.changes.length])).toEqual([
      ["feature", 5],
      ["fix", 2],
    ]);
    expect(trimmed.omitted).toEqual({ feature: 0, fix: 3, other: 5 });
  });

  it("stops at the character budget: nothing after the first change that does not fit", () => {
    const long = [commit(`feat: ${"x".repeat(500)}`), commit("feat: short"), commit("fix: short")];
    const trimmed = trimChanges(long, { maxChanges: 10, maxChars: 100, length });
    expect(trimmed.groups).toEqual([]);
    expect(trimmed.omitted).toEqual({ feature: 2, fix: 1, other: 0 });
  });

  it("fits Slack's section limit however many commits a release has", () => {
    const many = Array.from({ length: 2_000 }, (_, i) => commit(`feat: change number ${i} ${"y".repeat(i % 90)}`));
    const trimmed = trimChanges(many, { maxChanges: 40, maxChars: 2_800, length });
    const used = trimmed.groups.flatMap((g) => g.changes).reduce((sum, c) => sum + length(c), 0);
    expect(used).toBeLessThanOrEqual(2_800);
    expect(trimmed.groups.flatMap((g) => g.changes).length + trimmed.omitted.feature).toBe(2_000);
  });
});

describe("whatChanged", () => {
  it("keeps the changes features first, counts by kind what it did not keep, and dates the first commit", () => {
    const commits = [
      ...Array.from({ length: 80 }, (_, i) => raw(`chore: tidy ${i}`, "", "Bo", T0 + (i + 100) * 1000)),
      ...Array.from({ length: 30 }, (_, i) => raw(`fix: bug ${i} (DEF-${i})`, "", "Cy", T0 + (i + 10) * 1000)),
      ...Array.from({ length: 10 }, (_, i) => raw(`feat: thing ${i}`, "TASK-1", "Ada", T0 + i * 1000)),
    ];
    const what = whatChanged(commits, "v1.1.0");
    expect(what.since).toBe("v1.1.0");
    expect(what.total).toBe(120);
    expect(what.changes).toHaveLength(KEPT_CHANGES);
    expect(what.changes.slice(0, 10).every((c) => c.kind === "feature")).toBe(true);
    expect(what.notKept).toEqual({ feature: 0, fix: 0, other: 20 });
    expect(what.firstCommitAt).toBe(T0);
  });

  it("gives no lead-time start without a version live before (the list is then only the latest commits)", () => {
    const what = whatChanged([raw("feat: a")], undefined);
    expect(what.since).toBeUndefined();
    expect(what.firstCommitAt).toBeUndefined();
    expect(whatChanged([], "v1.0.0")).toEqual({
      since: "v1.0.0",
      total: 0,
      changes: [],
      notKept: { feature: 0, fix: 0, other: 0 },
    });
  });

  it("fitting a budget counts both the changes cut now and those never kept", () => {
    const commits = [
      ...Array.from({ length: 120 }, (_, i) => raw(`chore: tidy ${i}`)),
      ...Array.from({ length: 5 }, (_, i) => raw(`feat: thing ${i}`)),
    ];
    const fitted = fitWhatChanged(whatChanged(commits, "v1.0.0"), {
      maxChanges: 8,
      maxChars: 10_000,
      length: (c) => c.subject.length,
    });
    expect(fitted.groups.map((g) => [g.kind, g.changes.length])).toEqual([
      ["feature", 5],
      ["other", 3],
    ]);
    expect(fitted.omitted).toEqual({ feature: 0, fix: 0, other: 117 });
    expect(fitted.total).toBe(125);
  });
});
