/*
 * `npm run bench`: Slipway's two measured quality bars in one run on this
 * machine — `/deploy` acknowledgement latency against a bare Bolt app that
 * only acks, and engine stage throughput against raw BullMQ (pairs of runs
 * taking turns, judged on the median of the pairs' ratios) — with the
 * notifier's fifty in one channel and what 1,000 deployments holding in a
 * canary step cost (Redis and worker memory), printed as a table and
 * written to bench/results.json. Needs the build (`npm run bench`
 * builds first) and Redis on 127.0.0.1:6379 (or REDIS_URL, loopback only).
 *
 * `npm run bench -- --cpu-prof` also profiles both Slack targets and prints
 * where their CPU went while they were measured. BENCH_LOG=info shows the
 * in-process engine's log lines.
 */
import { existsSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { arch, cpus, platform, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { measureAckLatency } from "./ack-latency.js";
import { measureThroughput } from "./engine-throughput.js";
import { measureFiftyInOneChannel } from "./fifty-in-one-channel.js";
import { measureHoldingMany } from "./holding-many.js";
import {
  ACK_P99_LIMIT_MS,
  ACK_RATIO_GOAL,
  type BenchResults,
  ENGINE_RATIO_GOAL,
  formatProfile,
  formatTable,
  type Settings,
} from "./report.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = join(ROOT, "bench", "results.json");
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

const SETTINGS: Settings = {
  ack: { concurrency: 50, warmup: 100, requests: 1_000, rounds: 5 },
  engine: { deployments: 1_000, stages: 5, concurrency: 8, warmupDeployments: 50, pairs: 5 },
  raw: { jobs: 5_000, concurrency: 8, warmupJobs: 250 },
  fifty: { deployments: 50, stages: 1 },
  holding: { deployments: 1_000, workers: 2 },
};
/** Producers in flight at once in the engine and raw runs, as many as Slack requests in the ack run. */
const ADD_CONCURRENCY = 50;
const PHASE_TIMEOUT_MS = 90_000;

function redisUrl(): string {
  const url = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
  const host = new URL(url).hostname;
  if (!LOOPBACK.has(host)) throw new Error(`the bench only talks to this machine; REDIS_URL points at ${host}`);
  return url;
}

function step(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

async function main(): Promise<number> {
  if (!existsSync(join(ROOT, "dist", "main.js"))) {
    throw new Error("dist/main.js is missing: run `npm run bench` (it builds first) or `npm run build`");
  }
  const redis = redisUrl();
  const started = performance.now();
  const cpuProfDir = process.argv.includes("--cpu-prof")
    ? await mkdtemp(join(tmpdir(), "slipway-bench-profile-"))
    : undefined;

  step(
    `/deploy ack latency: Slipway and a bare Bolt app, ${SETTINGS.ack.requests} requests each at ${SETTINGS.ack.concurrency} in flight`,
  );
  const ack = await measureAckLatency({ root: ROOT, redisUrl: redis, cpuProfDir, ...SETTINGS.ack });
  step(
    `engine against raw BullMQ, ${SETTINGS.engine.pairs} pairs of runs taking turns to go first: ${SETTINGS.engine.deployments} deployments × ${SETTINGS.engine.stages} no-op stages, ${SETTINGS.raw.jobs} no-op jobs`,
  );
  const { pairs, ...engineSettings } = SETTINGS.engine;
  const throughput = await measureThroughput(
    { redisUrl: redis, ...engineSettings, requestConcurrency: ADD_CONCURRENCY, timeoutMs: PHASE_TIMEOUT_MS },
    { redisUrl: redis, ...SETTINGS.raw, addConcurrency: ADD_CONCURRENCY, timeoutMs: PHASE_TIMEOUT_MS },
    pairs,
    (pair, i) =>
      step(
        `  pair ${i + 1} (${pair.first} first): ${Math.round(pair.engine.transitionsPerSecond)} transitions/s, ${Math.round(pair.raw.jobsPerSecond)} jobs/s, ratio ${pair.ratio.toFixed(2)}`,
      ),
  );

  step(
    `${SETTINGS.fifty.deployments} deployments at once in one channel, Slack's rate limits enforced (about ${SETTINGS.fifty.deployments * (SETTINGS.fifty.stages + 2)} s of posts)`,
  );
  const fifty = await measureFiftyInOneChannel({ ...SETTINGS.fifty, timeoutMs: 10 * 60_000 });
  step(`${SETTINGS.holding.deployments} deployments holding in a canary step, ${SETTINGS.holding.workers} workers`);
  const holding = await measureHoldingMany({
    root: ROOT,
    redisUrl: redis,
    ...SETTINGS.holding,
    timeoutMs: 10 * 60_000,
  });

  const s = ack.slipway.latencyMs;
  const b = ack.bareBolt.latencyMs;
  const cpuList = cpus();
  const results: BenchResults = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpuList.length,
      cpuModel: cpuList[0]?.model.trim() ?? "unknown",
      node: process.version,
      platform: platform(),
      arch: arch(),
      totalMemoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    },
    settings: SETTINGS,
    ack: {
      ...ack,
      ratios: { p50: s.p50 / b.p50, p95: s.p95 / b.p95, p99: s.p99 / b.p99, max: s.max / b.max },
      goals: {
        ratioAtMost: ACK_RATIO_GOAL,
        p50RatioMet: s.p50 / b.p50 <= ACK_RATIO_GOAL,
        p99RatioMet: s.p99 / b.p99 <= ACK_RATIO_GOAL,
        p99Limit: ACK_P99_LIMIT_MS,
        p99UnderLimit: s.p99 < ACK_P99_LIMIT_MS,
      },
    },
    engine: { ...throughput, notifierRunning: false },
    engineToRawRatio: throughput.ratio.median,
    engineGoal: { ratioAtLeast: ENGINE_RATIO_GOAL, met: throughput.ratio.median >= ENGINE_RATIO_GOAL },
    fiftyInOneChannel: fifty,
    holdingMany: holding,
    durationSeconds: (performance.now() - started) / 1000,
  };
  await writeFile(RESULTS, `${JSON.stringify(results, null, 2)}\n`);

  process.stdout.write(`\n${formatTable(results)}\n`);
  if (cpuProfDir !== undefined) process.stdout.write(`\nCPU profiles of both targets are in ${cpuProfDir}\n`);
  if (ack.profiles.slipway) process.stdout.write(`\n${formatProfile("Slipway", ack.profiles.slipway)}\n`);
  if (ack.profiles.bareBolt) process.stdout.write(`\n${formatProfile("bare Bolt", ack.profiles.bareBolt)}\n`);
  process.stdout.write(`\nwrote bench/results.json in ${results.durationSeconds.toFixed(0)} s\n`);

  const broken = [
    ...(ack.slipway.failureCount > 0 ? [`Slipway answers not "Queued": ${ack.slipway.failures.join(" | ")}`] : []),
    ...(ack.bareBolt.failureCount > 0 ? [`bare Bolt answers not "ok": ${ack.bareBolt.failures.join(" | ")}`] : []),
    ...throughput.pairs.flatMap(({ engine }, i) =>
      engine.succeeded === SETTINGS.engine.deployments
        ? []
        : [`only ${engine.succeeded} of ${SETTINGS.engine.deployments} engine deployments of pair ${i + 1} succeeded`],
    ),
    ...(fifty.threadsCorrect ? [] : ["a thread of the fifty in one channel is not as its record says"]),
    ...(holding.pipelineJobs.active > 0
      ? [`${holding.pipelineJobs.active} pipeline jobs were active while all held`]
      : []),
  ];
  for (const problem of broken) process.stderr.write(`bench: ${problem}\n`);
  return broken.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
