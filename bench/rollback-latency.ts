/*
 * How fast a bad canary goes away: the sample stack under steady load,
 * Slipway deploying a version that answers 20% errors with a canary at 25%,
 * over a few runs. For each run, from the router's state (polled every
 * 40 ms) and the deployment record:
 *
 *   canary → verdict    the canary's first traffic to the first failing analysis (incident.at)
 *   verdict → stable    the failing analysis to traffic back on stable: Slipway's own
 *                       incident.trafficRestoredMs, and the router showing weight 0
 *   canary → stable     how long users saw the bad version at all
 *
 * compared with the analysis interval. Goal (SPEC quality bar): traffic back
 * on stable within one analysis interval plus a few seconds.
 *
 *   npm run build && node --import tsx bench/rollback-latency.ts [--runs 5] [--interval 2] [--source prometheus|scrape] [--rps 50]
 *
 * Needs Redis on 127.0.0.1:6379 (or REDIS_URL); the Prometheus source needs
 * the prometheus binary (the scrape source is used when it is missing).
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { AnalysisRig, type SourceKind } from "../test/support/analysis-rig.js";
import { findPrometheus } from "../test/support/prometheus-server.js";
import { ROOT } from "../test/support/slipway-process.js";
import { percentile } from "./stats.js";

/** "A few seconds" of the goal. */
export const ROLLBACK_SLACK_MS = 3_000;
const GOOD = "v1.2.0";

export interface RollbackRun {
  readonly run: number;
  readonly version: string;
  readonly state: string;
  /** Where the trigger tripped, e.g. `25% round 1`. */
  readonly tripped?: string;
  readonly summary?: string;
  readonly canaryToVerdictMs?: number;
  readonly trafficRestoredMs?: number;
  readonly verdictToRouterStableMs?: number;
  readonly canaryToStableMs?: number;
  readonly verdictToRolledBackMs?: number;
}

export interface RollbackLatencyOptions {
  readonly runs: number;
  readonly intervalSeconds: number;
  readonly source: SourceKind;
  readonly rps: number;
  readonly log?: (message: string) => void;
}

export interface RollbackLatencyResult {
  readonly options: Omit<RollbackLatencyOptions, "log">;
  readonly runs: readonly RollbackRun[];
}

/** Runs the scenario `runs` times on one stack and one Slipway. */
export async function measureRollbackLatency(options: RollbackLatencyOptions): Promise<RollbackLatencyResult> {
  const log = options.log ?? (() => {});
  const prometheus = options.source === "prometheus" ? findPrometheus() : undefined;
  if (options.source === "prometheus" && prometheus === undefined) {
    throw new Error("no prometheus binary; install it (apt-get install -y prometheus) or pass --source scrape");
  }
  log(`starting the sample stack, ${options.source === "prometheus" ? "Prometheus, " : ""}Slipway and the load`);
  const rig = await AnalysisRig.start({
    label: "bench-rollback",
    source: options.source,
    ...(prometheus ? { prometheus } : {}),
    intervalSeconds: options.intervalSeconds,
    rps: options.rps,
    // Long holds: every run must end at the first step, by the analysis, not by the clock.
    holdSeconds: 60,
  });
  const runs: RollbackRun[] = [];
  try {
    log(`deploying ${GOOD}, the baseline`);
    await rig.ensureGood(GOOD);
    for (let run = 1; run <= options.runs; run++) {
      const version = `v1.3.${run}-bad`;
      log(`run ${run}/${options.runs}: ${version}`);
      const id = await rig.deploy(version);
      const canary = await rig.watch.waitFor(
        `${version} at 25%`,
        (s) => s.weight === 25 && s.candidate.includes(version),
        60_000,
      );
      const d = await rig.scene.until(id, "to end", (x) => x.finishedAt !== undefined, 90_000);
      const incident = d.incident;
      if (d.state !== "rolled_back" || incident === undefined) {
        runs.push({ run, version, state: d.state, summary: d.failureReason ?? "no incident" });
        await rig.settle();
        continue;
      }
      const stable = await rig.watch.waitFor(
        "traffic back on stable",
        (s) => s.at > canary.at && s.weight === 0,
        30_000,
      );
      const failed = (d.analyses ?? []).find((a) => a.verdict.outcome === "fail");
      runs.push({
        run,
        version,
        state: d.state,
        tripped: failed ? `${failed.weight ?? "?"}% round ${failed.rounds}` : "?",
        summary: incident.summary,
        canaryToVerdictMs: incident.at - canary.at,
        ...(incident.trafficRestoredMs === undefined ? {} : { trafficRestoredMs: incident.trafficRestoredMs }),
        verdictToRouterStableMs: stable.at - incident.at,
        canaryToStableMs: stable.at - canary.at,
        verdictToRolledBackMs: (d.finishedAt ?? Number.NaN) - incident.at,
      });
    }
  } finally {
    const code = await rig.close();
    if (code !== 0) log(`slipway exited with ${code}:\n${rig.scene.slipway.describe()}`);
  }
  const { log: _, ...settings } = options;
  return { options: settings, runs };
}

