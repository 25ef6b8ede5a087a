import { formatManifestError } from "./format-errors.js";
import { loadManifests } from "./load.js";

/** Where `validateCommand` writes; `process.stdout` or a test's collector. */
export interface TextSink {
  write(text: string): unknown;
}

/**
 * `slipway validate [dir]`: prints one line per manifest error, or a one-line
 * summary of the valid services. Resolves to the process exit code: 0 when
 * every manifest is valid, 1 otherwise.
 */
export async function validateCommand(dir: string, out: TextSink = process.stdout): Promise<number> {
  const { services, errors } = await loadManifests(dir);
  if (errors.length > 0) {
    for (const error of errors) out.write(`${formatManifestError(error)}\n`);
    const files = new Set(errors.map((error) => error.file)).size;
    out.write(
      `✗ ${errors.length} ${errors.length === 1 ? "error" : "errors"} in ${files} ${files === 1 ? "file" : "files"}\n`,
    );
    return 1;
  }
  const names = [...services.keys()].sort();
  out.write(`✓ ${names.length} ${names.length === 1 ? "service" : "services"} valid: ${names.join(", ")}\n`);
  return 0;
}
