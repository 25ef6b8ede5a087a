import type { AckResult } from "./ack-latency.js";
import type { ProfileSummary } from "./cpu-profile.js";
import type { ThroughputResult } from "./engine-throughput.js";
import type { FiftyResult } from "./fifty-in-one-channel.js";
import type { HoldingResult } from "./holding-many.js";
import type { Spread } from "./stats.js";

export const ACK_RATIO_GOAL = 1.25;
export const ACK_P99_LIMIT_MS = 3_000;
/** Stage transitions per second at least this share of raw BullMQ's jobs per second, in the same run (the median of its pairs' ratios). */
export const ENGINE_RATIO_GOAL = 0.5;

export interface Settings {
  readonly ack: { concurrency: number; warmup: number; requests: number; rounds: number };
  readonly engine: {
    deployments: number;
    stages: number;
    concurrency: number;
    warmupDeployments: number;
    pairs: number;
  };
  readonly raw: { jobs: number; concurrency: number; warmupJobs: number };
  readonly fifty: { deployments: number; stages: number };
  readonly holding: { deployments: number; workers: number };
}

export interface Machine {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly arch: string;
  readonly totalMemoryGiB: number;
}

export interface BenchResults {
  readonly date: string;
  readonly machine: Machine;
  readonly settings: Settings;
  readonly ack: AckResult & {
    readonly ratios: { readonly p50: number; readonly p95: number; readonly p99: number; readonly max: number };
    readonly goals: {
      readonly ratioAtMost: number;
      readonly p50RatioMet: boolean;
      readonly p99RatioMet: boolean;
      readonly p99Limit: number;
      readonly p99UnderLimit: boolean;
    };
  };
  /** The engine and raw BullMQ, run in pairs; each pair's results are in `pairs`. */
  readonly engine: ThroughputResult & { readonly notifierRunning: false };
  /** The median over the pairs of engine stage transitions/s divided by raw BullMQ jobs/s. */
  readonly engineToRawRatio: number;
  readonly engineGoal: { readonly ratioAtLeast: number; readonly met: boolean };
  readonly fiftyInOneChannel: FiftyResult;
  readonly holdingMany: HoldingResult;
  readonly durationSeconds: number;
}

function ms(value: number): string {
  return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString("en-US");
}

function count(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

function sum(values: readonly number[]): number {
  return values.reduce((total, v) => total + v, 0);
}

function range(s: Spread, format: (value: number) => string): string {
  return `${format(s.min)}–${format(s.max)}`;
}

function row(cells: readonly string[]): string {
  const widths = [34, 11, 12, 8, 8];
  return (
    cells
      // A cell wider than its column (a lowest–highest range) is still set apart from the one before it.
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 10) : ` ${cell}`.padStart(widths[i] ?? 10)))
      .join("")
      .trimEnd()
  );
}

function cpuRow(ack: AckResult): string[] {
  const s = ack.slipway.cpuMsPerRequest;
  const b = ack.bareBolt.cpuMsPerRequest;
  if (s === undefined || b === undefined) return [];
  return [row(["CPU per request in the target (ms)", s.toFixed(2), b.toFixed(2), (s / b).toFixed(2), ""])];
}

function verdict(met: boolean): string {
  return met ? "  met" : "  MISSED";
}

/** The human-readable table printed at the end of a run. */
export function formatTable(r: BenchResults): string {
  const { ack, engine, settings } = r;
  const s = ack.slipway.latencyMs;
  const b = ack.bareBolt.latencyMs;
  const goal = `≤ ${ACK_RATIO_GOAL}`;
  const lines = [
    `Slipway bench — ${r.date} — ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}`,
    "",
    `/deploy acknowledgement: ${count(settings.ack.requests)} signed requests per target, ${settings.ack.concurrency} in flight, after ${settings.ack.warmup} warm-up; targets alternate in ${settings.ack.rounds} blocks`,
    row(["measure", "slipway", "bare bolt", "ratio", "goal"]),
    row(["/deploy ack p50 (ms)", ms(s.p50), ms(b.p50), ack.ratios.p50.toFixed(2), goal]) +
      verdict(ack.goals.p50RatioMet),
    row(["/deploy ack p95 (ms)", ms(s.p95), ms(b.p95), ack.ratios.p95.toFixed(2), ""]),
    row(["/deploy ack p99 (ms)", ms(s.p99), ms(b.p99), ack.ratios.p99.toFixed(2), goal]) +
      verdict(ack.goals.p99RatioMet),
    row(["/deploy ack max (ms)", ms(s.max), ms(b.max), ack.ratios.max.toFixed(2), ""]),
    row(["/deploy ack mean (ms)", ms(s.mean), ms(b.mean), (s.mean / b.mean).toFixed(2), ""]),
    row([
      "requests/s while measuring",
      count(ack.slipway.requestsPerSecond),
      count(ack.bareBolt.requestsPerSecond),
      (ack.slipway.requestsPerSecond / ack.bareBolt.requestsPerSecond).toFixed(2),
      "",
    ]),
    ...cpuRow(ack),
    row(["Slipway p99 < 3 s", ack.goals.p99UnderLimit ? "yes" : "NO", "", "", ""]),
    `(every Slipway answer was a 200 saying "Queued": ${ack.slipway.failureCount === 0 ? "yes" : `NO, ${ack.slipway.failureCount} were not`}; Slipway recorded ${count(ack.slipwayRecorded.deployments)} deployments and queued ${count(ack.slipwayRecorded.pipelineJobs)} pipeline jobs for ${count(ack.services)} requests)`,
    "",
    `Engine: ${count(settings.engine.deployments)} deployments × ${settings.engine.stages} no-op stages (${count(settings.engine.deployments * settings.engine.stages)} stage transitions) through the real pipeline, worker concurrency ${settings.engine.concurrency}; raw BullMQ: ${count(settings.raw.jobs)} no-op jobs, same concurrency and Redis; ${settings.engine.pairs} pairs of runs taking turns to go first, medians over the pairs (lowest–highest below)`,
    row(["measure", "slipway", "raw BullMQ", "ratio", "goal"]),
    row([
      "stage transitions/s vs jobs/s",
      count(engine.transitionsPerSecond.median),
      count(engine.jobsPerSecond.median),
      engine.ratio.median.toFixed(2),
      `≥ ${ENGINE_RATIO_GOAL}`,
    ]) + verdict(r.engineGoal.met),
    row([
      "  lowest–highest",
      range(engine.transitionsPerSecond, count),
      range(engine.jobsPerSecond, count),
      range(engine.ratio, (v) => v.toFixed(2)),
      "",
    ]),
    row([
      "bench CPU per transition / job (ms)",
      engine.cpuMsPerTransition.median.toFixed(2),
      engine.cpuMsPerJob.median.toFixed(2),
      (engine.cpuMsPerTransition.median / engine.cpuMsPerJob.median).toFixed(2),
      "",
    ]),
    `(each pair's ratio: ${engine.pairs.map((p) => p.ratio.toFixed(2)).join(", ")}; raw BullMQ is ${(1 / r.engineToRawRatio).toFixed(1)}× faster; ${count(sum(engine.pairs.map((p) => p.engine.succeeded)))} of ${count(settings.engine.pairs * settings.engine.deployments)} deployments succeeded; ${count(sum(engine.pairs.map((p) => p.engine.failedJobs)))} pipeline jobs failed; the notifier was not running, so the notify jobs the engine queued (${count(engine.pairs[0]?.engine.notifyJobsQueued ?? 0)} in the first pair) were left unprocessed and Slack pacing is not measured)`,
  ];
  return [...lines, "", ...fiftyLines(r.fiftyInOneChannel), "", ...holdingLines(r.holdingMany)].join("\n");
}

