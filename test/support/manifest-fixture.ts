import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Writes YAML manifests into a fresh temp directory and returns its path. */
export async function manifestDir(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-manifests-"));
  await Promise.all(Object.entries(files).map(([name, text]) => writeFile(join(dir, name), text)));
  return dir;
}

/** A command stage that appends its stage name to the file in $COUNT_FILE, so tests can count runs. */
export function countingStage(name: string, extra = ""): string {
  return `      - name: ${name}
        run: [node, -e, "require('node:fs').appendFileSync(process.env.COUNT_FILE, process.env.SLIPWAY_STAGE + '\\\\n')${extra}"]
`;
}
