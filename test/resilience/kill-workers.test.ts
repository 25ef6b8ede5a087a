import { mkdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  mixedService,
} from "../support/mixed-pipeline.js";
import { PrivateRedis } from "../support/private-redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import type { LogLine, SlipwayProcess } from "../support/slipway-process.js";

/*
 * Kill -9 of a worker at any point (SPEC, Quality bars): one `slipway app`
 * and two `slipway worker` processes on a Redis of their own run ~30
 * deployments of a mixed pipeline (stages of the example target that take
 * ~300 ms, canary holds of 1–2 s with a no-op setTraffic, a few behind an
 * approval clicked in the stand-in). While they run, a worker is SIGKILLed
 * several times and a replacement started: once it has started a random
 * number of stages, once it has started a canary traffic step, once while a
 * canary holds between steps.
 *
 * A crash is never why a deployment fails: every one must succeed (all
 * versions are good, every action idempotent), the example ledger must show
 * no completed action twice for one idempotency key and none missing, and
 * each stage a kill cut short must be taken over by another worker (the time
 * from the kill to its next attempt is reported). Jobs' locks last
 * SLIPWAY_JOB_LOCK_MS (5 s here unless the run sets it).
 *
 * Then a canary whose last step fails for real after weight 50, with the
 * worker running its 50% step killed: it takes the way back, ends
 * `rolled_back` with traffic on stable, and its incident alert comes.
 *
 * Each run writes what it measured, from the processes' log timestamps, the
 * records and the stand-in's message timestamps, to
 * `<os.tmpdir()>/slipway-kill-workers/<time>-seed<seed>.json` and prints it
 * as one `kill-workers measured: {…}` line: deployments succeeded / total,
 * the longest time a killed worker's step waited to be taken over, and the
 * longest delay of an incident alert after its failure.
 */

const SERVICES = 12;
const WITH_PRODUCTION = 6; // 12 development + 12 staging + 6 production = 30 deployments
const LOCK_MS = process.env.SLIPWAY_JOB_LOCK_MS ?? "5000";
/**
 * A deadline, not a wait: lock expiry and a stalled check (≤ 2 locks) per
 * kill, and the work itself, on a busy machine; a deployment whose next job
 * was lost waits for the watchdog (2 min without a change).
 */
const FINISH_MS = 170_000;
/** Deadline for the fleet (an app and two workers, one after the other) to start on a busy machine. */
const START_DEADLINE_MS = 300_000;
/** The canary whose promotion fails: its setTraffic records the weight it set, and refuses 100%. */
const BROKEN = "svc-broken";
const INCIDENTS = "C0INCIDENTS";

function brokenCanary(): string {
  const setTraffic = [
    "const fs = require('node:fs'), path = require('node:path');",
    "const weight = process.env.SLIPWAY_TRAFFIC_WEIGHT;",
    "Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.SLIPWAY_EXAMPLE_DELAY_MS || 0));",
    "if (weight === '100') { console.error('router refused 100%'); process.exit(4); }",
    "fs.writeFileSync(path.join(process.env.SLIPWAY_EXAMPLE_STATE, 'weight-' + process.env.SLIPWAY_SERVICE), weight);",
    "console.log('weight ' + weight);",
  ].join(" ");
  return mixedService(BROKEN)
    .replace(`  deploy: ${channelOf(BROKEN)}`, `  deploy: ${channelOf(BROKEN)}\n  incidents: ${INCIDENTS}`)
    .replace(
      "    setTraffic: [node, examples/targets/set-traffic.mjs]",
      `    setTraffic: [node, -e, ${JSON.stringify(setTraffic)}]`,
    );
}

type KillKind = "stages" | "traffic-step" | "hold";

/** What one run measured, written when it ends (see the top of this file). */
interface Measured {
  seed: number;
  lockMs: number;
  /** Of the crash scenario's deployments (all good versions), how many succeeded. */
  deployments?: { succeeded: number; total: number };
  /** From each SIGKILL to the next attempt, by another worker, of a step the killed worker had in hand. */
  takeoverMs: number[];
  /** From the failed step's end (its record) to its incident alert's message (the stand-in's ts). */
  alertDelayMs: number[];
}

/** Where each run's measurement goes. */
const MEASURED_DIR = join(tmpdir(), "slipway-kill-workers");

interface Kill {
  readonly kind: KillKind;
  readonly at: number;
  readonly victim: number;
  /** Canary deployments holding between traffic steps when the kill came. */
  readonly holding: string[];
  /** `<deploymentId> <stage>` of stages the victim had started and not finished. */
  inFlight: { deploymentId: string; stage: string; attempt: number }[];
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
  const measured: Measured = { seed, lockMs: Number(LOCK_MS), takeoverMs: [], alertDelayMs: [] };

