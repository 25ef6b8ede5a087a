import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { eventually } from "../support/eventually.js";
import { seededRandom } from "../support/fuzz-inputs.js";
import {
  APPROVER,
  channelOf,
  DEPLOYER,
  deploymentPlan,
  expectedLedgerKeys,
  mixedManifests,
} from "../support/mixed-pipeline.js";
import { PrivateRedis } from "../support/private-redis.js";
import { SlipwayFleet } from "../support/slipway-fleet.js";
import type { LogLine, SlipwayProcess } from "../support/slipway-process.js";

/*
 * Kill -9 of a worker at any point (SPEC, Quality bars): one `slipway app`
 * and two `slipway worker` processes on a Redis of their own run ~30
 * deployments of a mixed pipeline (stages of the example target that take
 * ~300 ms, canary holds of 1–2 s with a no-op setTraffic, a few behind an
 * approval clicked in the stand-in). While they run, a random worker is
 * SIGKILLed several times, each time once it has started a random number of
 * stages, and a replacement is started.
 *
 * Every deployment must end in a final state, and the example ledger must
 * show no completed action twice for one idempotency key (and none missing
 * for a deployment that succeeded). The time from each kill to the first
 * restart of a stage the dead worker had in hand is measured: a dead
 * worker's jobs wait for BullMQ's lock (30 s, not configurable through the
 * environment) to expire and a stalled-job check (every 30 s) to notice.
 */

const SERVICES = 12;
const WITH_PRODUCTION = 6; // 12 development + 12 staging + 6 production = 30 deployments
/**
 * After the last kill: lock expiry (≤ 30 s) + stalled check (≤ 30 s) + the
 * work itself; and a deployment whose next job was lost in the kill (see the
 * report: a crash between recording `running` and queuing the first step)
 * waits for the watchdog, which acts after 2 min without a change.
 */
const FINISH_MS = 170_000;

interface Kill {
  readonly at: number;
  readonly victim: number;
  /** `<deploymentId> <stage>` of stages the victim had started and not finished. */
  readonly inFlight: { deploymentId: string; stage: string; attempt: number }[];
  resumedAfterMs?: number;
}

function isStageStart(line: LogLine): boolean {
  return line.msg === "stage started";
}

/** Stages a process started and never reported finished. */
function unfinished(p: SlipwayProcess): { deploymentId: string; stage: string; attempt: number }[] {
  const finished = new Set(
    p.logs.filter((l) => l.msg === "stage finished").map((l) => `${l.deploymentId} ${l.stage} ${l.attempt}`),
  );
  return p.logs
    .filter(isStageStart)
    .filter((l) => !finished.has(`${l.deploymentId} ${l.stage} ${l.attempt}`))
    .map((l) => ({ deploymentId: String(l.deploymentId), stage: String(l.stage), attempt: Number(l.attempt) }));
}