function fiftyLines(f: FiftyResult): string[] {
  const d = f.rootDelayMs;
  return [
    `Notifier: ${f.deployments} deployments of ${f.stagesEach} stage started together in one channel, run straight to their end, Slack's limits enforced by the stand-in, the notifier paced as in production`,
    row(["measure", "p50", "p99", "max", ""]),
    row(["final state → root shows it (ms)", ms(d.p50), ms(d.p99), ms(d.max), ""]),
    row(["notify jobs per state change", f.notifyJobsPerStateChange.toFixed(2), "", "", ""]),
    `(${count(f.notifyJobs)} notify jobs for ${count(f.stateChanges)} state changes, one per change before syncs were coalesced; ${count(f.posts)} posts and ${count(f.edits)} edits in ${f.secondsUntilAllShown.toFixed(0)} s; ${count(f.answered429)} calls answered 429, each waited out; every thread as its record says: ${f.threadsCorrect ? "yes" : "NO"})`,
  ];
}

function holdingLines(h: HoldingResult): string[] {
  const mib = (values: readonly number[]) => values.map((v) => v.toFixed(0)).join(" + ");
  return [
    `Holding many: ${count(h.deployments)} canary deployments holding in their canary step (a one-hour hold), ${h.workers} slipway worker processes`,
    row(["measure", "value", "", "", ""]),
    row(["Redis memory per deployment (KiB)", (h.redisBytesPerDeployment / 1024).toFixed(1), "", "", ""]),
    row(["  its keys' MEMORY USAGE (KiB)", (h.redisKeyBytesPerDeployment / 1024).toFixed(1), "", "", ""]),
    row(["worker RSS per deployment (KiB)", h.workerRssKiBPerDeployment.toFixed(0), "", "", ""]),
    row([
      "worker RSS idle → holding (MiB)",
      `${mib(h.workerRssMiB.idle)} → ${mib(h.workerRssMiB.holding)}`,
      "",
      "",
      "",
    ]),
    row(["pipeline jobs active / delayed", `${h.pipelineJobs.active} / ${count(h.pipelineJobs.delayed)}`, "", "", ""]),
    `(${count(h.holding)} of ${count(h.deployments)} held, all within ${h.secondsUntilAllHolding.toFixed(0)} s of the first request; Redis used_memory ${(h.redisUsedMemoryBytes.before / 2 ** 20).toFixed(1)} → ${(h.redisUsedMemoryBytes.holding / 2 ** 20).toFixed(1)} MiB on a server others may share; a hold is a delayed job: ${h.pipelineJobs.active === 0 ? "no worker slot was taken while they held" : `NOT so, ${h.pipelineJobs.active} jobs were active`})`,
  ];
}

/** Where a target's CPU went while it was being measured. */
export function formatProfile(label: string, p: ProfileSummary): string {
  const pct = (share: number) => `${(share * 100).toFixed(1)}%`.padStart(6);
  return [
    `${label}: ${ms(p.totalMs)} ms of CPU while measured (${p.file})`,
    "  by area:",
    ...p.areas.slice(0, 8).map((a) => `    ${pct(a.share)}  ${a.name}`),
    "  by function (self time):",
    ...p.functions.map((f) => `    ${pct(f.share)}  ${f.name}`),
  ].join("\n");
}
