import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { type Job, Queue, Worker } from "bullmq";
import { deploymentIdFrom } from "../src/domain/ids.js";
import { NO_USER_GROUPS } from "../src/engine/authorize.js";
import type { GateDeps } from "../src/engine/gates.js";
import { JOBS } from "../src/engine/jobs.js";
import { Notifications } from "../src/engine/notifications.js";
import { startPipelineWorker } from "../src/engine/pipeline-worker.js";
import { createQueues, DEFAULT_JOB_OPTIONS } from "../src/engine/queues.js";
import { type RequestDeps, requestDeployment } from "../src/engine/request-deployment.js";
import { createLogger } from "../src/logger.js";
import { loadManifests } from "../src/manifests/load.js";
import { AuditLog } from "../src/store/audit-log.js";
import { deleteKeys } from "../src/store/delete-keys.js";
import { DeploymentStore } from "../src/store/deployment-store.js";
import { LockStore } from "../src/store/locks.js";
import type { RedisClient } from "../src/store/redis.js";
import { connectRedis, whenReady } from "../src/store/redis.js";
import { Waitlist } from "../src/store/waitlist.js";
import { InProcessTargetCatalog, noopTarget } from "./in-process-target.js";
import { benchServiceName, writeBenchManifests } from "./manifests.js";
import { forEachLimited, type Spread, spread } from "./stats.js";

export interface EngineOptions {
  readonly redisUrl: string;
  readonly deployments: number;
  readonly stages: number;
  /** Deployments run (and not measured) first, so the code is warm. */
  readonly warmupDeployments: number;
  readonly concurrency: number;
  /** requestDeployment calls in flight at once. */
  readonly requestConcurrency: number;
  readonly timeoutMs: number;
}

export interface EngineResult {
  readonly seconds: number;
  /** Stages the measured deployments ran: deployments × stages. */
  readonly transitions: number;
  /** Stages run per second: transitions / seconds. */
  readonly transitionsPerSecond: number;
  readonly deploymentsPerSecond: number;
  /** CPU this process (engine and Redis clients, not Redis) used per stage transition. */
  readonly cpuMsPerTransition: number;
  /** Time to record and queue every deployment (part of `seconds`). */
  readonly requestSeconds: number;
  readonly succeeded: number;
  readonly failedJobs: number;
  /** Jobs the engine put on the notify queue; no notifier ran, so they stayed there. */
  readonly notifyJobsQueued: number;
  readonly keyPrefix: string;
}

export interface RawResult {
  readonly jobs: number;
  readonly seconds: number;
  readonly jobsPerSecond: number;
  /** CPU this process (BullMQ and Redis clients, not Redis) used per job. */
  readonly cpuMsPerJob: number;
  readonly keyPrefix: string;
}

interface Connections {
  readonly producer: RedisClient;
  readonly worker: RedisClient;
  close(): void;
}

async function connect(redisUrl: string): Promise<Connections> {
  const producer = connectRedis(redisUrl, "producer");
  const worker = connectRedis(redisUrl, "worker");
  await Promise.all([whenReady(producer, redisUrl), whenReady(worker, redisUrl)]);
  return {
    producer,
    worker,
    close() {
      producer.disconnect();
      worker.disconnect();
    },
  };
}

