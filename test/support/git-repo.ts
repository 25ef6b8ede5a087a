import { execFile } from "node:child_process";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const exec = promisify(execFile);

/**
 * A real git repository in a temp directory, cloned from a bare one that
 * stands in for the team's remote: commits are made in `clone` and pushed,
 * so Slipway's own clone (`slipwayClone`) sees them only by fetching.
 */
export interface GitFixture {
  readonly root: string;
  /** The bare repository: the remote. */
  readonly remote: string;
  /** Where the "developers" commit. */
  readonly clone: string;
  /** The clone Slipway reads and tags (its manifest's repository.path). */
  readonly slipwayClone: string;
  git(repo: string, ...args: string[]): Promise<string>;
  /** Commits a file change with this message (subject, blank line, body) as `author`, and pushes it. */
  commit(message: string, author?: string): Promise<string>;
  /** Tags the latest commit (lightweight) and pushes the tag. */
  tag(name: string): Promise<void>;
  remove(): Promise<void>;
}

const IDENTITY = ["-c", "user.name=Test Runner", "-c", "user.email=test@localhost", "-c", "init.defaultBranch=main"];

export async function gitFixture(): Promise<GitFixture> {
  const root = await mkdtemp(join(tmpdir(), "slipway-git-"));
  const remote = join(root, "remote.git");
  const clone = join(root, "dev");
  const slipwayClone = join(root, "slipway");
  const git = async (repo: string, ...args: string[]) =>
    (await exec("git", ["-C", repo, ...IDENTITY, ...args], { encoding: "utf8" })).stdout.trim();
  await mkdir(remote);
  await git(remote, "init", "--quiet", "--bare");
  await exec("git", [...IDENTITY, "clone", "--quiet", remote, clone]);
  let counter = 0;
  const fixture: GitFixture = {
    root,
    remote,
    clone,
    slipwayClone,
    git,
    async commit(message, author = "Test Runner") {
      counter += 1;
      await writeFile(join(clone, "CHANGES"), `${counter}\n`, { flag: "a" });
      await git(clone, "add", "CHANGES");
      await git(clone, "-c", `user.name=${author}`, "commit", "--quiet", "-m", message);
      await git(clone, "push", "--quiet", "origin", "HEAD:refs/heads/main");
      return git(clone, "rev-parse", "HEAD");
    },
    async tag(name) {
      await git(clone, "tag", name);
      await git(clone, "push", "--quiet", "origin", `refs/tags/${name}`);
    },
    remove: () => rm(root, { recursive: true, force: true }),
  };
  await fixture.commit("chore: start");
  await exec("git", [...IDENTITY, "clone", "--quiet", remote, slipwayClone]);
  return fixture;
}
