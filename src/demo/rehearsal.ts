import { readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parse, stringify } from "yaml";
import { DEFAULT_CANARY_STEPS } from "../domain/stage-plan.js";
import type { LoadedManifest } from "../manifests/load.js";

/*
 * A dry run rehearses the user's own manifests before any target exists:
 * each manifest is copied with its target replaced by a command target whose
 * every action, like every `run` stage, is `would-call.js`, a logged no-op
 * that succeeds. Checklists, approvals, permissions and windows stay as
 * written: they are what is being rehearsed. Nothing is measured (metrics
 * and monitoring are left out, so holds are plain waits) and no hold lasts
 * longer than a second, so a canary walks through in seconds.
 */

const WOULD_CALL = fileURLToPath(new URL("./would-call.js", import.meta.url));
const SHORT_HOLD = "1s";

type Mapping = Record<string, unknown>;

function isMapping(value: unknown): value is Mapping {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function noOp(...args: string[]): string[] {
  return [process.execPath, WOULD_CALL, ...args];
}

/** The manifest as written (YAML → plain data), rewritten for a dry run. */
export function rehearse(raw: Mapping, workdir: string): Mapping {
  const target = isMapping(raw.target) ? raw.target : {};
  const actionNames = Array.isArray(target.actions)
    ? target.actions.map(String)
    : Object.keys(isMapping(target.actions) ? target.actions : {});
  const environments = isMapping(raw.environments) ? raw.environments : {};
  const { metrics: _metrics, ...rest } = raw;
  return {
    ...rest,
    target: {
      type: "command",
      workdir,
      ...(target.timeoutSeconds === undefined ? {} : { timeoutSeconds: target.timeoutSeconds }),
      ...(target.env === undefined ? {} : { env: target.env }),
      actions: Object.fromEntries(actionNames.map((name) => [name, noOp("action", name)])),
    },
    environments: Object.fromEntries(
      Object.entries(environments).map(([name, environment]) => [
        name,
        isMapping(environment) ? rehearseEnvironment(environment) : environment,
      ]),
    ),
  };
}

/** Blue-green with short holds: its steps before 100% and the keep window; whether blue is archived as written. */
function rehearseBlueGreen(blueGreen: Mapping): Mapping {
  const steps = Array.isArray(blueGreen.steps)
    ? blueGreen.steps
        .filter(isMapping)
        .map((step) => (step.weight === 100 ? { weight: 100 } : { weight: step.weight, hold: SHORT_HOLD }))
    : undefined;
  return { ...blueGreen, ...(steps ? { steps } : {}), keepBlueFor: SHORT_HOLD };
}

function rehearseEnvironment(environment: Mapping): Mapping {
  const { monitoring: _monitoring, ...rest } = environment;
  const stages = Array.isArray(environment.stages) ? environment.stages : [];
  const canary = isMapping(environment.canary) ? environment.canary : {};
  const steps = Array.isArray(canary.steps)
    ? canary.steps.filter(isMapping).map((step) => ({ weight: step.weight }))
    : DEFAULT_CANARY_STEPS.map((step) => ({ weight: step.weight }));
  return {
    ...rest,
    stages: stages.map((stage) =>
      isMapping(stage) && Array.isArray(stage.run) ? { ...stage, run: noOp("run", ...stage.run.map(String)) } : stage,
    ),
    ...(environment.strategy === "canary" || environment.canary !== undefined
      ? { canary: { steps: steps.map((step) => ({ ...step, hold: SHORT_HOLD })) } }
      : {}),
    ...(isMapping(environment.blueGreen) || environment.strategy === "blue-green"
      ? { blueGreen: rehearseBlueGreen(isMapping(environment.blueGreen) ? environment.blueGreen : {}) }
      : {}),
    ...(isMapping(environment.rolling) ? { rolling: { ...environment.rolling, observe: SHORT_HOLD } } : {}),
    ...(isMapping(environment.hotfix) ? { hotfix: { ...environment.hotfix, soak: SHORT_HOLD } } : {}),
  };
}

/** Writes the dry-run copy of every loaded manifest into `into`; its files keep their names. */
export async function writeRehearsal(services: Iterable<LoadedManifest>, into: string): Promise<void> {
  for (const loaded of services) {
    const raw: unknown = parse(await readFile(loaded.file, "utf8"));
    if (!isMapping(raw)) continue;
    await writeFile(join(into, basename(loaded.file)), stringify(rehearse(raw, loaded.workdir)));
  }
}
