import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Queue } from "bullmq";
import type { Deployment } from "../src/domain/deployment.js";
import { deploymentIdFrom } from "../src/domain/ids.js";
import { NO_USER_GROUPS } from "../src/engine/authorize.js";
import { Notifications } from "../src/engine/notifications.js";
import { createQueues, type Queues } from "../src/engine/queues.js";
import { type RequestDeps, requestDeployment } from "../src/engine/request-deployment.js";
import { Catalog } from "../src/manifests/catalog.js";
import { loadManifests } from "../src/manifests/load.js";
import { FakeSlack } from "../src/standin/fake-slack.js";
import { AuditLog } from "../src/store/audit-log.js";
import { deleteKeys } from "../src/store/delete-keys.js";
import { DeploymentStore } from "../src/store/deployment-store.js";
import { keysPattern } from "../src/store/keys.js";
import { LockStore } from "../src/store/locks.js";
import { connectRedis, type RedisClient, whenReady } from "../src/store/redis.js";
import { Waitlist } from "../src/store/waitlist.js";
import { holdingManifest } from "../test/support/holding-manifest.js";
import { BenchChild, freePort } from "./child-process.js";
import { forEachLimited } from "./stats.js";

/*
 * Holding many: `deployments` canary deployments, one service each, run by
 * `workers` real `slipway worker` processes until every one holds in its
 * canary step (a one-hour hold, so none ends while measured). Measures what
 * the holds cost: Redis memory per deployment (INFO memory before and
 * after; the server is shared, so the sum of MEMORY USAGE over this run's
 * keys is given beside it) and the workers' resident memory; and shows that
 * a hold is a delayed job, not a busy worker: with every deployment
 * holding, the pipeline queue has no active job.
 */

const BOT_TOKEN = "xoxb-bench-token";
const SIGNING_SECRET = "bench-signing-secret";
const HOLD = "1h";
const REQUEST_CONCURRENCY = 20;
const POLL_MS = 1_000;

export interface HoldingOptions {
  readonly root: string;
  readonly redisUrl: string;
  readonly deployments: number;
  readonly workers: number;
  readonly timeoutMs: number;
}

export interface HoldingResult {
  readonly deployments: number;
  readonly workers: number;
  /** Deployments holding in their canary step when measured. */
  readonly holding: number;
  /** From the first request until every deployment held. */
  readonly secondsUntilAllHolding: number;
  /** Redis `used_memory` (INFO memory) before the requests and with every deployment holding. */
  readonly redisUsedMemoryBytes: { readonly before: number; readonly holding: number };
  /** (holding − before) / deployments; other users of the server move it too. */
  readonly redisBytesPerDeployment: number;
  /** MEMORY USAGE summed over every key of this run (records, jobs, audit, …) / deployments. */
  readonly redisKeyBytesPerDeployment: number;
  /** Resident memory of each worker (MiB), started and idle, and with every deployment holding. */
  readonly workerRssMiB: { readonly idle: readonly number[]; readonly holding: readonly number[] };
  /** Growth of the workers' resident memory, summed, per deployment held (KiB). */
  readonly workerRssKiBPerDeployment: number;
  /** The pipeline queue with every deployment holding: its holds wait as delayed jobs, no worker slot taken. */
  readonly pipelineJobs: { readonly active: number; readonly delayed: number; readonly waiting: number };
  readonly keyPrefix: string;
}

function holdingName(i: number): string {
  return `hold-${String(i).padStart(4, "0")}`;
}

/** One manifest per service: a canary whose first step holds for an hour, every action a no-op command. */
async function writeHoldingManifests(count: number): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "slipway-bench-holding-"));
  for (let start = 0; start < count; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - start) }, (_, k) => {
        const name = holdingName(start + k);
        return writeFile(
          join(dir, `${name}.yaml`),
          holdingManifest({
            service: name,
            channel: `C0H${String(start + k).padStart(4, "0")}`,
            deploy: ["true"],
            weight: 10,
            hold: HOLD,
          }),
        );
      }),
    );
  }
  return dir;
}

/** Resident memory of a process in MiB (/proc), or NaN where there is none. */
function rssMiB(pid: number | undefined): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1]);
    return kib / 1024;
  } catch {
    return Number.NaN;
  }
}

async function usedMemory(redis: RedisClient): Promise<number> {
  const info = await redis.info("memory");
  return Number(/^used_memory:(\d+)/m.exec(info)?.[1]);
}

/** MEMORY USAGE of every key under `prefix`, summed. */
async function keyBytes(redis: RedisClient, prefix: string): Promise<number> {
  let total = 0;
  let cursor = "0";
  do {
    const [next, found] = await redis.scan(cursor, "MATCH", keysPattern(prefix), "COUNT", 1_000);
    cursor = next;
    const sizes = await Promise.all(found.map((key) => redis.memory("USAGE", key)));
    for (const size of sizes) total += Number(size ?? 0);
  } while (cursor !== "0");
  return total;
}

function isHolding(d: Deployment | undefined): boolean {
  return d?.state === "running" && d.holdUntil !== undefined;
}

