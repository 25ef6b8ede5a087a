import { describe, expect, it } from "vitest";
import { findWhatChanged } from "../../src/engine/what-changed.js";
import { createLogger } from "../../src/logger.js";
import { cleanupAfterEach } from "../support/cleanups.js";
import { gitFixture } from "../support/git-repo.js";

/*
 * What a deployment brings, found in a real git repository (a bare remote
 * and Slipway's clone of it): the commits since the live version, where the
 * lead time starts, and what is said when git cannot tell.
 */

const cleanups = cleanupAfterEach();
const log = createLogger("silent");
const signal = new AbortController().signal;

async function fixture() {
  const git = await gitFixture();
  cleanups.push(() => git.remove());
  await git.commit("feat: first page (TASK-1)");
  await git.tag("v1.0.0");
  const before = Date.now();
  await git.commit("feat: search (TASK-41)", "Ada Lovelace");
  await git.commit("fix: empty results crash\n\nFixes DEF-7", "Grace Hopper");
  await git.tag("v1.1.0");
  return { git, before, repo: { path: git.slipwayClone, remote: git.remote } };
}

describe("what a deployment brings", () => {
  it("lists the commits since the live version, fetched from the remote, and dates the first one", async () => {
    const { repo, before } = await fixture();
    const what = await findWhatChanged(repo, { version: "v1.1.0", previousVersion: "v1.0.0" }, signal, log);
    expect(what?.since).toBe("v1.0.0");
    expect(what?.total).toBe(2);
    expect(what?.changes.map((c) => [c.kind, c.subject, c.author, c.ids])).toEqual([
      ["feature", "search (TASK-41)", "Ada Lovelace", ["TASK-41"]],
      ["fix", "empty results crash", "Grace Hopper", ["DEF-7"]],
    ]);
    // Author times are whole seconds: the first commit after v1.0.0 was made at or after `before`, to the second.
    expect(what?.firstCommitAt).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(what?.firstCommitAt).toBeLessThanOrEqual(Date.now());
  });

  it("without a live version git knows, lists the version's latest commits and starts no lead time", async () => {
    const { repo } = await fixture();
    for (const previousVersion of [undefined, "v0.9.0-before-git"]) {
      const what = await findWhatChanged(
        repo,
        { version: "v1.1.0", ...(previousVersion ? { previousVersion } : {}) },
        signal,
        log,
      );
      expect(what).toMatchObject({ total: 4 });
      expect(what?.since).toBeUndefined();
      expect(what?.firstCommitAt).toBeUndefined();
    }
  });

  it("says why when git cannot list them, and lists nothing for a /rollback or without a repository", async () => {
    const { repo, git } = await fixture();
    expect(await findWhatChanged(repo, { version: "v9.9.9", previousVersion: "v1.0.0" }, signal, log)).toMatchObject({
      total: 0,
      problem: `v9.9.9 is not a tag or commit in ${git.remote}`,
    });
    const gone = await findWhatChanged({ path: `${git.root}/missing` }, { version: "v1.1.0" }, signal, log);
    expect(gone?.problem).toMatch(/^git rev-parse failed: /);
    expect(await findWhatChanged(repo, { version: "v1.0.0", rollbackOf: "v1.1.0" }, signal, log)).toBeUndefined();
    expect(await findWhatChanged(undefined, { version: "v1.1.0" }, signal, log)).toBeUndefined();
  });
});
