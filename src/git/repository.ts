/*
 * The service's git repository, read and tagged through the git CLI with
 * argv arrays only. Versions come from Slack, so every ref is passed after
 * `--end-of-options` or inside a full ref name: a version can never become an
 * option. With a remote, Slipway fetches branches and tags before reading
 * (the clone may lag behind) and pushes the tags it makes.
 */
import type { RawCommit } from "../domain/changes.js";
import { candidateMarker, candidatePrefix, type ExistingTag, nextCandidate } from "../domain/release-candidate.js";
import { parseCommitBuild } from "../domain/version.js";
import { GitError, type GitOptions, runGit } from "./run-git.js";

export interface RepositoryConfig {
  /** Absolute path of a local clone (or bare repository). */
  readonly path: string;
  /** A remote name of the clone or a URL: fetched before reading, and tags are pushed to it. */
  readonly remote?: string;
}

export type ResolvedVersion = { readonly kind: "tag" | "commit"; readonly sha: string };

/** Git's field and record separators in formats: characters no commit message holds. */
const FIELD = "\x1f";
const RECORD = "\x1e";

/** When nothing is live yet, the changes listed are at most this many of the version's history. */
export const FIRST_RELEASE_COMMITS = 50;

/** The identity Slipway's tags carry, whatever the clone's configuration says. */
const TAGGER = ["-c", "user.name=Slipway", "-c", "user.email=slipway@localhost"];

/** Brings branches and tags from the remote, when there is one. */
export async function fetchRemote(repo: RepositoryConfig, options: GitOptions = {}): Promise<void> {
  if (repo.remote === undefined) return;
  await runGit(
    repo.path,
    [
      "fetch",
      "--quiet",
      "--force",
      "--no-write-fetch-head",
      "--end-of-options",
      repo.remote,
      "+refs/heads/*:refs/remotes/slipway/*",
      "+refs/tags/*:refs/tags/*",
    ],
    options,
  );
}

async function commitOf(repo: RepositoryConfig, rev: string, options: GitOptions): Promise<string | undefined> {
  try {
    const sha = await runGit(
      repo.path,
      ["rev-parse", "--verify", "--quiet", "--end-of-options", `${rev}^{commit}`],
      options,
    );
    return sha.trim() || undefined;
  } catch (error) {
    // rev-parse --verify --quiet exits 1, silently, for a name it does not know; anything else is a real failure.
    if (error instanceof GitError && error.exitCode === 1) return undefined;
    throw error;
  }
}

/**
 * The commit a version names: a tag first (`refs/tags/<version>`), else the
 * commit of a commit build (`develop-1a2b3c4`), else any commit-ish;
 * undefined when git knows none of these.
 */
export async function resolveVersion(
  repo: RepositoryConfig,
  version: string,
  options: GitOptions = {},
): Promise<ResolvedVersion | undefined> {
  const tagged = await commitOf(repo, `refs/tags/${version}`, options);
  if (tagged) return { kind: "tag", sha: tagged };
  const commit = await commitOf(repo, parseCommitBuild(version)?.commit ?? version, options);
  return commit ? { kind: "commit", sha: commit } : undefined;
}

/**
 * The commits in `to` that are not in `from`, newest first, merges left out
 * (their branches' commits are listed). Without `from` (nothing live yet),
 * the latest FIRST_RELEASE_COMMITS of `to`'s history.
 */
export async function commitsBetween(
  repo: RepositoryConfig,
  from: string | undefined,
  to: string,
  options: GitOptions = {},
): Promise<RawCommit[]> {
  const [limit, range] = from === undefined ? [[`--max-count=${FIRST_RELEASE_COMMITS}`], to] : [[], `${from}..${to}`];
  const out = await runGit(
    repo.path,
    [
      "log",
      "--no-merges",
      ...limit,
      `--format=%H${FIELD}%an${FIELD}%at${FIELD}%s${FIELD}%b${RECORD}`,
      "--end-of-options",
      range,
      "--",
    ],
    options,
  );
  return out
    .split(RECORD)
    .map((record) => record.replace(/^\n/, ""))
    .filter((record) => record.length > 0)
    .map((record) => {
      const [sha = "", author = "", seconds = "0", subject = "", body = ""] = record.split(FIELD);
      return { sha, author, at: Number(seconds) * 1000, subject, body: body.trim() };
    });
}

/** Tags whose name starts with `prefix`, with their messages. */
export async function tagsStartingWith(
  repo: RepositoryConfig,
  prefix: string,
  options: GitOptions = {},
): Promise<ExistingTag[]> {
  const out = await runGit(
    repo.path,
    ["for-each-ref", `--format=%(refname:strip=2)${FIELD}%(contents)${RECORD}`, `refs/tags/${prefix}*`],
    options,
  );
  return out
    .split(RECORD)
    .map((record) => record.replace(/^\n/, ""))
    .filter((record) => record.length > 0)
    .map((record) => {
      const [name = "", message = ""] = record.split(FIELD);
      return { name, message };
    });
}

export interface CandidateTag {
  readonly name: string;
  /** False when an earlier attempt of the same deployment had made it already. */
  readonly created: boolean;
}

/**
 * Marks the version's commit with the next release candidate tag (annotated,
 * `message` followed by the line naming the deployment) and pushes it to the remote. A repeated
 * attempt finds the tag it made before, pushes it again in case the first
 * push was lost, and makes no other.
 */
export async function tagReleaseCandidate(
  repo: RepositoryConfig,
  input: { readonly version: string; readonly sha: string; readonly deploymentId: string; readonly message: string },
  options: GitOptions = {},
): Promise<CandidateTag> {
  await fetchRemote(repo, options);
  const prefix = candidatePrefix(input.version);
  const decision = nextCandidate(input.version, input.deploymentId, await tagsStartingWith(repo, prefix, options));
  if (decision.kind === "create") {
    await runGit(
      repo.path,
      [
        ...TAGGER,
        "tag",
        "--annotate",
        `--message=${input.message}\n\n${candidateMarker(input.deploymentId)}`,
        "--end-of-options",
        decision.name,
        input.sha,
      ],
      options,
    );
  }
  if (repo.remote !== undefined) {
    await runGit(
      repo.path,
      ["push", "--quiet", "--end-of-options", repo.remote, `refs/tags/${decision.name}:refs/tags/${decision.name}`],
      options,
    );
  }
  return { name: decision.name, created: decision.kind === "create" };
}
