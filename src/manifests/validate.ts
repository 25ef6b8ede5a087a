import { formatManifestError } from "./format-errors.js";
import { loadManifests } from "./load.js";
import { rollbackWarnings } from "./rollback-readiness.js";
import { unsetWebhookSecrets } from "./webhook-secrets.js";

/** Where `validateCommand` writes; `process.stdout` or a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * `slipway validate [dir]`: prints one line per manifest error, or a one-line
 * summary of the valid services after one line per warning (an environment
 * that requires approval without a prepared and tested rollback). Resolves
 * to the process exit code: 0 when every manifest is valid, warnings or not,
 * 1 otherwise. `env` is where the webhook secrets
 * the manifests name must be set.
 */
export async function validateCommand(
  dir: string,
  out: TextSink = process.stdout,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const loaded = await loadManifests(dir);
  const { services } = loaded;
  const errors = [...loaded.errors, ...unsetWebhookSecrets(services, env)];
  if (errors.length > 0) {
    for (const error of errors) out.write(`${formatManifestError(error)}\n`);
    const files = new Set(errors.map((error) => error.file)).size;
    out.write(
      `✗ ${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}\n`,
    );
    return 1;
  }
  for (const warning of rollbackWarnings(services.values())) out.write(`⚠ ${formatManifestError(warning)}\n`);
  const names = [...services.keys()].sort();
  out.write(`✓ ${names.length} ${names.length === 1 ? "service" : "services"} valid: ${names.join(", ")}\n`);
  return 0;
}