function seconds(ms: number | undefined): string {
  return ms === undefined || !Number.isFinite(ms) ? "—" : `${(ms / 1000).toFixed(2)}s`;
}

const COLUMNS: readonly [string, number][] = [
  ["run", 5],
  ["version", 13],
  ["tripped", 14],
  ["canary→verdict", 16],
  ["verdict→stable", 16],
  ["(router)", 10],
  ["canary→stable", 15],
  ["→rolled back", 14],
];

function line(cells: readonly string[]): string {
  return cells
    .map((cell, i) => {
      const width = COLUMNS[i]?.[1] ?? 10;
      return i < 3 ? cell.padEnd(width) : cell.padStart(width);
    })
    .join("")
    .trimEnd();
}

function stat(runs: readonly RollbackRun[], pick: (r: RollbackRun) => number | undefined, q: number): string {
  const values = runs
    .map(pick)
    .filter((v): v is number => v !== undefined && Number.isFinite(v))
    .sort((a, b) => a - b);
  return values.length === 0 ? "—" : seconds(percentile(values, q));
}

function worst(runs: readonly RollbackRun[], pick: (r: RollbackRun) => number | undefined): number {
  const values = runs.map(pick).filter((v): v is number => v !== undefined && Number.isFinite(v));
  return values.length === runs.length && values.length > 0 ? Math.max(...values) : Number.POSITIVE_INFINITY;
}

/** The table printed at the end of a run. */
export function formatRollbackTable(result: RollbackLatencyResult): string {
  const { options, runs } = result;
  const intervalMs = options.intervalSeconds * 1000;
  const goalMs = intervalMs + ROLLBACK_SLACK_MS;
  const pickers: ((r: RollbackRun) => number | undefined)[] = [
    (r) => r.canaryToVerdictMs,
    (r) => r.trafficRestoredMs,
    (r) => r.verdictToRouterStableMs,
    (r) => r.canaryToStableMs,
    (r) => r.verdictToRolledBackMs,
  ];
  const rows = runs.map((r) =>
    line([
      String(r.run),
      r.version,
      r.state === "rolled_back" ? (r.tripped ?? "?") : r.state,
      ...pickers.map((pick) => seconds(pick(r))),
    ]),
  );
  const restore = worst(runs, (r) => r.trafficRestoredMs);
  const routerRestore = worst(runs, (r) => r.verdictToRouterStableMs);
  const exposure = worst(runs, (r) => r.canaryToStableMs);
  const verdict = (ms: number) => (ms <= goalMs ? "met" : "MISSED");
  return [
    `Rollback latency: a canary answering 20% errors at 25% of ${options.rps} req/s, metrics from ${options.source}, analysed every ${options.intervalSeconds}s (${runs.length} runs)`,
    "",
    line(COLUMNS.map(([name]) => name)),
    ...rows,
    line(["p50", "", "", ...pickers.map((pick) => stat(runs, pick, 0.5))]),
    line(["max", "", "", ...pickers.map((pick) => stat(runs, pick, 1))]),
    "",
    "verdict→stable: Slipway's incident.trafficRestoredMs; (router): the router showing weight 0, polled every 40 ms.",
    `Goal: traffic back on stable within one analysis interval + ${ROLLBACK_SLACK_MS / 1000}s = ${seconds(goalMs)}`,
    `  from the first failing analysis:   ${verdict(Math.max(restore, routerRestore))} (worst ${seconds(Math.max(restore, routerRestore))})`,
    `  from the bad canary's first request: ${verdict(exposure)} (worst ${seconds(exposure)})`,
  ].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string", default: "5" },
      interval: { type: "string", default: "2" },
      source: { type: "string" },
      rps: { type: "string", default: "50" },
    },
  });
  if (!existsSync(join(ROOT, "dist", "main.js"))) throw new Error("no build; run `npm run build` first");
  const source = (values.source ?? (findPrometheus() ? "prometheus" : "scrape")) as SourceKind;
  if (source !== "prometheus" && source !== "scrape") throw new Error("--source is prometheus or scrape");
  const runs = Number(values.runs);
  const intervalSeconds = Number(values.interval);
  const rps = Number(values.rps);
  if (!Number.isInteger(runs) || runs < 1) throw new Error("--runs is a whole number of runs, 1 or more");
  if (!Number.isInteger(intervalSeconds) || intervalSeconds < 1)
    throw new Error("--interval is whole seconds, 1 or more");
  if (!(rps > 0 && rps <= 1000)) throw new Error("--rps is 1–1000");
  const result = await measureRollbackLatency({
    runs,
    intervalSeconds,
    source,
    rps,
    log: (message) => process.stderr.write(`bench: ${message}\n`),
  });
  process.stdout.write(`${formatRollbackTable(result)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
