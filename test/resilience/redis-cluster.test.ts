import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { keysPattern } from "../../src/store/keys.js";
import { masters } from "../../src/store/redis.js";
import { eventually } from "../support/eventually.js";
import {
  APPROVER,
  channelOf,
  DEPLOYER,
  deploymentPlan,
  expectedLedgerKeys,
  mixedManifests,
} from "../support/mixed-pipeline.js";
import { RedisCluster } from "../support/redis-cluster.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import type { LogLine } from "../support/slipway-process.js";
import { tally } from "../support/tally.js";
import { expectedThreadShape, summaryPosted, threadShape } from "../support/thread-shape.js";

/*
 * Slipway on a Redis Cluster (C13): a 3-master cluster, REDIS_URL=
 * redis+cluster://…, one `slipway app` and two workers. Development
 * deployments (the plain success path), staging canaries, production ones
 * behind an approval clicked in Slack, one canary aborted in its hold
 * (traffic back to stable, rolled back), and a worker SIGKILLed while
 * stages run (a replacement started). Every deployment must end as it would
 * on one Redis, no completed action twice, every thread whole — and the
 * keys must be spread over the cluster, not piled into one slot.
 */

const SERVICES = 4;
const WITH_PRODUCTION = 2;
const FINISH_MS = 200_000;

function isStageStart(line: LogLine): boolean {
  return line.msg === "stage started";
}

describe("Slipway on a 3-master Redis Cluster", () => {
  let cluster: RedisCluster;
  let fleet: SlipwayFleet;
  let finals: Deployment[] = [];
  let aborted = "";

  beforeAll(async () => {
    cluster = await RedisCluster.start(3);
    const { manifests } = mixedManifests(SERVICES, WITH_PRODUCTION, { holds: ["1s", "30s"] });
    fleet = await SlipwayFleet.start({
      label: "cluster",
      manifests,
      redisUrl: cluster.url,
      workers: 2,
      workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "300", SLIPWAY_WORKER_CONCURRENCY: "4" },
      // A killed worker's jobs are given back within about two lock periods (10 s), well inside the canary's 30 s hold.
      env: { SLIPWAY_JOB_LOCK_MS: "5000" },
    });
  }, 120_000);

  afterAll(async () => {
    try {
      await closeFleet(fleet);
    } finally {
      await cluster?.stop();
    }
  });

  it("runs, approves, rolls back and survives a killed worker as on one Redis", async () => {
    const { services } = mixedManifests(SERVICES, WITH_PRODUCTION);
    const plan = deploymentPlan(services, WITH_PRODUCTION);
    const ids: string[] = [];
    for (const { service, environment } of plan) {
      ids.push(await fleet.deploy(DEPLOYER, channelOf(service), `${environment} v6.0.0 ${service}`));
    }

    const approvals = plan
      .filter((p) => p.environment === "production")
      .map(async ({ service }) => {
        const { slack } = fleet;
        const card = await slack.waitForMessage(
          (m) =>
            m.channel === channelOf(service) &&
            m.threadTs !== undefined &&
            /Approval needed[\s\S]*Needs 1 approval \(0 so far\)/.test(slack.textOf(m)),
          { timeoutMs: FINISH_MS },
        );
        return fleet.chat.clickApprove(card, APPROVER);
      });

    // A worker dies with stages in hand; another takes its place.
    const victim = fleet.workers[0];
    if (!victim) throw new Error("no worker to kill");
    await eventually(
      "the first worker to start three stages",
      () => victim.logs.filter(isStageStart).length >= 3,
      60_000,
      10,
    );
    await fleet.signal(victim, "SIGKILL");
    await fleet.addWorker();

    // The last service's canary is aborted while it holds between traffic steps.
    const canaryIndex = plan.findIndex((p) => p.service === services.at(-1) && p.environment === "staging");
    aborted = ids[canaryIndex] ?? "";
    // Its root may come two lock periods late (BullMQ's stalled check gives the sync back), when the
    // killed worker held the notify job that posts it; the canary's second hold (30 s) outlasts that,
    // so it is still holding when Abort is clicked.
    await fleet.chat.rootOf(aborted, /./, FINISH_MS);
    await eventually(
      `canary ${aborted} to hold between its traffic steps`,
      async () => {
        const d = await fleet.store.require(aborted);
        return d.holdUntil !== undefined && d.stages.some((s) => s.step.rollout && s.status === "succeeded")
          ? true
          : new Error(`${d.state} ${d.stages.map((s) => `${s.name}:${s.status}`).join(",")}`);
      },
      FINISH_MS,
      20,
    );
    const abortAnswer = await fleet.chat.clickControl(aborted, DEPLOYER, ACTION_IDS.abort);

    finals = await fleet.allFinal(ids, FINISH_MS);
    const approvalAnswers = await Promise.all(approvals);
    console.log(
      JSON.stringify(
        {
          states: tally(finals.map((d) => d.state)),
          abortAnswer,
          approvalAnswers,
          stagesRetried: finals.flatMap((d) => d.stages.filter((s) => s.attempts > 1).map((s) => `${d.id}:${s.name}`)),
        },
        null,
        2,
      ),
    );

    expect(finals.map((d) => `${d.id} ${d.state}`)).toEqual(
      finals.map((d) => `${d.id} ${d.id === aborted ? "rolled_back" : "succeeded"}`),
    );
    expect(await fleet.ledgerRepeats()).toEqual([]);
    const done = new Set((await fleet.ledger()).map((e) => `${e.key} ${e.action}`));
    const missing = finals
      .filter((d) => d.state === "succeeded")
      .flatMap(expectedLedgerKeys)
      .filter(({ key, action }) => !done.has(`${key} ${action}`));
    expect(missing).toEqual([]);
    // The abort put the canary's traffic back on stable and ran the rollback action.
    expect([...done].filter((entry) => entry.startsWith(`${aborted}:`) && entry.endsWith(" rollback"))).not.toEqual([]);
  }, 400_000);

  it("leaves every deployment one root message and each reply of its thread once", async () => {
    expect(finals, "deployments the test above saw finish").toHaveLength(SERVICES * 2 + WITH_PRODUCTION);
    const { slack } = fleet;
    await Promise.all(finals.map((d) => summaryPosted(slack, d, 90_000)));
    expect(Object.fromEntries(finals.map((d) => [d.id, threadShape(slack, d)]))).toEqual(
      Object.fromEntries(finals.map((d) => [d.id, expectedThreadShape(d)])),
    );
  }, 120_000);

  it("spreads its keys over many hash slots on every master", async () => {
    const slotsPerNode = await Promise.all(
      masters(fleet.redis).map(async (node) => {
        const slots = new Set<number>();
        let cursor = "0";
        do {
          const [next, found] = await node.scan(cursor, "MATCH", keysPattern(fleet.prefix), "COUNT", 500);
          cursor = next;
          for (const key of found) slots.add((await node.call("CLUSTER", "KEYSLOT", key)) as number);
        } while (cursor !== "0");
        return slots.size;
      }),
    );
    console.log(JSON.stringify({ slotsPerNode }));
    expect(slotsPerNode.filter((n) => n > 0)).toHaveLength(3);
    // At least a slot per service, per deployment and per queue.
    expect(slotsPerNode.reduce((a, b) => a + b, 0)).toBeGreaterThan(SERVICES + SERVICES * 2 + WITH_PRODUCTION + 2);
  });
});
