import { describe, expect, it } from "vitest";
import { type Change, describeCommit, groupChanges, trimChanges } from "../../../src/domain/changes.js";

function commit(subject: string, body = "", author = "Ada"): Change {
  return describeCommit({ sha: `${subject.length}`.padStart(40, "0"), author, subject, body });
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
    const change = describeCommit({ sha: "a".repeat(40), author: "Grace Hopper", subject: "feat: x", body: "" });
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
