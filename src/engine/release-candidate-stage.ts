import type { Deployment } from "../domain/deployment.js";
import { coerceError } from "../errors.js";
import { fetchRemote, resolveVersion, tagReleaseCandidate } from "../git/repository.js";
import type { Logger } from "../logger.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { CommandResult } from "../targets/run-command.js";

/**
 * A `tag: release-candidate` stage: the version's commit gets the next
 * `vX.Y.Z-rcN` in the service's repository, pushed to its remote. A stage
 * run again (a retried job, a crash) finds the tag its deployment made.
 */
export async function runReleaseCandidateStage(
  service: LoadedService,
  deployment: Deployment,
  timeoutMs: number,
  signal: AbortSignal,
  log: Logger,
): Promise<CommandResult> {
  const started = performance.now();
  const result = (ok: boolean, outputTail: string): CommandResult => ({
    ok,
    exitCode: ok ? 0 : null,
    outputTail,
    durationMs: Math.round(performance.now() - started),
    timedOut: false,
    aborted: signal.aborted,
  });
  const repo = service.repository;
  if (!repo) return result(false, `${deployment.service} names no repository to tag`);
  const options = { signal, timeoutMs };
  try {
    await fetchRemote(repo, options);
    const resolved = await resolveVersion(repo, deployment.version, options);
    if (!resolved) return result(false, `${deployment.version} is not a tag or commit in ${repo.path}`);
    const tag = await tagReleaseCandidate(
      repo,
      {
        version: deployment.version,
        sha: resolved.sha,
        deploymentId: deployment.id,
        message: `Release candidate of ${deployment.version} for ${deployment.environment}`,
      },
      options,
    );
    log.info({ tag: tag.name, created: tag.created }, "release candidate tagged");
    const pushed = repo.remote === undefined ? "" : `, pushed to ${repo.remote}`;
    return result(
      true,
      `${tag.created ? "tagged" : "already tagged"} ${tag.name} at ${resolved.sha.slice(0, 12)}${pushed}`,
    );
  } catch (error) {
    return result(false, coerceError(error).message);
  }
}
