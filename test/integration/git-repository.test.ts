import { describe, expect, it } from "vitest";
import { describeCommit } from "../../src/domain/changes.js";
import {
  commitsBetween,
  fetchRemote,
  resolveVersion,
  tagReleaseCandidate,
  tagsStartingWith,
} from "../../src/git/repository.js";
import { GitError } from "../../src/git/run-git.js";
import { cleanupAfterEach } from "../support/cleanups.js";
import { gitFixture } from "../support/git-repo.js";

const cleanups = cleanupAfterEach();

async function fixture() {
  const git = await gitFixture();
  cleanups.push(() => git.remove());
  return git;
}

describe("git repository", () => {
  it("resolves a version by tag once fetched from the remote, and knows nothing of a made-up one", async () => {
    const git = await fixture();
    const sha = await git.commit("feat: first feature");
    await git.tag("v1.0.0");
    const repo = { path: git.slipwayClone, remote: git.remote };
    expect(await resolveVersion({ path: git.slipwayClone }, "v1.0.0")).toBeUndefined();
    await fetchRemote(repo);
    expect(await resolveVersion(repo, "v1.0.0")).toEqual({ kind: "tag", sha });
    expect(await resolveVersion(repo, sha.slice(0, 10))).toEqual({ kind: "commit", sha });
    expect(await resolveVersion(repo, `main-${sha.slice(0, 7)}`)).toEqual({ kind: "commit", sha });
    expect(await resolveVersion(repo, "v9.9.9")).toBeUndefined();
    expect(await resolveVersion(repo, "--help")).toBeUndefined();
  });

  it("fails with a GitError, not a silent undefined, when the path is no repository", async () => {
    const git = await fixture();
    await expect(resolveVersion({ path: `${git.root}/nowhere` }, "v1.0.0")).rejects.toBeInstanceOf(GitError);
  });

  it("lists the commits between two versions, newest first, with authors and bodies", async () => {
    const git = await fixture();
    await git.tag("v1.0.0");
    await git.commit("feat(api): add search\n\nImplements TASK-41.", "Ada Lovelace");
    await git.commit("fix: empty results crash (DEF-7)", "Grace Hopper");
    await git.commit("chore: bump deps");
    await git.tag("v1.1.0");
    const repo = { path: git.slipwayClone, remote: git.remote };
    await fetchRemote(repo);
    const commits = await commitsBetween(repo, "v1.0.0", "v1.1.0");
    // Author times, to the second: where a release's lead time starts.
    expect(commits.every((c) => c.at % 1000 === 0 && c.at > Date.now() - 600_000 && c.at <= Date.now())).toBe(true);
    const changes = commits.map(describeCommit);
    expect(changes.map((c) => [c.kind, c.subject, c.author, c.ids])).toEqual([
      ["other", "bump deps", "Test Runner", []],
      ["fix", "empty results crash (DEF-7)", "Grace Hopper", ["DEF-7"]],
      ["feature", "add search", "Ada Lovelace", ["TASK-41"]],
    ]);
    expect(changes.every((c) => /^[0-9a-f]{40}$/.test(c.sha))).toBe(true);
    expect(await commitsBetween(repo, undefined, "v1.0.0")).toHaveLength(1);
  });

  it("tags v1.3.0-rc1 then rc2, pushes them, and a repeated attempt finds its own tag", async () => {
    const git = await fixture();
    const sha = await git.commit("feat: release me");
    await git.tag("v1.3.0");
    const repo = { path: git.slipwayClone, remote: git.remote };
    await fetchRemote(repo);
    const input = { version: "v1.3.0", sha, message: "Release candidate for staging" };
    expect(await tagReleaseCandidate(repo, { ...input, deploymentId: "d1" })).toEqual({
      name: "v1.3.0-rc1",
      created: true,
    });
    expect(await tagReleaseCandidate(repo, { ...input, deploymentId: "d1" })).toEqual({
      name: "v1.3.0-rc1",
      created: false,
    });
    expect(await tagReleaseCandidate(repo, { ...input, deploymentId: "d2" })).toEqual({
      name: "v1.3.0-rc2",
      created: true,
    });
    const onRemote = await tagsStartingWith({ path: git.remote }, "v1.3.0-rc");
    expect(onRemote.map((t) => t.name)).toEqual(["v1.3.0-rc1", "v1.3.0-rc2"]);
    expect(onRemote[0]?.message).toContain("Slipway deployment: d1");
    expect(await git.git(git.remote, "cat-file", "-t", "v1.3.0-rc1")).toBe("tag");
    expect(await git.git(git.remote, "rev-parse", "v1.3.0-rc2^{commit}")).toBe(sha);
  });

  it("counts candidates another clone pushed: the next number is after the remote's highest", async () => {
    const git = await fixture();
    const sha = await git.commit("feat: x");
    await git.tag("v2.0.0");
    await git.git(git.clone, "tag", "-a", "-m", "by hand", "v2.0.0-rc1");
    await git.git(git.clone, "push", "--quiet", "origin", "refs/tags/v2.0.0-rc1");
    const repo = { path: git.slipwayClone, remote: git.remote };
    const tagged = await tagReleaseCandidate(repo, { version: "v2.0.0", sha, message: "rc", deploymentId: "d9" });
    expect(tagged).toEqual({ name: "v2.0.0-rc2", created: true });
  });
});