  beforeAll(async () => {
    redis = await PrivateRedis.start({ appendonly: true });
    const { manifests } = mixedManifests(SERVICES, WITH_PRODUCTION);
    fleet = await SlipwayFleet.start({
      label: "kill-workers",
      manifests: { ...manifests, [`${BROKEN}.yaml`]: brokenCanary() },
      redisUrl: redis.url,
      workers: 2,
      workerEnv: {
        SLIPWAY_EXAMPLE_DELAY_MS: "300",
        SLIPWAY_WORKER_CONCURRENCY: "4",
        SLIPWAY_JOB_LOCK_MS: LOCK_MS,
      },
    });
  }, START_DEADLINE_MS);

  afterAll(async () => {
    const summary = {
      ...measured,
      longestTakeoverMs: measured.takeoverMs.length > 0 ? Math.max(...measured.takeoverMs) : null,
      longestAlertDelayMs: measured.alertDelayMs.length > 0 ? Math.max(...measured.alertDelayMs) : null,
    };
    await mkdir(MEASURED_DIR, { recursive: true });
    const file = join(MEASURED_DIR, `${new Date().toISOString().replaceAll(":", "-")}-seed${seed}.json`);
    await writeFile(file, `${JSON.stringify(summary, null, 2)}\n`);
    console.log(`kill-workers measured: ${JSON.stringify(summary)} (written to ${file})`);
    try {
      await closeFleet(fleet);
    } finally {
      await redis?.stop();
    }
  });

