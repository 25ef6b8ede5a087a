import { existsSync, readdirSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./slipway-process.js";

/*
 * A target action whose length the test decides: it runs through the
 * example target's ledger (`once` of examples/lib/example.mjs, keyed by
 * SLIPWAY_IDEMPOTENCY_KEY), and inside the work it marks that it has
 * started (`inside-<key>-<pid>` in the example state directory) and then
 * waits until the test creates `release-<key>`. Its ledger entry carries
 * the pid of the process that did the work, its output names that pid.
 */

const SCRIPT = (exampleLib: string) => `import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { context, once, stateDir } from ${JSON.stringify(exampleLib)};

const ctx = context();
const action = process.env.SLIPWAY_ACTION ?? "deploy";
const key = (ctx.idempotencyKey ?? "none").replace(/[^A-Za-z0-9-]/g, "_");
console.log(\`\${action} \${ctx.service} \${ctx.version} (pid \${process.pid})\`);
await once(action, async () => {
  writeFileSync(join(stateDir(), \`inside-\${key}-\${process.pid}\`), "");
  while (!existsSync(join(stateDir(), \`release-\${key}\`))) await sleep(25);
  console.log(\`released: \${action} done by pid \${process.pid}\`);
  return { pid: process.pid };
});
`;

/** Writes the gated action script into `dir`; returns its path (for a manifest's argv). */
export async function writeGatedAction(dir: string): Promise<string> {
  const file = join(dir, "gated-action.mjs");
  await writeFile(file, SCRIPT(pathToFileURL(join(ROOT, "examples", "lib", "example.mjs")).href));
  return file;
}

/** The file-name form of an idempotency key, as the script writes it. */
export function gateKey(idempotencyKey: string): string {
  return idempotencyKey.replace(/[^A-Za-z0-9-]/g, "_");
}

/** Pids of the processes that are (or were) inside the work for `idempotencyKey`. */
export function insidePids(stateDir: string, idempotencyKey: string): number[] {
  const prefix = `inside-${gateKey(idempotencyKey)}-`;
  return readdirSync(stateDir)
    .filter((name) => name.startsWith(prefix))
    .map((name) => Number(name.slice(prefix.length)));
}

/** Lets every process waiting on `idempotencyKey` finish its work. */
export async function release(stateDir: string, idempotencyKey: string): Promise<void> {
  await writeFile(join(stateDir, `release-${gateKey(idempotencyKey)}`), "");
}

export function released(stateDir: string, idempotencyKey: string): boolean {
  return existsSync(join(stateDir, `release-${gateKey(idempotencyKey)}`));
}