export async function measureHoldingMany(options: HoldingOptions): Promise<HoldingResult> {
  const keyPrefix = `bench-holding-${randomBytes(4).toString("hex")}`;
  const manifests = await writeHoldingManifests(options.deployments);
  const redis = connectRedis(options.redisUrl, "producer");
  const workers: BenchChild[] = [];
  let slack: FakeSlack | undefined;
  let queues: Queues | undefined;
  try {
    await whenReady(redis, options.redisUrl);
    queues = createQueues(redis, keyPrefix);
    const loaded = await loadManifests(manifests);
    if (loaded.errors.length > 0) throw new Error(`bench manifests are invalid: ${JSON.stringify(loaded.errors[0])}`);
    const fakeSlack = await FakeSlack.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    slack = fakeSlack;
    for (let i = 0; i < options.workers; i += 1) {
      const port = await freePort();
      workers.push(
        BenchChild.spawn(
          `slipway worker ${i + 1}`,
          [join("dist", "main.js"), "worker"],
          {
            PATH: process.env.PATH ?? "",
            PORT: String(port),
            LOG_LEVEL: "warn",
            SLACK_BOT_TOKEN: BOT_TOKEN,
            SLACK_SIGNING_SECRET: SIGNING_SECRET,
            SLACK_API_URL: fakeSlack.apiUrl,
            REDIS_URL: options.redisUrl,
            SLIPWAY_KEY_PREFIX: keyPrefix,
            SLIPWAY_MANIFESTS: manifests,
          },
          options.root,
        ),
      );
    }
    const now = Date.now;
    const store = new DeploymentStore(redis, keyPrefix);
    const deps: RequestDeps = {
      store,
      locks: new LockStore(redis, keyPrefix),
      waitlist: new Waitlist(redis, keyPrefix),
      audit: new AuditLog(redis, keyPrefix),
      catalog: new Catalog(loaded.services, process.env),
      queues,
      notifications: new Notifications(queues.notify, queues.pipeline),
      now,
      newId: () => deploymentIdFrom(randomBytes(16), now()),
      directory: NO_USER_GROUPS,
    };
    await waitForWorkers(workers, queues.pipeline, options.timeoutMs);
    const idle = workers.map((w) => rssMiB(w.pid));
    const before = await usedMemory(redis);

    const started = performance.now();
    const ids: string[] = [];
    await forEachLimited(options.deployments, REQUEST_CONCURRENCY, async (i) => {
      const outcome = await requestDeployment(deps, {
        actor: { kind: "slack", id: "U0BENCH01" },
        via: "slash_command",
        request: { service: holdingName(i), environment: "load", version: "v1.0.0", hotfix: false },
      });
      if (outcome.code !== "started") throw new Error(`the bench deployment was refused: ${outcome.code}`);
      ids.push(outcome.deployment.id);
    });
    const deadline = Date.now() + options.timeoutMs;
    let holding = 0;
    for (;;) {
      const ds = await Promise.all(ids.map((id) => store.get(id)));
      holding = ds.filter(isHolding).length;
      if (holding === ids.length) break;
      const stopped = workers.find((w) => !w.running);
      if (stopped) throw new Error(`${stopped.label} exited\n${stopped.describe()}`);
      if (Date.now() > deadline) {
        throw new Error(`only ${holding} of ${ids.length} deployments held after ${options.timeoutMs} ms`);
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    const secondsUntilAllHolding = (performance.now() - started) / 1000;
    const counts = await queues.pipeline.getJobCounts("active", "delayed", "waiting");
    const held = await usedMemory(redis);
    const keysTotal = await keyBytes(redis, keyPrefix);
    const busy = workers.map((w) => rssMiB(w.pid));
    const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
    return {
      deployments: options.deployments,
      workers: options.workers,
      holding,
      secondsUntilAllHolding,
      redisUsedMemoryBytes: { before, holding: held },
      redisBytesPerDeployment: (held - before) / options.deployments,
      redisKeyBytesPerDeployment: keysTotal / options.deployments,
      workerRssMiB: { idle, holding: busy },
      workerRssKiBPerDeployment: ((sum(busy) - sum(idle)) * 1024) / options.deployments,
      pipelineJobs: { active: counts.active ?? 0, delayed: counts.delayed ?? 0, waiting: counts.waiting ?? 0 },
      keyPrefix,
    };
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        const code = await w.stop();
        if (code !== 0) process.stderr.write(`${w.label} exited with ${code}\n${w.describe()}\n`);
      }),
    );
    await queues?.close();
    await slack?.close();
    await deleteKeys(redis, keyPrefix).catch((error: unknown) =>
      process.stderr.write(`could not delete the keys under ${keyPrefix}: ${String(error)}\n`),
    );
    redis.disconnect();
    await rm(manifests, { recursive: true, force: true });
  }
}

/** Resolves once every worker runs the pipeline queue (BullMQ lists its workers), so the idle RSS is a started one. */
async function waitForWorkers(workers: readonly BenchChild[], pipeline: Queue, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await pipeline.getWorkersCount()) < workers.length) {
    const stopped = workers.find((w) => !w.running);
    if (stopped) throw new Error(`${stopped.label} exited before it started\n${stopped.describe()}`);
    if (Date.now() > deadline) throw new Error(`the workers did not start within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