  it("succeeds every deployment, runs no completed action twice, and takes over a dead worker's stages", async () => {
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

    /** Canary deployments between two traffic steps right now. */
    const holding = async (): Promise<string[]> => {
      const staging = ids.filter((id) => kinds.get(id) === "staging");
      const records = await Promise.all(staging.map((id) => fleet.store.require(id)));
      const now = Date.now();
      return records
        .filter((d) => d.state === "running" && d.holdUntil !== undefined && d.holdUntil > now)
        .map((d) => d.id);
    };

    /**
     * SIGKILLs a worker and starts a replacement: `stages`, a random worker
     * once it has started 1–3 more stages; `traffic-step`, the first worker
     * to start a canary traffic step; `hold`, a random worker while a canary
     * holds between steps.
     */
    const killOne = async (kind: KillKind) => {
      const counts = fleet.workers.map((w) => w.logs.filter(isStageStart).length);
      const more = 1 + Math.floor(random() * 3);
      const pick = Math.floor(random() * fleet.workers.length);
      const victim = await eventually(
        `a worker to kill (${kind})`,
        async () => {
          if (kind === "hold") return (await holding()).length > 0 ? fleet.workers[pick] : undefined;
          if (kind === "stages") {
            const w = fleet.workers[pick];
            return w && w.logs.filter(isStageStart).length >= (counts[pick] ?? 0) + more ? w : undefined;
          }
          return fleet.workers.find((w, i) =>
            w.logs
              .filter(isStageStart)
              .slice(counts[i] ?? 0)
              .some((l) => String(l.stage).startsWith("canary-")),
          );
        },
        30_000,
        10,
      ).catch(() => undefined);
      if (!victim) return;
      const inFlight = unfinished(victim);
      const during = await holding();
      const at = await fleet.signal(victim, "SIGKILL");
      kills.push({ kind, at, victim: fleet.processes.indexOf(victim), inFlight, holding: during });
      await fleet.addWorker();
    };
    const order: KillKind[] = ["traffic-step", "hold", "stages", "traffic-step", "hold"];

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
      if ((i + 1) % 6 === 0) await killOne(order[(i + 1) / 6 - 1] ?? "stages");
    }
    expect(ids).toHaveLength(30);
    expect(kills.length, "kills that found a worker at work").toBeGreaterThanOrEqual(4);

    for (const answer of await Promise.all(approvals))
      expect(answer).toMatch(/^Approved; `d-[a-z0-9]+` is starting\.$/);
    const finals: Deployment[] = await fleet.allFinal(ids, FINISH_MS);

    // Time to resume: from each kill to the first restart (by another worker) of a stage the victim had in
    // hand. A stage whose result the victim recorded before it died (its log line not read yet) needs none.
    const starts = fleet.logs(isStageStart);
    const finishedBy = (deploymentId: string, stage: string, attempt: number) =>
      finals.find((d) => d.id === deploymentId)?.stages.find((s) => s.name === stage)?.attempts === attempt;
    for (const kill of kills) {
      kill.inFlight = kill.inFlight.filter(
        ({ deploymentId, stage, attempt }) => !finishedBy(deploymentId, stage, attempt),
      );
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
    measured.deployments = { succeeded: finals.length - failed.length, total: finals.length };
    measured.takeoverMs.push(...kills.flatMap((k) => (k.resumedAfterMs === undefined ? [] : [k.resumedAfterMs])));
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
          lockMs: Number(LOCK_MS),
          kills: kills.map((k) => ({
            kind: k.kind,
            holding: k.holding.length,
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

    // A crash is never why a deployment fails: every one succeeded, canaries killed mid-step and mid-hold too.
    expect(failed.map((d) => `${d.id} ${d.state}: ${d.failureReason ?? d.paused?.reason ?? ""}`)).toEqual([]);
    const canaries = new Set(ids.filter((id) => kinds.get(id) === "staging"));
    const killedMidStep = kills
      .filter((k) => k.kind === "traffic-step")
      .flatMap((k) => k.inFlight.filter((s) => canaries.has(s.deploymentId) && s.stage.startsWith("canary-")));
    expect(killedMidStep.length, "canary traffic steps cut short by a kill").toBeGreaterThan(0);
    expect(
      kills.filter((k) => k.kind === "hold" && k.holding.length > 0).length,
      "kills during a hold",
    ).toBeGreaterThan(0);
    // A kill cut stages short, and they were run again by another worker (the record counts attempts).
    expect(retried.length).toBeGreaterThan(0);
    for (const kill of kills)
      if (kill.inFlight.length > 0) expect(kill.resumedAfterMs, JSON.stringify(kill)).toBeDefined();

    // No completed side effect twice; and none missing from a deployment that succeeded.
    expect(await fleet.ledgerRepeats()).toEqual([]);
    const ledger = await fleet.ledger();
    const done = new Set(ledger.map((e) => `${e.key} ${e.action}`));
    const missing = finals
      .filter((d) => d.state === "succeeded")
      .flatMap(expectedLedgerKeys)
      .filter(({ key, action }) => !done.has(`${key} ${action}`));
    expect(missing).toEqual([]);
  }, 400_000);

  it("takes the way back when a canary's step fails for real after 50%, its 50% step's worker killed", async () => {
    const id = await fleet.deploy(DEPLOYER, channelOf(BROKEN), `staging v3.0.0 ${BROKEN}`);
    const runs50 = (w: SlipwayProcess) =>
      w.logs.some((l) => isStageStart(l) && l.deploymentId === id && l.stage === "canary-50%");
    const victim = await eventually("a worker to start the 50% step", () => fleet.workers.find(runs50), 60_000, 10);
    const killedAt = await fleet.signal(victim, "SIGKILL");
    await fleet.addWorker();
    const cutShort = unfinished(victim).filter((s) => s.deploymentId === id);

    const [d] = await fleet.allFinal([id], FINISH_MS);
    expect(d?.state).toBe("rolled_back");
    expect(d?.stages.map((s) => `${s.name} ${s.status}`).slice(-3)).toEqual([
      "canary-25% succeeded",
      "canary-50% succeeded",
      "canary-100% failed",
    ]);
    expect(d?.rollback?.reason).toBe("automatic rollback: stage canary-100% exited with code 4");
    expect(d?.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["traffic-to-stable true", "rollback true"]);
    // Traffic is back on stable: the last weight the target was asked for is 0.
    expect(await readFile(join(fleet.exampleState, `weight-${BROKEN}`), "utf8")).toBe("0");
    const { slack } = fleet;
    const root = await fleet.chat.rootOf(id, /\*Rolled back\*/, 30_000);
    expect(slack.textOf(root)).toContain(`*Traffic:* all on the stable version`);
    expect(slack.textOf(root)).not.toContain("*Canary weight:*");
    const alert = await slack.waitForMessage(
      (m) => m.channel === INCIDENTS && slack.textOf(m).includes(id) && slack.textOf(m).includes("✅ rollback"),
      { timeoutMs: 30_000 },
    );
    expect(slack.textOf(alert)).toContain("*What tripped:* stage canary-100% exited with code 4");
    const failedAt = d?.stages.find((s) => s.name === "canary-100%")?.finishedAt ?? 0;
    const firstAlert = slack.messages(INCIDENTS).filter((m) => slack.textOf(m).includes(id));
    expect(firstAlert).toHaveLength(1);
    measured.alertDelayMs.push(slackMs(firstAlert[0]?.ts ?? "0") - failedAt);
    // The 50% step the kill cut short (if the victim had not recorded it yet), taken over by another worker.
    for (const { stage, attempt } of cutShort) {
      const next = fleet
        .logs(isStageStart)
        .find(({ line }) => line.deploymentId === id && line.stage === stage && Number(line.attempt) > attempt);
      if (next) measured.takeoverMs.push(Date.parse(String(next.line.time)) - killedAt);
    }
    console.log(
      JSON.stringify({
        wayBack: { killedAt, failedAt, alertPostedAfterFailureMs: slackMs(firstAlert[0]?.ts ?? "0") - failedAt },
      }),
    );
  }, 300_000);
});

/** A Slack ts as ms since the epoch. */
function slackMs(ts: string): number {
  return Math.round(Number(ts) * 1000);
}
