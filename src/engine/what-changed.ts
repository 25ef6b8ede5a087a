import { type WhatChanged, whatChanged } from "../domain/changes.js";
import type { Deployment } from "../domain/deployment.js";
import { commitsBetween, fetchRemote, type RepositoryConfig, resolveVersion } from "../git/repository.js";
import { GitError } from "../git/run-git.js";
import type { Logger } from "../logger.js";

/*
 * What a deployment brings, from the service's git repository: the commits
 * between the version live in its environment (the one a rollback would
 * return to) and the new one. Run once, in the worker, when the deployment
 * starts; the result is kept on the deployment, so the approval card, the
 * thread and the record read it and never run git themselves.
 */

/**
 * The commits `d` brings in `repo` (the service's), or undefined when the
 * manifest names no repository (or for a /rollback, which brings nothing new). A git failure
 * is kept as the problem, in git's words, rather than failing the deployment.
 */
export async function findWhatChanged(
  repo: RepositoryConfig | undefined,
  d: Pick<Deployment, "version" | "previousVersion" | "rollbackOf">,
  signal: AbortSignal,
  log: Logger,
): Promise<WhatChanged | undefined> {
  if (!repo || d.rollbackOf) return undefined;
  const options = { signal };
  try {
    await fetchRemote(repo, options);
    const to = await resolveVersion(repo, d.version, options);
    if (!to) return problem(`${d.version} is not a tag or commit in ${repo.remote ?? repo.path}`);
    // A live version git does not know (deployed before the repository was named) gives no range to list.
    const from = d.previousVersion === undefined ? undefined : await resolveVersion(repo, d.previousVersion, options);
    const since = from ? d.previousVersion : undefined;
    return whatChanged(await commitsBetween(repo, from?.sha, to.sha, options), since);
  } catch (error) {
    if (!(error instanceof GitError)) throw error;
    log.warn({ err: error, version: d.version }, "could not list the commits of the deployment");
    return problem(error.message);
  }
}

function problem(words: string): WhatChanged {
  return { total: 0, changes: [], notKept: { feature: 0, fix: 0, other: 0 }, problem: words };
}
