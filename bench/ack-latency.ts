import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { Redis } from "ioredis";
import { FakeSlack } from "../src/standin/fake-slack.js";
import type { SentRequest } from "../src/standin/http-delivery.js";
import { deleteKeys } from "../src/store/delete-keys.js";
import { keys } from "../src/store/keys.js";
import { BenchChild, freePort } from "./child-process.js";
import { monotonicMicros, type ProfileSummary, summarizeProfileOf, type Window } from "./cpu-profile.js";
import { LoadClient } from "./http-client.js";
import { benchServiceName, writeBenchManifests } from "./manifests.js";
import { processCpuMs } from "./process-cpu.js";
import { signedSlashCommand } from "./slash-command.js";
import { forEachLimited, type LatencySummary, summarize } from "./stats.js";

const BOT_TOKEN = "xoxb-bench-token";
const SIGNING_SECRET = "bench-signing-secret";
const CHANNEL = "C0BENCH";
const USER = "U0BENCH01";
const READY_TIMEOUT_MS = 60_000;

export interface AckOptions {
  readonly root: string;
  readonly redisUrl: string;
  /** Requests in flight at once. */
  readonly concurrency: number;
  /** Requests per target before measuring. */
  readonly warmup: number;
  /** Measured requests per target. */
  readonly requests: number;
  /** The measured requests are sent in this many blocks per target, alternating targets (ABBA). */
  readonly rounds: number;
  /** Start both targets with `--cpu-prof` into this directory. */
  readonly cpuProfDir: string | undefined;
}

export interface TargetMeasurement {
  readonly latencyMs: LatencySummary;
  /** Measured requests divided by the time spent sending them. */
  readonly requestsPerSecond: number;
  /**
   * CPU time the target process used per measured request (from /proc; absent
   * elsewhere). Unlike latency, it hardly moves when other work shares the machine.
   */
  readonly cpuMsPerRequest: number | undefined;
  /** Answers that were not a 200 with the expected text (first few). */
  readonly failures: readonly string[];
  readonly failureCount: number;
}

export interface AckResult {
  readonly slipway: TargetMeasurement;
  readonly bareBolt: TargetMeasurement;
  /** Deployments and pipeline jobs Slipway recorded, to show every request did the work. */
  readonly slipwayRecorded: { readonly deployments: number; readonly pipelineJobs: number };
  readonly services: number;
  readonly keyPrefix: string;
  /** Where each target spent its CPU during the measured blocks, when started with `--cpu-prof`. */
  readonly profiles: { readonly slipway?: ProfileSummary; readonly bareBolt?: ProfileSummary };
}

interface Target {
  readonly name: "slipway" | "bareBolt";
  readonly eventsUrl: string;
  readonly child: BenchChild;
  /** What a good answer's text must contain. */
  readonly expect: string;
  readonly latencies: number[];
  readonly failures: string[];
  failureCount: number;
  busyMs: number;
  cpuMs: number | undefined;
  readonly windows: Window[];
}

function answerText(body: string): string {
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === "object" && parsed !== null && "text" in parsed && typeof parsed.text === "string") {
      return parsed.text;
    }
  } catch {
    // Not JSON: judged on the raw body below.
  }
  return body;
}

/**
 * `/deploy` acknowledgement latency of Slipway (`slipway app`, HTTP mode) and
 * of a bare Bolt app that only acks, under the same closed-loop load of
 * signed slash commands, in the same run. Each Slipway request deploys a
 * service no other request touches, so each one parses, creates the
 * deployment with a compare-and-set and queues it.
 */
