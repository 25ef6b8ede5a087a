/*
 * Deploy on push: which branches a manifest may name, and what a GitHub push
 * event means for Slipway — the branch it moved, the version to deploy (the
 * pushed commit as a commit build, `develop-1a2b3c4`) and the words the
 * thread shows about it (short id, author, first line, compare link).
 *
 * The event's types are GitHub's own, from `@octokit/webhooks-types`; only
 * the fields read here are required, so a test or a GitHub Enterprise server
 * sending fewer fields still reads the same.
 */
import type { Commit, Committer, PushEvent, Repository } from "@octokit/webhooks-types";
import { commitBuildVersion, SHORT_COMMIT_LENGTH } from "./version.js";

/** The fields of a push event Slipway reads. */
export type PushFields = Pick<PushEvent, "ref" | "after" | "deleted" | "compare"> & {
  readonly head_commit:
    | (Pick<Commit, "id" | "message"> & { readonly author: Pick<Committer, "name" | "username"> })
    | null;
  readonly repository: Pick<Repository, "full_name">;
  readonly pusher: Pick<Committer, "name">;
};

/** What a push deploys and how the thread tells of it. Stored on the deployment it requests. */
export interface PushedCommit {
  /** `owner/name`, as GitHub spells it. */
  readonly repository: string;
  readonly branch: string;
  /** The full id of the pushed head commit. */
  readonly commit: string;
  readonly shortId: string;
  /** The commit author's GitHub login, or their name when GitHub gives none. */
  readonly author: string;
  /** Who pushed, when it is someone else than the author. */
  readonly pusher?: string;
  /** The first line of the head commit's message. */
  readonly title: string;
  /** GitHub's page of the changes this push brought. */
  readonly compareUrl: string;
}

export type PushReading =
  | { readonly kind: "deploy"; readonly version: string; readonly push: PushedCommit }
  | { readonly kind: "ignored"; readonly reason: string };

const BRANCH_PREFIX = "refs/heads/";
const MAX_TITLE_LENGTH = 120;
const ZERO_COMMIT = /^0+$/;

/** The branch a ref names (`refs/heads/develop` → `develop`), or undefined for tags and other refs. */
export function branchOf(ref: string): string | undefined {
  return ref.startsWith(BRANCH_PREFIX) && ref.length > BRANCH_PREFIX.length
    ? ref.slice(BRANCH_PREFIX.length)
    : undefined;
}

/** The first line of a commit message, cut to fit a thread line. */
export function commitTitle(message: string): string {
  const first = (message.split(/\r?\n/, 1)[0] ?? "").trim();
  return first.length <= MAX_TITLE_LENGTH ? first : `${first.slice(0, MAX_TITLE_LENGTH - 1)}…`;
}

/**
 * Reads a push: a new head commit on a branch deploys it; a tag, a deleted
 * branch or a push without a head commit is ignored, and the reason says so.
 */
export function readPush(event: PushFields): PushReading {
  const branch = branchOf(event.ref);
  if (branch === undefined) {
    return { kind: "ignored", reason: `${event.ref} is not a branch; Slipway deploys pushes to branches` };
  }
  const head = event.head_commit;
  if (event.deleted || head === null || ZERO_COMMIT.test(event.after)) {
    return { kind: "ignored", reason: `the push deleted ${branch} or brought no commit; nothing to deploy` };
  }
  const author = head.author.username ?? head.author.name;
  const pusher = event.pusher.name;
  return {
    kind: "deploy",
    version: commitBuildVersion(branch, head.id),
    push: {
      repository: event.repository.full_name,
      branch,
      commit: head.id,
      shortId: head.id.slice(0, SHORT_COMMIT_LENGTH),
      author,
      ...(pusher !== author && pusher !== head.author.name ? { pusher } : {}),
      title: commitTitle(head.message),
      compareUrl: event.compare,
    },
  };
}

/**
 * Why a branch name may not be named in a manifest, or undefined when it may:
 * git's own rules for ref names (`git check-ref-format`), written as the
 * branch alone, without `refs/heads/` and without patterns.
 */
export function branchNameProblem(name: string): string | undefined {
  const fix = "name one branch as git shows it, e.g. develop or release/2.x";
  if (name.length === 0) return `a branch name is required; ${fix}`;
  if (name.startsWith("refs/")) {
    return `'${name}' is a full ref; write the branch alone (${branchOf(name) ?? name.replace(/^refs\/[^/]*\/?/, "")})`;
  }
  if (/[*?[]/.test(name)) return `'${name}' is a pattern; patterns are not supported, ${fix}`;
  const bad = [...name].find((char) => char <= " " || char === "\u007f" || "~^:\\".includes(char));
  if (bad !== undefined) {
    const shown =
      bad <= " " || bad === "\u007f"
        ? `U+${bad.codePointAt(0)?.toString(16).toUpperCase().padStart(4, "0")}`
        : `'${bad}'`;
    return `'${name}' contains ${shown}, which git does not allow in a branch name; ${fix}`;
  }
  if (
    name.startsWith("-") ||
    name.startsWith("/") ||
    name.endsWith("/") ||
    name.endsWith(".") ||
    name.includes("..") ||
    name.includes("//") ||
    name.includes("@{") ||
    name === "@" ||
    name.split("/").some((part) => part.startsWith(".") || part.endsWith(".lock"))
  ) {
    return `'${name}' is not a valid git branch name (see git check-ref-format); ${fix}`;
  }
  return undefined;
}

/** `owner/name` as GitHub allows them. */
export const REPOSITORY_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
