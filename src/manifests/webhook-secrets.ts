import type { ManifestError } from "./format-errors.js";
import { type LoadedManifest, shownFile } from "./load.js";

/**
 * Each push trigger whose webhook secret variable is not set in `env`, as a
 * manifest error: Slipway cannot check that trigger's pushes, so it would
 * refuse every one of them.
 */
export function unsetWebhookSecrets(
  services: ReadonlyMap<string, LoadedManifest>,
  env: Readonly<Record<string, string | undefined>>,
): ManifestError[] {
  const errors: ManifestError[] = [];
  for (const loaded of services.values()) {
    for (const [environment, config] of Object.entries(loaded.manifest.environments)) {
      const push = config.push;
      if (push === undefined || env[push.secretEnv]) continue;
      errors.push({
        file: shownFile(loaded),
        path: `environments.${environment}.push.secretEnv`,
        message: `${push.secretEnv} is not set; set it to the secret of ${push.repository}'s webhook (Settings → Webhooks → Secret), or Slipway refuses its pushes`,
      });
    }
  }
  return errors;
}
