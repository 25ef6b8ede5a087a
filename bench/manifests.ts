import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** `bench-0042`: the service name of the index-th generated manifest. */
export function benchServiceName(index: number): string {
  return `bench-${String(index).padStart(4, "0")}`;
}

/**
 * Writes `count` service manifests (`bench-0000.yaml`, …) into a fresh temp
 * directory: one `development` environment with `stageCount` stages, each an
 * `action: deploy` stage of a command target. Returns the directory.
 */
export async function writeBenchManifests(count: number, stageCount: number, label: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `slipway-bench-${label}-`));
  const stages = Array.from(
    { length: stageCount },
    (_, i) => `      - name: ${stageCount === 1 ? "deploy" : `step-${i + 1}`}\n        action: deploy\n`,
  ).join("");
  const names = Array.from({ length: count }, (_, i) => benchServiceName(i));
  for (let start = 0; start < names.length; start += 100) {
    await Promise.all(
      names.slice(start, start + 100).map((name) =>
        writeFile(
          join(dir, `${name}.yaml`),
          `service: ${name}
channels: { deploy: C0BENCH }
target:
  type: command
  actions: { deploy: [node, -e, "0"] }
environments:
  development:
    stages:
${stages}`,
        ),
      ),
    );
  }
  return dir;
}
