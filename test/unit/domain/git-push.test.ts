import type { PushEvent } from "@octokit/webhooks-types";
import { describe, expect, it } from "vitest";
import { branchNameProblem, branchOf, commitTitle, readPush } from "../../../src/domain/git-push.js";
import { checkDeployableVersion, commitBuildVersion, parseCommitBuild } from "../../../src/domain/version.js";
import { pushExample } from "../../support/github-payloads.js";

/** GitHub's example push of a branch, moved to the test's repository and branch. */
function pushOf(branch: string, change: Partial<PushEvent> = {}): PushEvent {
  return { ...pushExample("acme/web", branch), ...change };
}

describe("branchOf", () => {
  it.each([
    ["refs/heads/develop", "develop"],
    ["refs/heads/release/2.x", "release/2.x"],
    ["refs/tags/v1.2.0", undefined],
    ["refs/heads/", undefined],
    ["develop", undefined],
    ["refs/pull/12/head", undefined],
  ])("%s → %s", (ref, branch) => {
    expect(branchOf(ref)).toBe(branch);
  });
});

describe("readPush", () => {
  it("turns GitHub's example push into the commit build to deploy and the words for the thread", () => {
    const event = pushOf("develop");
    const reading = readPush(event);
    expect(reading).toEqual({
      kind: "deploy",
      version: "develop-6113728",
      push: {
        repository: "acme/web",
        branch: "develop",
        commit: "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        shortId: "6113728",
        author: "Codertocat",
        title: "Initial commit",
        compareUrl: event.compare,
      },
    });
    if (reading.kind === "deploy") expect(checkDeployableVersion(reading.version)).toEqual({ ok: true });
  });

  it("names a pusher who is not the author", () => {
    const event = pushOf("develop");
    const reading = readPush({ ...event, pusher: { name: "releasebot" } });
    expect(reading.kind === "deploy" && reading.push.pusher).toBe("releasebot");
  });

  it("keeps only the first line of the head commit's message", () => {
    const event = pushOf("develop");
    const head = event.head_commit;
    if (!head) throw new Error("the example has a head commit");
    const reading = readPush({
      ...event,
      head_commit: { ...head, message: "Fix the checkout total\n\nIt rounded twice." },
    });
    expect(reading.kind === "deploy" && reading.push.title).toBe("Fix the checkout total");
  });

  it("makes a branch with slashes a valid version", () => {
    const reading = readPush(pushOf("feature/login"));
    expect(reading.kind === "deploy" && reading.version).toBe("feature-login-6113728");
  });

  it("ignores tags and deleted branches, saying why", () => {
    expect(readPush(pushOf("develop", { ref: "refs/tags/v1.2.0" }))).toEqual({
      kind: "ignored",
      reason: "refs/tags/v1.2.0 is not a branch; Slipway deploys pushes to branches",
    });
    const deleted = readPush(
      pushOf("develop", { deleted: true, head_commit: null, after: "0000000000000000000000000000000000000000" }),
    );
    expect(deleted).toEqual({ kind: "ignored", reason: expect.stringContaining("deleted develop") });
  });
});

describe("commit builds", () => {
  it.each([
    ["develop", "1A2B3C4D5E6F", "develop-1a2b3c4"],
    ["feature/login", "abcdef0123", "feature-login-abcdef0"],
    ["Release_2.x", "abcdef0123", "Release-2.x-abcdef0"],
    ["-weird/", "abcdef0123", "weird-abcdef0"],
    ["x".repeat(80), "abcdef0123", `${"x".repeat(56)}-abcdef0`],
  ])("%s at %s is %s, a deployable version", (branch, commit, version) => {
    expect(commitBuildVersion(branch, commit)).toBe(version);
    expect(checkDeployableVersion(version)).toEqual({ ok: true });
  });

  it("reads a commit build back, and is not fooled by releases", () => {
    expect(parseCommitBuild("develop-1a2b3c4")).toEqual({
      text: "develop-1a2b3c4",
      branch: "develop",
      commit: "1a2b3c4",
    });
    expect(parseCommitBuild("1.2.0-abcdef0")).toBeUndefined();
    expect(parseCommitBuild("develop-xyz1234")).toBeUndefined();
    expect(parseCommitBuild("develop-1a2b3c")).toBeUndefined();
  });

  it("keeps refusing what is neither, with the release form as the fix", () => {
    expect(checkDeployableVersion("latest")).toEqual({
      ok: false,
      message: expect.stringContaining("is not in the form MAJOR.MINOR.PATCH"),
    });
    expect(checkDeployableVersion("develop-1a2b3c4;id")).toEqual({
      ok: false,
      message: expect.stringContaining("semicolon"),
    });
  });
});

describe("commitTitle", () => {
  it("cuts a long first line", () => {
    const title = commitTitle(`${"word ".repeat(40)}\nbody`);
    expect(title.length).toBe(120);
    expect(title.endsWith("…")).toBe(true);
  });
});

describe("branchNameProblem", () => {
  it.each(["develop", "main", "release/2.x", "feature/login-form", "v1.2"])("accepts %s", (name) => {
    expect(branchNameProblem(name)).toBeUndefined();
  });

  it.each([
    ["", "a branch name is required"],
    ["refs/heads/develop", "is a full ref; write the branch alone (develop)"],
    ["release/*", "is a pattern; patterns are not supported"],
    ["feature branch", "contains U+0020"],
    ["a..b", "not a valid git branch name"],
    ["topic~1", "contains '~'"],
    ["x:y", "contains ':'"],
    ["-x", "not a valid git branch name"],
    ["x/", "not a valid git branch name"],
    ["x.lock", "not a valid git branch name"],
    ["a/.hidden", "not a valid git branch name"],
    ["x@{1}", "not a valid git branch name"],
  ])("refuses %j: %s", (name, message) => {
    expect(branchNameProblem(name)).toContain(message);
  });
});