export async function measureAckLatency(options: AckOptions): Promise<AckResult> {
  const services = options.warmup + options.requests;
  const keyPrefix = `bench-ack-${randomBytes(4).toString("hex")}`;
  const manifests = await writeBenchManifests(services, 1, "ack");
  const client = new LoadClient(options.concurrency);
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  let slack: FakeSlack | undefined;
  const children: BenchChild[] = [];
  try {
    const fakeSlack = await FakeSlack.start({ botToken: BOT_TOKEN, signingSecret: SIGNING_SECRET });
    slack = fakeSlack;
    const profile = options.cpuProfDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfDir}`];
    const [slipwayPort, barePort] = [await freePort(), await freePort()];
    const common = { PATH: process.env.PATH ?? "", SLACK_BOT_TOKEN: BOT_TOKEN, SLACK_API_URL: fakeSlack.apiUrl };
    const slipwayChild = BenchChild.spawn(
      "slipway app",
      [...profile, join("dist", "main.js"), "app"],
      {
        ...common,
        PORT: String(slipwayPort),
        LOG_LEVEL: "warn",
        SLACK_SIGNING_SECRET: SIGNING_SECRET,
        REDIS_URL: options.redisUrl,
        SLIPWAY_KEY_PREFIX: keyPrefix,
        SLIPWAY_MANIFESTS: manifests,
      },
      options.root,
    );
    children.push(slipwayChild);
    const bareChild = BenchChild.spawn(
      "bare bolt",
      [...profile, "--import", "tsx", join("bench", "bare-bolt.ts")],
      { ...common, PORT: String(barePort), SLACK_SIGNING_SECRET: SIGNING_SECRET },
      options.root,
    );
    children.push(bareChild);

    const make = (name: Target["name"], child: BenchChild, port: number, expect: string): Target => ({
      name,
      child,
      eventsUrl: `http://127.0.0.1:${port}/slack/events`,
      expect,
      latencies: [],
      failures: [],
      failureCount: 0,
      busyMs: 0,
      cpuMs: 0,
      windows: [],
    });
    const slipway = make("slipway", slipwayChild, slipwayPort, "Queued");
    const bare = make("bareBolt", bareChild, barePort, "ok");
    const request = (target: Target, text: string): SentRequest =>
      signedSlashCommand(
        {
          eventsUrl: target.eventsUrl,
          signingSecret: SIGNING_SECRET,
          responseBase: fakeSlack.baseUrl,
          channelId: CHANNEL,
          userId: USER,
        },
        text,
        Math.floor(Date.now() / 1000),
      );

    await Promise.all([slipway, bare].map((target) => waitUntilAnswering(client, target, request)));

    /** Sends the deploys of services [from, from + count) to one target; measured unless warming up. */
    const block = async (target: Target, from: number, count: number, measured: boolean) => {
      const started = performance.now();
      const startedUs = monotonicMicros();
      const cpuBefore = processCpuMs(target.child.pid);
      await forEachLimited(count, options.concurrency, async (i) => {
        const text = `development v1.0.0 ${benchServiceName(from + i)}`;
        const failed = (what: string) => {
          target.failureCount += 1;
          if (target.failures.length < 5) target.failures.push(what);
        };
        try {
          const answer = await client.send(request(target, text));
          if (answer.status !== 200 || !answerText(answer.body).includes(target.expect)) {
            failed(`${answer.status} ${answer.body.slice(0, 200)}`);
          }
          if (measured) target.latencies.push(answer.elapsedMs);
        } catch (error) {
          failed(error instanceof Error ? error.message : String(error));
        }
      });
      if (measured) {
        target.busyMs += performance.now() - started;
        target.windows.push([startedUs, monotonicMicros()]);
        const cpuAfter = processCpuMs(target.child.pid);
        target.cpuMs =
          target.cpuMs === undefined || cpuBefore === undefined || cpuAfter === undefined
            ? undefined
            : target.cpuMs + (cpuAfter - cpuBefore);
      }
    };

    await block(slipway, 0, options.warmup, false);
    await block(bare, 0, options.warmup, false);
    const perRound = Math.ceil(options.requests / options.rounds);
    for (let round = 0, from = options.warmup; from < services; round += 1, from += perRound) {
      const count = Math.min(perRound, services - from);
      const order = round % 2 === 0 ? [slipway, bare] : [bare, slipway];
      for (const target of order) await block(target, from, count, true);
    }

    const k = keys(keyPrefix);
    const slipwayRecorded = {
      deployments: await redis.zcard(k.deploymentIndex),
      pipelineJobs: await redis.llen(`${k.queuePrefix("pipeline")}:pipeline:wait`),
    };
    await stopAll(children);
    const profiles: { slipway?: ProfileSummary; bareBolt?: ProfileSummary } = {};
    if (options.cpuProfDir !== undefined) {
      for (const target of [slipway, bare]) {
        const pid = target.child.pid;
        const summary =
          pid === undefined ? undefined : await summarizeProfileOf(options.cpuProfDir, pid, target.windows);
        if (summary) profiles[target.name] = summary;
      }
    }
    return {
      slipway: measurement(slipway),
      bareBolt: measurement(bare),
      slipwayRecorded,
      services,
      keyPrefix,
      profiles,
    };
  } finally {
    await stopAll(children);
    client.close();
    await slack?.close();
    await deleteKeys(redis, keyPrefix).catch((error: unknown) =>
      process.stderr.write(`could not delete the keys under ${keyPrefix}: ${String(error)}\n`),
    );
    redis.disconnect();
    await rm(manifests, { recursive: true, force: true });
  }
}

/** Stops the children that still run; says so when one did not exit cleanly. */
async function stopAll(children: readonly BenchChild[]): Promise<void> {
  await Promise.all(
    children
      .filter((child) => child.running)
      .map(async (child) => {
        const code = await child.stop();
        if (code !== 0) process.stderr.write(`${child.label} exited with ${code}\n${child.describe()}\n`);
      }),
  );
}

function measurement(target: Target): TargetMeasurement {
  return {
    latencyMs: summarize(target.latencies),
    requestsPerSecond: target.latencies.length / (target.busyMs / 1000),
    cpuMsPerRequest: target.cpuMs === undefined ? undefined : target.cpuMs / target.latencies.length,
    failures: target.failures,
    failureCount: target.failureCount,
  };
}

/** Sends a signed `/deploy help` until the target answers 200, so both start measured work fully initialised. */
async function waitUntilAnswering(
  client: LoadClient,
  target: Target,
  request: (target: Target, text: string) => SentRequest,
): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (!target.child.running) {
      throw new Error(`${target.child.label} exited before answering\n${target.child.describe()}`);
    }
    try {
      const answer = await client.send(request(target, "help"), 2_000);
      if (answer.status === 200) return;
      last = `${answer.status} ${answer.body.slice(0, 200)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `${target.child.label} did not answer /deploy within ${READY_TIMEOUT_MS} ms (last: ${last})\n${target.child.describe()}`,
  );
}