/** Resolves once `count` calls of `done()` happened, or rejects after `timeoutMs`. */
function countdown(count: number, timeoutMs: number, what: string) {
  let left = count;
  let finish: () => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const reached = new Promise<void>((resolve, reject) => {
    finish = resolve;
    fail = reject;
  });
  const timer = setTimeout(
    () => fail(new Error(`${what}: ${left} of ${count} still missing after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const settled = reached.finally(() => clearTimeout(timer));
  settled.catch(() => undefined);
  if (count === 0) finish();
  return {
    reached: settled,
    done() {
      left -= 1;
      if (left === 0) finish();
    },
  };
}

/**
 * Knows when each deployment ran its last stage: the job that ran a
 * deployment's last stage (its return value names the last one it ran)
 * completes only after that stage's result and the final state are saved. A job may complete before its request call has returned, so
 * either side may come first.
 */
class LastStageWatch {
  private readonly lastIndex = new Map<string, number>();
  private readonly highest = new Map<string, number>();
  private readonly finished = new Set<string>();

  constructor(private readonly onFinished: () => void) {}

  expect(deploymentId: string, stageCount: number): void {
    this.lastIndex.set(deploymentId, stageCount - 1);
    this.check(deploymentId);
  }

  stageDone(deploymentId: string, stageIndex: number): void {
    this.highest.set(deploymentId, Math.max(stageIndex, this.highest.get(deploymentId) ?? -1));
    this.check(deploymentId);
  }

  private check(deploymentId: string): void {
    const last = this.lastIndex.get(deploymentId);
    if (last === undefined || this.finished.has(deploymentId)) return;
    if ((this.highest.get(deploymentId) ?? -1) < last) return;
    this.finished.add(deploymentId);
    this.onFinished();
  }
}

/**
 * Stage transitions per second through the real engine: requestDeployment,
 * the BullMQ pipeline worker, the compare-and-set store and notification
 * jobs, with an in-process target whose actions succeed at once. The notify
 * queue fills up but no notifier runs.
 */
export async function measureEngine(options: EngineOptions): Promise<EngineResult> {
  const keyPrefix = `bench-engine-${randomBytes(4).toString("hex")}`;
  const total = options.warmupDeployments + options.deployments;
  const manifests = await writeBenchManifests(total, options.stages, "engine");
  const redis = await connect(options.redisUrl);
  const queues = createQueues(redis.producer, keyPrefix);
  let worker: Worker | undefined;
  try {
    const loaded = await loadManifests(manifests);
    if (loaded.errors.length > 0) throw new Error(`bench manifests are invalid: ${JSON.stringify(loaded.errors[0])}`);
    const catalog = new InProcessTargetCatalog(loaded.services, noopTarget);
    const store = new DeploymentStore(redis.producer, keyPrefix);
    const now = Date.now;
    const deps: RequestDeps & GateDeps = {
      store,
      locks: new LockStore(redis.producer, keyPrefix),
      waitlist: new Waitlist(redis.producer, keyPrefix),
      audit: new AuditLog(redis.producer, keyPrefix),
      catalog,
      queues,
      notifications: new Notifications(queues.notify),
      now,
      newId: () => deploymentIdFrom(randomBytes(16), now()),
      directory: NO_USER_GROUPS,
    };
    worker = startPipelineWorker({
      connection: redis.worker,
      keyPrefix,
      deps: { ...deps, redis: redis.producer, keyPrefix },
      log: createLogger(process.env.BENCH_LOG ?? "silent"),
      concurrency: options.concurrency,
    });
    let failedJobs = 0;
    let finished = countdown(options.warmupDeployments, options.timeoutMs, "warm-up deployments");
    const watch = new LastStageWatch(() => finished.done());
    worker.on("completed", (job: Job) => {
      if (job.name !== "advance" && job.name !== "check") return;
      const data = JOBS.pipeline.check.safeParse(job.data);
      const ran: unknown = job.returnvalue;
      if (!data.success || typeof ran !== "object" || ran === null || !("lastStep" in ran)) return;
      if (typeof ran.lastStep === "number") watch.stageDone(data.data.deploymentId, ran.lastStep);
    });
    worker.on("failed", () => {
      failedJobs += 1;
    });
    await worker.waitUntilReady();

    const ids: string[] = [];
    let transitions = 0;
    const run = async (from: number, count: number) => {
      await forEachLimited(count, options.requestConcurrency, async (i) => {
        const outcome = await requestDeployment(deps, {
          actor: { kind: "slack", id: "U0BENCH01" },
          via: "slash_command",
          request: {
            service: benchServiceName(from + i),
            environment: "development",
            version: "v1.0.0",
            hotfix: false,
          },
        });
        if (outcome.code !== "started") throw new Error(`the bench deployment was refused: ${outcome.code}`);
        ids.push(outcome.deployment.id);
        transitions += outcome.deployment.stages.length;
        watch.expect(outcome.deployment.id, outcome.deployment.stages.length);
      });
    };

    await run(options.deployments, options.warmupDeployments);
    await finished.reached;
    ids.length = 0;
    transitions = 0;

    finished = countdown(options.deployments, options.timeoutMs, "deployments");
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await run(0, options.deployments);
    const requestSeconds = (performance.now() - started) / 1000;
    await finished.reached;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    const states = await Promise.all(ids.map((id) => store.get(id)));
    const succeeded = states.filter((d) => d?.state === "succeeded").length;
    const notify = await queues.notify.getJobCounts("delayed", "waiting", "prioritized");
    const notifyJobsQueued = Object.values(notify).reduce((sum, n) => sum + n, 0);
    return {
      seconds,
      transitions,
      transitionsPerSecond: transitions / seconds,
      deploymentsPerSecond: options.deployments / seconds,
      cpuMsPerTransition: (cpu.user + cpu.system) / 1000 / transitions,
      requestSeconds,
      succeeded,
      failedJobs,
      notifyJobsQueued,
      keyPrefix,
    };
  } finally {
    await worker?.close();
    await queues.close();
    await deleteKeys(redis.producer, keyPrefix);
    redis.close();
    await rm(manifests, { recursive: true, force: true });
  }
}

export interface RawOptions {
  readonly redisUrl: string;
  readonly jobs: number;
  readonly warmupJobs: number;
  readonly concurrency: number;
  /** queue.add calls in flight at once. */
  readonly addConcurrency: number;
  readonly timeoutMs: number;
}

/**
 * The same Redis and worker concurrency with nothing of Slipway: jobs with a
 * no-op processor on a queue with Slipway's default job options, timed from
 * the first add to the last completion.
 */
export async function measureRawBullmq(options: RawOptions): Promise<RawResult> {
  const keyPrefix = `bench-raw-${randomBytes(4).toString("hex")}`;
  const redis = await connect(options.redisUrl);
  const queue = new Queue("raw", {
    connection: redis.producer,
    prefix: keyPrefix,
    skipWaitingForReady: true,
    defaultJobOptions: DEFAULT_JOB_OPTIONS,
  });
  const worker = new Worker("raw", async () => undefined, {
    connection: redis.worker,
    prefix: keyPrefix,
    skipWaitingForReady: true,
    concurrency: options.concurrency,
  });
  try {
    let completed = countdown(options.warmupJobs, options.timeoutMs, "warm-up jobs");
    worker.on("completed", () => completed.done());
    await worker.waitUntilReady();
    const add = (count: number) =>
      forEachLimited(count, options.addConcurrency, async (i) => {
        await queue.add("noop", { deploymentId: `raw-${i}`, stageIndex: i % 5 });
      });

    await add(options.warmupJobs);
    await completed.reached;

    completed = countdown(options.jobs, options.timeoutMs, "raw jobs");
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await add(options.jobs);
    await completed.reached;
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);
    return {
      jobs: options.jobs,
      seconds,
      jobsPerSecond: options.jobs / seconds,
      cpuMsPerJob: (cpu.user + cpu.system) / 1000 / options.jobs,
      keyPrefix,
    };
  } finally {
    await worker.close();
    await queue.close();
    await deleteKeys(redis.producer, keyPrefix);
    redis.close();
  }
}

/** One engine run and one raw BullMQ run, back to back. */
export interface ThroughputPair {
  /** Which of the two ran first: the order alternates from pair to pair. */
  readonly first: "engine" | "raw";
  readonly engine: EngineResult;
  readonly raw: RawResult;
  /** The engine's stage transitions/s over raw BullMQ's jobs/s in this pair. */
  readonly ratio: number;
}

export interface ThroughputResult {
  readonly pairs: readonly ThroughputPair[];
  readonly transitionsPerSecond: Spread;
  readonly jobsPerSecond: Spread;
  /** Over the pairs' ratios: each compares two runs made a few seconds apart. */
  readonly ratio: Spread;
  readonly cpuMsPerTransition: Spread;
  readonly cpuMsPerJob: Spread;
}

/**
 * The engine against raw BullMQ in `pairs` pairs of runs, engine and raw
 * alternating (engine first in the first pair, raw first in the second, …),
 * so that a machine shared with others, whose speed drifts from second to
 * second, weighs on both alike: each pair's ratio compares two runs made
 * under nearly the same load, and the medians leave out the odd round.
 */
export async function measureThroughput(
  engine: EngineOptions,
  raw: RawOptions,
  pairs: number,
  onPair: (pair: ThroughputPair, index: number) => void = () => undefined,
): Promise<ThroughputResult> {
  const done: ThroughputPair[] = [];
  for (let i = 0; i < pairs; i++) {
    const first = i % 2 === 0 ? "engine" : "raw";
    let e: EngineResult;
    let r: RawResult;
    if (first === "engine") {
      e = await measureEngine(engine);
      r = await measureRawBullmq(raw);
    } else {
      r = await measureRawBullmq(raw);
      e = await measureEngine(engine);
    }
    const pair = { first, engine: e, raw: r, ratio: e.transitionsPerSecond / r.jobsPerSecond } as const;
    done.push(pair);
    onPair(pair, i);
  }
  return {
    pairs: done,
    transitionsPerSecond: spread(done.map((p) => p.engine.transitionsPerSecond)),
    jobsPerSecond: spread(done.map((p) => p.raw.jobsPerSecond)),
    ratio: spread(done.map((p) => p.ratio)),
    cpuMsPerTransition: spread(done.map((p) => p.engine.cpuMsPerTransition)),
    cpuMsPerJob: spread(done.map((p) => p.raw.cpuMsPerJob)),
  };
}
