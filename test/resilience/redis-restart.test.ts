import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { eventually } from "../support/eventually.js";
import { channelOf, DEPLOYER, deploymentPlan, expectedLedgerKeys, mixedManifests } from "../support/mixed-pipeline.js";
import { PrivateRedis } from "../support/private-redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import type { LogLine } from "../support/slipway-process.js";
import { tally } from "../support/tally.js";
import { expectedThreadShape, summaryPosted, threadShape } from "../support/thread-shape.js";

/*
 * Redis restart with AOF: nothing lost (SPEC, Quality bars). One `slipway
 * app` and two workers run 16 deployments of the mixed pipeline on a Redis
 * of their own with `appendonly yes`. Twice while stages run, Redis is
 * SIGKILLed and started again on the same port and directory. Every
 * deployment must still succeed, every completed action must be in the
 * ledger exactly once, and every thread must end with one root message and
 * each of its replies once. (A Redis outage between a Slack post and its
 * record used to make the retried sync post again: two roots, or a stage
 * reply twice.)
 */

const SERVICES = 8;
const RESTARTS = 2;
/**
 * Long enough for the deployments to end without the watchdog (two quiet
 * minutes): a job the outage cut off is retried, or taken over once its lock
 * has expired and a stalled check has seen it (up to 90 s). A step whose
 * start the restarted Redis no longer had used to wait for the watchdog.
 */
const FINISH_MS = 120_000;

function isStageStart(line: LogLine): boolean {
  return line.msg === "stage started";
}

describe("Redis killed and restarted mid-pipeline (AOF)", () => {
  let redis: PrivateRedis;
  let fleet: SlipwayFleet;
  let finals: Deployment[] = [];

  beforeAll(async () => {
    redis = await PrivateRedis.start({ appendonly: true });
    const { manifests } = mixedManifests(SERVICES, 0);
    fleet = await SlipwayFleet.start({
      label: "redis-restart",
      manifests,
      redisUrl: redis.url,
      workers: 2,
      workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "300", SLIPWAY_WORKER_CONCURRENCY: "4" },
    });
  });

  afterAll(async () => {
    try {
      await closeFleet(fleet);
    } finally {
      await redis?.stop();
    }
  });

  it("finishes every deployment, loses nothing and repeats nothing", async () => {
    const { services } = mixedManifests(SERVICES, 0);
    const ids: string[] = [];
    for (const { service, environment } of deploymentPlan(services, 0)) {
      ids.push(await fleet.deploy(DEPLOYER, channelOf(service), `${environment} v4.0.0 ${service}`));
    }
    const stageStarts = () => fleet.logs(isStageStart).length;

    const outages: { at: number; downMs: number; stagesBefore: number }[] = [];
    for (let i = 0; i < RESTARTS; i += 1) {
      // Mid-pipeline: a few more stages have started since the last restart.
      const before = stageStarts();
      await eventually(`stages to start before restart ${i + 1}`, () => stageStarts() >= before + 6, 30_000, 10);
      const at = Date.now();
      await redis.kill("SIGKILL");
      await redis.restart();
      outages.push({ at, downMs: Date.now() - at, stagesBefore: stageStarts() });
    }

    finals = await fleet.allFinal(ids, FINISH_MS);
    const durations = finals.map((d) => (d.finishedAt ?? 0) - d.createdAt).sort((a, b) => a - b);
    const retried = finals.flatMap((d) => d.stages.filter((s) => s.attempts > 1).map((s) => `${d.id}:${s.name}`));
    const errors = fleet.logs((l) => l.level >= 50).map(({ line }) => line.msg);
    console.log(
      JSON.stringify(
        {
          outages,
          states: tally(finals.map((d) => d.state)),
          failed: finals.filter((d) => d.state !== "succeeded").map((d) => `${d.id}: ${d.failureReason}`),
          stagesRetried: retried,
          durationMs: { min: durations[0], median: durations[Math.floor(durations.length / 2)], max: durations.at(-1) },
          errorLogs: [...new Set(errors)],
        },
        null,
        2,
      ),
    );

    // Every deployment (recorded before the restarts) is still there and succeeded.
    expect(finals.map((d) => `${d.id} ${d.state} ${d.failureReason ?? ""}`.trim())).toEqual(
      finals.map((d) => `${d.id} succeeded`),
    );
    // Each completed action once, none missing.
    expect(await fleet.ledgerRepeats()).toEqual([]);
    const done = new Set((await fleet.ledger()).map((e) => `${e.key} ${e.action}`));
    expect(finals.flatMap(expectedLedgerKeys).filter(({ key, action }) => !done.has(`${key} ${action}`))).toEqual([]);
  }, 240_000);

  it("leaves every deployment one root message and each reply of its thread once", async () => {
    expect(finals, "deployments the test above saw finish").toHaveLength(SERVICES * 2);
    const { slack } = fleet;
    // The summary is the last reply a finished deployment's sync posts; a sync cut off by the outage may
    // wait for its per-deployment lock (30 s) to expire first.
    await Promise.all(finals.map((d) => summaryPosted(slack, d, 90_000)));

    const adopted = fleet.logs((l) => l.msg.startsWith("found in Slack a message whose post was never recorded"));
    console.log(
      JSON.stringify({ adoptedAfterOutage: adopted.map(({ line }) => `${line.deploymentId}:${line.message}`) }),
    );
    expect(Object.fromEntries(finals.map((d) => [d.id, threadShape(slack, d)]))).toEqual(
      Object.fromEntries(finals.map((d) => [d.id, expectedThreadShape(d)])),
    );
  }, 120_000);
});
