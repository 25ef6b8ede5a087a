import { type PromotionDecision, promotionDecision } from "../domain/promotion.js";
import { fetchRemote, resolveVersion } from "../git/repository.js";
import type { LoadedService } from "../manifests/catalog.js";
import type { DeploymentStore } from "../store/deployment-store.js";

/** Git may take this long while a person waits for the answer to /deploy. */
const REQUEST_GIT_TIMEOUT_MS = 2_000;

/**
 * Where `version` was looked for in vain (the remote, or the clone without
 * one), or undefined when git knows it or the manifest names no repository.
 * The local clone is read first so the answer stays quick; only a version it
 * does not know yet makes Slipway fetch the remote and look again.
 */
export async function unknownVersion(service: LoadedService, version: string): Promise<string | undefined> {
  const repo = service.repository;
  if (!repo) return undefined;
  const options = { timeoutMs: REQUEST_GIT_TIMEOUT_MS };
  if (await resolveVersion(repo, version, options)) return undefined;
  if (repo.remote !== undefined) {
    await fetchRemote(repo, options);
    if (await resolveVersion(repo, version, options)) return undefined;
  }
  return repo.remote ?? repo.path;
}

/**
 * What the promotion gate says of `version` in `environment`: checked when a
 * deployment is asked for, and again when a queued or scheduled one starts
 * (the version may have failed meanwhile).
 */
export async function promotionGate(
  deps: { readonly store: DeploymentStore; readonly now: () => number },
  service: LoadedService,
  request: { readonly environment: string; readonly version: string; readonly hotfix: boolean },
): Promise<PromotionDecision> {
  const requires = service.manifest.environments[request.environment]?.requires;
  if (!requires) return { ok: true, why: "no-rule" };
  const rule = { environment: requires.environment, soakMs: requires.soak ?? 0 };
  const history = await deps.store.versionHistory(service.manifest.service, rule.environment, request.version);
  return promotionDecision(rule, history, deps.now(), request.hotfix);
}