describe("SIGKILL of workers mid-pipeline", () => {
  let redis: PrivateRedis;
  let fleet: SlipwayFleet;
  const seed = Number(process.env.SEED ?? Date.now() % 100_000);
  // Deterministic choices of victim and moment, so a failing run can be repeated with SEED.
  const random = seededRandom(seed);

  beforeAll(async () => {
    redis = await PrivateRedis.start({ appendonly: true });
    const { manifests } = mixedManifests(SERVICES, WITH_PRODUCTION);
    fleet = await SlipwayFleet.start({
      label: "kill-workers",
      manifests,
      redisUrl: redis.url,
      workers: 2,
      workerEnv: {
        SLIPWAY_EXAMPLE_DELAY_MS: "300",
        SLIPWAY_WORKER_CONCURRENCY: "4",
        // BullMQ's default (30 s) unless the run asks for another, to compare.
        ...(process.env.SLIPWAY_JOB_LOCK_MS ? { SLIPWAY_JOB_LOCK_MS: process.env.SLIPWAY_JOB_LOCK_MS } : {}),
      },
    });
  });

  afterAll(async () => {
    const codes = (await fleet?.close()) ?? [];
    await redis?.stop();
    for (const { process, code } of codes) expect(code, process.describe()).toBe(0);
  });

  it("ends every deployment, runs no completed action twice, and resumes a dead worker's stages", async () => {
    const { services } = mixedManifests(SERVICES, WITH_PRODUCTION);
    const plan = deploymentPlan(services, WITH_PRODUCTION);
    const ids: string[] = [];
    const kinds = new Map<string, string>();
    const kills: Kill[] = [];
    const approvals: Promise<string>[] = [];

    /**
     * Clicks Approve on a production deployment's card once the notifier has
     * posted it. The card is found by its channel (one production deployment
     * per service), not under the first root message: a kill can leave a
     * deployment with two root messages (see crash-windows.test.ts).
     */
    const approve = async (service: string): Promise<string> => {
      const { slack } = fleet;
      const card = await slack.waitForMessage(
        (m) =>
          m.channel === channelOf(service) &&
          m.threadTs !== undefined &&
          /Approval needed[\s\S]*Needs 1 approval \(0 so far\)/.test(slack.textOf(m)),
        { timeoutMs: FINISH_MS },
      );
      const clicked = await slack.interact(fleet.chat.approvePayload(card, APPROVER));
      if (clicked.status !== 200 || !clicked.responseUrl) throw new Error(`Approve answered HTTP ${clicked.status}`);
      return slack.textOf((await slack.waitForResponse(clicked.responseUrl, { timeoutMs: 30_000 })).body);
    };

    /** SIGKILLs a random worker once it has started 1–3 more stages, and starts a replacement. */
    const killOne = async () => {
      const index = Math.floor(random() * fleet.workers.length);
      const victim = fleet.workers[index] as SlipwayProcess;
      const before = victim.logs.filter(isStageStart).length;
      const more = 1 + Math.floor(random() * 3);
      const started = await eventually(
        `worker ${index} to start ${more} more stage(s)`,
        () => victim.logs.filter(isStageStart).length >= before + more,
        20_000,
        10,
      ).catch(() => false);
      if (!started) return;
      const inFlight = unfinished(victim);
      const at = await fleet.signal(victim, "SIGKILL");
      kills.push({ at, victim: fleet.processes.indexOf(victim), inFlight });
      await fleet.addWorker();
    };

    // Thirty /deploy commands, with a kill after every eighth and after the last.
    for (const [i, { service, environment }] of plan.entries()) {
      const id = await fleet.deploy(
        DEPLOYER,
        channelOf(service),
        `${environment} v2.${Math.floor(i / 10)}.0 ${service}`,
      );
      ids.push(id);
      kinds.set(id, environment);
      if (environment === "production") approvals.push(approve(service));
      if ((i + 1) % 8 === 0 || i === plan.length - 1) await killOne();
    }
    expect(ids).toHaveLength(30);
    expect(kills.length, "kills that found a worker at work").toBeGreaterThanOrEqual(3);

    for (const answer of await Promise.all(approvals))
      expect(answer).toMatch(/^Approved; `d-[a-z0-9]+` is starting\.$/);
    const finals: Deployment[] = await fleet.allFinal(ids, FINISH_MS);

    // Time to resume: from each kill to the first restart (by another worker) of a stage the victim had in hand.
    const starts = fleet.logs(isStageStart);
    for (const kill of kills) {
      const resumes = kill.inFlight
        .map(({ deploymentId, stage, attempt }) =>
          starts.find(
            ({ line }) => line.deploymentId === deploymentId && line.stage === stage && Number(line.attempt) > attempt,
          ),
        )
        .filter((found) => found !== undefined)
        .map(({ line }) => Date.parse(String(line.time)) - kill.at);
      if (resumes.length > 0) kill.resumedAfterMs = Math.min(...resumes);
    }

    const failed = finals.filter((d) => d.state !== "succeeded");
    // Not asserted here (see crash-windows.test.ts): what the kills did to the Slack threads.
    const { slack } = fleet;
    const rootsOf = (id: string, channel: string) =>
      slack.messages(channel).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id));
    const doubledRoots = finals.filter((d) => rootsOf(d.id, d.channel).length > 1).map((d) => d.id);
    const doubledReplies = finals.flatMap((d) =>
      rootsOf(d.id, d.channel).flatMap((root) => {
        const texts = slack.thread(d.channel, root.ts).map((m) => slack.textOf(m));
        return d.stages
          .filter((s) => texts.filter((t) => t.includes(`*${s.name}* succeeded`)).length > 1)
          .map((s) => `${d.id}:${s.name}`);
      }),
    );
    const retried = finals.flatMap((d) => d.stages.filter((s) => s.attempts > 1).map((s) => `${d.id}:${s.name}`));
    const durations = finals.map((d) => (d.finishedAt ?? 0) - d.createdAt).sort((a, b) => a - b);
    console.log(
      JSON.stringify(
        {
          seed,
          kills: kills.map((k) => ({
            victim: k.victim,
            inFlight: k.inFlight.map((s) => `${s.deploymentId}:${s.stage}#${s.attempt}`),
            resumedAfterMs: k.resumedAfterMs ?? null,
          })),
          states: Object.fromEntries(
            ["succeeded", "failed"].map((s) => [s, finals.filter((d) => d.state === s).length]),
          ),
          failed: failed.map((d) => `${d.id} ${kinds.get(d.id)} ${d.state}: ${d.failureReason ?? "(no reason)"}`),
          stagesRetried: retried.length,
          slackThreads: { doubledRoots, doubledReplies },
          // Deployments whose next job was lost and that only the watchdog (2 min without a change) set moving again.
          rescuedByWatchdog: fleet
            .logs((l) => l.msg === "deployment stopped moving; queuing its next step again")
            .map(({ line }) => `${line.deploymentId} step ${line.due} at ${line.time}`),
          durationMs: { min: durations[0], median: durations[Math.floor(durations.length / 2)], max: durations.at(-1) },
        },
        null,
        2,
      ),
    );

    // Every deployment ended: succeeded, or failed with a reason a person can act on.
    for (const d of finals) {
      expect(["succeeded", "failed"], `${d.id} ended ${d.state}`).toContain(d.state);
      if (d.state === "failed") expect(d.failureReason ?? "", `${d.id} failed without a reason`).toMatch(/\w{3,}/);
    }
    // A kill cut stages short, and they were run again by another worker (the record counts attempts).
    expect(kills.some((k) => k.inFlight.length > 0)).toBe(true);
    expect(retried.length).toBeGreaterThan(0);
    for (const kill of kills) if (kill.inFlight.length > 0) expect(kill.resumedAfterMs).toBeDefined();

    // No completed side effect twice; and none missing from a deployment that succeeded.
    expect(await fleet.ledgerRepeats()).toEqual([]);
    const ledger = await fleet.ledger();
    const done = new Set(ledger.map((e) => `${e.key} ${e.action}`));
    const missing = finals
      .filter((d) => d.state === "succeeded")
      .flatMap(expectedLedgerKeys)
      .filter(({ key, action }) => !done.has(`${key} ${action}`));
    expect(missing).toEqual([]);
  }, 230_000);
});
