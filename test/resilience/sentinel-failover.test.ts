import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { eventually } from "../support/eventually.js";
import { channelOf, DEPLOYER, deploymentPlan, expectedLedgerKeys, mixedManifests } from "../support/mixed-pipeline.js";
import { SentinelGroup } from "../support/sentinel-group.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import { tally } from "../support/tally.js";
import { expectedThreadShape, summaryPosted, threadShape } from "../support/thread-shape.js";

/*
 * Sentinel failover: nothing lost (SPEC, Quality bars; C13). One `slipway
 * app` and two workers reach Redis through three Sentinels
 * (REDIS_URL=redis+sentinel://…). While deployments are in flight — stages
 * running, at least one canary holding between its traffic steps — the
 * master is SIGKILLed; the Sentinels promote the replica and Slipway follows
 * it by itself. Every deployment must end as it would have without the
 * failover (succeeded), every completed action must be in the target's
 * ledger exactly once (no stage's side effect twice), and every thread must
 * hold one root message and each reply once.
 */

const SERVICES = 4;
const FINISH_MS = 200_000;

describe("Redis master killed; Sentinel promotes the replica mid-pipeline", () => {
  let group: SentinelGroup;
  let fleet: SlipwayFleet;
  let finals: Deployment[] = [];

  beforeAll(async () => {
    group = await SentinelGroup.start();
    // Canaries hold 1 s then 6 s, so the kill finds one between its traffic steps.
    const { manifests } = mixedManifests(SERVICES, 0, { holds: ["1s", "6s"] });
    fleet = await SlipwayFleet.start({
      label: "sentinel",
      manifests,
      redisUrl: group.url,
      workers: 2,
      workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "300", SLIPWAY_WORKER_CONCURRENCY: "4" },
    });
  }, 90_000);

  afterAll(async () => {
    try {
      await closeFleet(fleet);
    } finally {
      await group?.stop();
    }
  });

  it("finishes every deployment on the promoted replica, repeating no completed action", async () => {
    const { services } = mixedManifests(SERVICES, 0);
    const ids: string[] = [];
    for (const { service, environment } of deploymentPlan(services, 0)) {
      ids.push(await fleet.deploy(DEPLOYER, channelOf(service), `${environment} v5.0.0 ${service}`));
    }

    // Mid-flight: a canary holding between steps while others still have stages to run.
    const inFlight = await eventually(
      "a canary to hold between its traffic steps while other deployments run",
      async () => {
        const records = await Promise.all(ids.map((id) => fleet.store.require(id)));
        const holding = records.filter((d) => d.holdUntil !== undefined && d.holdUntil > Date.now() + 1_000);
        const running = records.filter((d) => d.state === "running" || d.state === "checking");
        return holding.length > 0 && running.length > holding.length
          ? { holding: holding.map((d) => d.id), running: running.length }
          : undefined;
      },
      60_000,
      20,
    );
    const failover = await group.failover();

    finals = await fleet.allFinal(ids, FINISH_MS);
    const retried = finals.flatMap((d) => d.stages.filter((s) => s.attempts > 1).map((s) => `${d.id}:${s.name}`));
    console.log(
      JSON.stringify(
        {
          inFlight,
          failover,
          states: tally(finals.map((d) => d.state)),
          stagesRetried: retried,
          reconnectWarnings: fleet.logs((l) => l.level === 40).length,
        },
        null,
        2,
      ),
    );

    expect(finals.map((d) => `${d.id} ${d.state} ${d.failureReason ?? ""}`.trim())).toEqual(
      finals.map((d) => `${d.id} succeeded`),
    );
    expect(await fleet.ledgerRepeats()).toEqual([]);
    const done = new Set((await fleet.ledger()).map((e) => `${e.key} ${e.action}`));
    expect(finals.flatMap(expectedLedgerKeys).filter(({ key, action }) => !done.has(`${key} ${action}`))).toEqual([]);
  }, 300_000);

  it("leaves every deployment one root message and each reply of its thread once", async () => {
    expect(finals, "deployments the test above saw finish").toHaveLength(SERVICES * 2);
    const { slack } = fleet;
    await Promise.all(finals.map((d) => summaryPosted(slack, d, 90_000)));
    expect(Object.fromEntries(finals.map((d) => [d.id, threadShape(slack, d)]))).toEqual(
      Object.fromEntries(finals.map((d) => [d.id, expectedThreadShape(d)])),
    );
  }, 120_000);
});
