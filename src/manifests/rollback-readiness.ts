import { DEFAULT_ON_FAILURE, type FailurePolicy, type RollbackGap } from "../domain/on-failure.js";
import type { ManifestError } from "./format-errors.js";
import { type LoadedManifest, shownFile } from "./load.js";
import type { ServiceManifest } from "./schema.js";

/*
 * The seed's production rollback is "prepared and tested": the target can
 * roll back, and a stage verifies it before anything is deployed. An
 * environment whose deployments wait for approval is expected to have both;
 * `slipway validate` warns when one is missing, and the approval card says
 * so, since approving is then approving a change without a tested way back.
 */

/** What the way back of `environment` lacks: the target's rollback action, a verifyRollback stage. */
export function rollbackGaps(manifest: ServiceManifest, environment: string): RollbackGap[] {
  const stages = manifest.environments[environment]?.stages ?? [];
  const target = manifest.target;
  const canRollBack =
    target.type === "http" ? target.actions.includes("rollback") : target.actions.rollback !== undefined;
  return [
    ...(canRollBack ? [] : ["rollback-action" as const]),
    ...(stages.some((stage) => stage.action === "verifyRollback") ? [] : ["verify-rollback-stage" as const]),
  ];
}

/** An environment's rollback policy as a deployment carries it. */
export function failurePolicyOf(manifest: ServiceManifest, environment: string): FailurePolicy {
  return {
    onFailure: manifest.environments[environment]?.onFailure ?? DEFAULT_ON_FAILURE,
    gaps: rollbackGaps(manifest, environment),
  };
}

const GAP_WORDS: Readonly<Record<RollbackGap, string>> = {
  "rollback-action":
    "the target has no rollback action, so Slipway cannot roll a failure back; add target.actions.rollback",
  "verify-rollback-stage":
    "no stage verifies the rollback before deploying; add a stage with action: verifyRollback (and target.actions.verifyRollback)",
};

/** `slipway validate`'s warnings: an environment that requires approval but whose way back is not prepared and tested. */
export function rollbackWarnings(services: Iterable<LoadedManifest>): ManifestError[] {
  const warnings: ManifestError[] = [];
  for (const loaded of services) {
    for (const [name, environment] of Object.entries(loaded.manifest.environments)) {
      if (!environment.approval.required) continue;
      for (const gap of rollbackGaps(loaded.manifest, name)) {
        warnings.push({
          file: shownFile(loaded),
          path: `environments.${name}`,
          message: `requires approval, but its rollback is not prepared and tested: ${GAP_WORDS[gap]}`,
        });
      }
    }
  }
  return warnings;
}
