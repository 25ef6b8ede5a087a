import { execFile } from "node:child_process";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Deployment, StageRun } from "../../src/domain/deployment.js";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { cleanupAfterEach } from "../support/cleanups.js";
import { eventually } from "../support/eventually.js";
import { manifestDir } from "../support/manifest-fixture.js";
import { channelOf, DEPLOYER, expectedLedgerKeys, mixedService } from "../support/mixed-pipeline.js";
import { REDIS_URL } from "../support/redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import { type LogLine, ROOT, type SlipwayProcess } from "../support/slipway-process.js";
import { expectedThreadShape, summaryPosted, threadShape } from "../support/thread-shape.js";

/*
 * A paused or held deployment survives a restart of every Slipway process.
 * One `slipway app` and two `slipway worker` processes run a canary of the
 * mixed pipeline (the example target's scripts, whose ledger records each
 * completed action once per idempotency key; setTraffic is a no-op): backup,
 * deploy, health-check, then 25% (held), 50% (held), 100%. In the middle of
 * a hold every process is stopped, by SIGTERM (each must exit 0) or by
 * SIGKILL (nothing cleans up), and new processes are started on the same
 * Redis and key prefix, talking to the same Slack stand-in.
 *
 * A hold is a delayed job in Redis and a pause is a mark on the deployment
 * record, so neither needs a process to survive. Paused, the deployment
 * must not move when the hold's job comes due, wherever that happens, and
 * Resume must continue it from the step that was due. Held, it must go on
 * by itself, no earlier than the hold allows. In every case no completed
 * step runs again (each stage is recorded and logged as started once, the
 * ledger has each action once) and the thread has one root message and
 * each reply once.
 *
 * Waiting is on events and state polled under a deadline: log lines, the
 * store, the stand-in's messages, the queues. The one wait on the clock is
 * "until the hold's end has passed" while every process is down, which is
 * the condition the scenario is about. A hold the processes must be back
 * before is made long enough for a restart on this machine as busy as it is
 * now: measured (how long Slipway takes to load), not assumed.
 */

const FIRST_STEP = "canary-25%";
const SECOND_STEP = "canary-50%";
const WORKERS = 2;

/* Helpers ------------------------------------------------------------------ */

function stage(d: Deployment, name: string): StageRun {
  const found = d.stages.find((s) => s.name === name);
  if (!found) throw new Error(`${d.id} has no stage ${name} (stages: ${d.stages.map((s) => s.name).join(", ")})`);
  return found;
}

function stageIndex(d: Deployment, name: string): number {
  return d.stages.indexOf(stage(d, name));
}

/** Holding after `name`: it succeeded and the next step waits for its time. */
function holdingAfter(name: string) {
  return (d: Deployment) => stage(d, name).status === "succeeded" && d.holdUntil !== undefined;
}

/** `<stage> <status> ×<attempts>` for every stage: what the record says ran, and how often. */
function runs(d: Deployment): string[] {
  return d.stages.map((s) => `${s.name} ${s.status} ×${s.attempts}`);
}

/**
 * How long stopping and starting every process may take here and now: the
 * time `slipway validate` takes (it loads as much code as a start does),
 * for each process starting at once, twice over, and room to stop them.
 */
async function restartAllowanceMs(): Promise<number> {
  const dir = await manifestDir({ "probe.yaml": mixedService("probe") });
  try {
    const started = Date.now();
    await promisify(execFile)(process.execPath, [join(ROOT, "dist", "main.js"), "validate", dir]);
    return 2 * (1 + WORKERS) * (Date.now() - started) + 5_000;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `hold`, or longer when a restart here needs longer to fit inside it. */
function atLeast(hold: string, allowanceMs: number): string {
  return `${Math.max(Number.parseInt(hold, 10), Math.ceil(allowanceMs / 1000))}s`;
}

/** Deadline for a due step to start once its time has come (a worker must pick its job up). */
const STEP_DEADLINE_MS = 60_000;

/** Deadline of one test: generous, as the holds grow with how busy the machine is. */
const TEST_DEADLINE_MS = 300_000;

/** Things to stop after each test, last started first. */
const cleanups = cleanupAfterEach();

/** An app and two workers for one canary service with the given holds; closed after the test (each must exit 0). */
async function startFleet(label: string, service: string, holds: readonly [string, string]): Promise<SlipwayFleet> {
  const fleet = await SlipwayFleet.start({
    label,
    manifests: { [`${service}.yaml`]: mixedService(service, { holds }) },
    redisUrl: REDIS_URL,
    workers: WORKERS,
  });
  cleanups.push(async () => {
    await closeFleet(fleet);
  });
  return fleet;
}

/**
 * Stops every process with `signal` and checks how each went: SIGTERM must
 * end each cleanly (exit 0), SIGKILL leaves each killed by the signal.
 */
async function stopEverything(fleet: SlipwayFleet, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  const stopped = await fleet.stopAll(signal);
  expect(stopped).toHaveLength(1 + WORKERS);
  for (const { process, code } of stopped) {
    if (signal === "SIGTERM") expect(code, process.describe()).toBe(0);
    else expect(process.child.signalCode).toBe("SIGKILL");
  }
}

/**
 * Waits until no Slack sync is queued or under way and no pipeline job is
 * running: the moment to SIGKILL everything for this test. (A sync killed
 * half-way keeps its per-deployment lock for 30 s and its job for a stalled
 * check; what that does to the thread is crash-windows.test.ts's subject,
 * not this file's.)
 */
async function quiet(fleet: SlipwayFleet): Promise<void> {
  const notify = fleet.queue("notify");
  const pipeline = fleet.queue("pipeline");
  try {
    await eventually(
      "no Slack sync pending and no pipeline job running",
      async () => {
        const syncs = await notify.getJobCounts("active", "wait", "delayed", "prioritized");
        const busy = await pipeline.getActiveCount();
        const pending = Object.values(syncs).reduce((a, b) => a + b, 0);
        return pending === 0 && busy === 0
          ? true
          : new Error(`syncs ${JSON.stringify(syncs)}, pipeline active ${busy}`);
      },
      20_000,
    );
  } finally {
    await notify.close();
    await pipeline.close();
  }
}

/** Resolves once `Date.now()` is past `at`: the wall clock is the thing being waited for. */
function clockPast(at: number, what: string): Promise<boolean> {
  return eventually(what, () => Date.now() > at, Math.max(0, at - Date.now()) + 5_000);
}

/** The first log line matching `predicate` from any of `processes`. */
function logFrom(
  processes: readonly SlipwayProcess[],
  what: string,
  predicate: (l: LogLine) => boolean,
  timeoutMs = 20_000,
) {
  return eventually(what, () => processes.flatMap((p) => p.logs).find(predicate), timeoutMs);
}

/** Milliseconds from the hold's start to each mark, and the hold's end. */
function timeline(marks: Record<string, number>, holding: Deployment): Record<string, number> {
  const from = stage(holding, FIRST_STEP).finishedAt ?? 0;
  return {
    holdEnds: (holding.holdUntil ?? 0) - from,
    ...Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, v - from])),
  };
}

/** How many times each stage of `id` was logged `stage started`, by every process there has been. */
function stageStarts(fleet: SlipwayFleet, id: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { line } of fleet.logs((l) => l.msg === "stage started" && l.deploymentId === id)) {
    const name = String(line.stage);
    counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts;
}

/**
 * What every scenario ends with: succeeded with each stage run once (record
 * and logs), each ledger action once and none missing, and the thread as the
 * notifier renders it: one root (showing Succeeded), each reply once; and no
 * process logged an error.
 */
async function expectCleanFinish(fleet: SlipwayFleet, d: Deployment): Promise<void> {
  expect(d.state, d.failureReason).toBe("succeeded");
  expect(runs(d)).toEqual(d.stages.map((s) => `${s.name} succeeded ×1`));
  expect(stageStarts(fleet, d.id)).toEqual(Object.fromEntries(d.stages.map((s) => [s.name, 1])));

  expect(await fleet.ledgerRepeats()).toEqual([]);
  const ledger = (await fleet.ledger()).filter((e) => e.key.startsWith(`${d.id}:`));
  expect(ledger.map((e) => `${e.key} ${e.action}`).sort()).toEqual(
    expectedLedgerKeys(d)
      .map(({ key, action }) => `${key} ${action}`)
      .sort(),
  );

  await summaryPosted(fleet.slack, d);
  await fleet.chat.rootOf(d.id, /\*Succeeded\*/, 30_000);
  expect(threadShape(fleet.slack, d)).toEqual(expectedThreadShape(d));
  // No process, old or new, logged an error on the way.
  expect(fleet.logs((l) => l.level >= 50).map(({ line }) => `${line.msg} ${JSON.stringify(line.err ?? "")}`)).toEqual(
    [],
  );
}

/* Paused ------------------------------------------------------------------- */

interface PausedCase {
  readonly signal: "SIGTERM" | "SIGKILL";
  /** When the new processes start: after the paused hold's end (its job is overdue) or before it. */
  readonly back: "after" | "before";
  /** When Resume is clicked: after the hold's job has found the pause, or before the hold's end (both jobs due at once). */
  readonly resume: "after" | "before";
  readonly holds: readonly [string, string];
}

const PAUSED: readonly PausedCase[] = [
  { signal: "SIGTERM", back: "after", resume: "after", holds: ["4s", "1s"] },
  { signal: "SIGKILL", back: "before", resume: "after", holds: ["12s", "1s"] },
  { signal: "SIGTERM", back: "before", resume: "before", holds: ["7s", "1s"] },
];

describe("a paused deployment, every Slipway process restarted", () => {
  for (const [i, { signal, back, resume, holds }] of PAUSED.entries()) {
    it(
      `${signal} in the hold, back ${back} its end, Resume ${resume} it: stays paused, then goes on from the due step`,
      async () => {
        const service = `paused-${i + 1}`;
        // The processes must be back (and Resume clicked) before the first hold's end: it must outlast a restart.
        const first = back === "before" ? atLeast(holds[0], await restartAllowanceMs()) : holds[0];
        const fleet = await startFleet(`restart-paused-${i + 1}`, service, [first, holds[1]]);
        const id = await fleet.deploy(DEPLOYER, channelOf(service), `staging v7.0.0 ${service}`);
        const marks: Record<string, number> = {};

        // Pause during the 25% hold; Slack shows it, with Resume.
        const holding = await eventually(
          "holding after 25%",
          async () => {
            const d = await fleet.store.require(id);
            return holdingAfter(FIRST_STEP)(d) ? d : undefined;
          },
          STEP_DEADLINE_MS,
        );
        expect(await fleet.chat.clickControl(id, DEPLOYER, ACTION_IDS.pause)).toBe(
          `Paused \`${id}\`. The current step finishes; nothing new starts until someone resumes.`,
        );
        await fleet.chat.rootOf(id, new RegExp(`paused by <@${DEPLOYER}>[\\s\\S]*\\[Resume\\]`));
        const paused = await fleet.store.require(id);
        const holdUntil = holding.holdUntil ?? 0;
        const due = stageIndex(paused, SECOND_STEP);
        expect(paused.paused?.by).toBe(DEPLOYER);
        marks.paused = Date.now();

        // Every process stopped; new ones started before or after the hold's job comes due.
        if (signal === "SIGKILL") await quiet(fleet);
        marks.stopping = Date.now();
        expect(Date.now(), "stopped before the hold's end").toBeLessThan(holdUntil);
        await stopEverything(fleet, signal);
        marks.down = Date.now();
        if (back === "after") await clockPast(holdUntil, "the hold's end, every process down");
        const fresh = await fleet.startAll(WORKERS);
        marks.up = Date.now();
        if (back === "before") expect(Date.now(), "back before the hold's end").toBeLessThan(holdUntil);

        /** Nothing moved: the record is the one the Pause wrote, and no new process has started a step. */
        const expectUntouched = async () => {
          const still = await fleet.store.require(id);
          expect({ rev: still.rev, paused: still.paused, runs: runs(still) }).toEqual({
            rev: paused.rev,
            paused: paused.paused,
            runs: runs(paused),
          });
          expect(runs(still).slice(due)).toEqual(["canary-50% pending ×0", "canary-100% pending ×0"]);
          expect(fresh.flatMap((p) => p.logs).filter((l) => l.msg === "stage started")).toEqual([]);
          const root = fleet.slack.textOf(await fleet.chat.rootOf(id));
          expect(root).toContain(`paused by <@${DEPLOYER}>`);
          expect(root).toContain("[Resume]");
          expect(root).not.toContain("[Pause]");
        };
        await expectUntouched();
        if (resume === "after") {
          // The hold's job runs in a new worker (at once when overdue, at the hold's end otherwise) and finds the pause.
          const refused = await logFrom(
            fresh,
            "the hold's job to run in a new worker and find the deployment paused",
            (l) => l.msg === "deployment is paused; Resume continues it" && l.jobId === `advance.${id}.${due}`,
            Math.max(0, holdUntil - Date.now()) + STEP_DEADLINE_MS,
          );
          expect(Date.parse(String(refused.time))).toBeGreaterThanOrEqual(holdUntil);
          await expectUntouched();
        }

        // Resume, through the new app: the due step runs once in a new worker, no earlier than the hold allows.
        marks.resume = Date.now();
        if (resume === "before") expect(Date.now(), "Resume before the hold's end").toBeLessThan(holdUntil);
        expect(await fleet.chat.clickControl(id, DEPLOYER, ACTION_IDS.resume)).toBe(`Resumed \`${id}\`.`);
        const resumed = await logFrom(
          fresh,
          "the due step to start in a new worker",
          (l) => l.msg === "stage started" && l.deploymentId === id,
          Math.max(0, holdUntil - Date.now()) + STEP_DEADLINE_MS,
        );
        expect(resumed.stage).toBe(SECOND_STEP);
        expect(Date.parse(String(resumed.time)), "the due step started after the hold").toBeGreaterThanOrEqual(
          holdUntil,
        );
        if (resume === "before") {
          // Both the hold's job and Resume's came due at the hold's end, in new workers; one of them ran the step.
          const jobs = await eventually("both jobs for the due step to have run", () => {
            const seen = new Set(
              fresh
                .flatMap((p) => p.logs)
                .map((l) => String(l.jobId ?? ""))
                .filter((job) => job.startsWith(`advance.${id}.${due}`)),
            );
            return seen.size === 2 ? [...seen].sort() : new Error(`jobs seen: ${[...seen].join(", ")}`);
          });
          expect(jobs).toEqual([
            `advance.${id}.${due}`,
            expect.stringMatching(new RegExp(`^advance\\.${id}\\.${due}\\.resume`)),
          ]);
        }
        const [done] = await fleet.allFinal([id], 30_000);
        marks.ended = Date.now();
        if (!done) throw new Error(`no record of ${id}`);
        expect(done.paused).toBeUndefined();
        await expectCleanFinish(fleet, done);
        console.log(JSON.stringify({ test: `paused ${i + 1}`, ...timeline(marks, holding) }));
      },
      TEST_DEADLINE_MS,
    );
  }
});

/* Held --------------------------------------------------------------------- */

describe("a held deployment, every Slipway process restarted", () => {
  it(
    "goes on by itself after each hold: back before one hold's end (SIGTERM), after the other's (SIGKILL)",
    async () => {
      const service = "held";
      // Back before the first hold's end, killed (once Slack is quiet) before the second's: both outlast a restart.
      const allowance = await restartAllowanceMs();
      const fleet = await startFleet("restart-held", service, [atLeast("7s", allowance), atLeast("2s", allowance)]);
      const id = await fleet.deploy(DEPLOYER, channelOf(service), `staging v7.1.0 ${service}`);
      const untilHolding = (after: string) =>
        eventually(
          `holding after ${after}`,
          async () => {
            const d = await fleet.store.require(id);
            return holdingAfter(after)(d) ? d : undefined;
          },
          STEP_DEADLINE_MS,
        );

      // 25% hold: SIGTERM, back before its end; the next step starts when it ends, in a new worker.
      const first = await untilHolding(FIRST_STEP);
      const firstEnd = first.holdUntil ?? 0;
      const marks: Record<string, number> = { stopping: Date.now() };
      await stopEverything(fleet, "SIGTERM");
      marks.down = Date.now();
      const second = await fleet.startAll(WORKERS);
      marks.up = Date.now();
      expect(Date.now(), "back before the 25% hold's end").toBeLessThan(firstEnd);
      const at50 = await logFrom(
        second,
        "50% to start in a new worker",
        (l) => l.msg === "stage started" && l.deploymentId === id && l.stage === SECOND_STEP,
        Math.max(0, firstEnd - Date.now()) + STEP_DEADLINE_MS,
      );
      expect(Date.parse(String(at50.time)), "50% started no earlier than the hold allowed").toBeGreaterThanOrEqual(
        firstEnd,
      );

      // 50% hold: SIGKILL, back after its end; its overdue job runs as soon as a worker is there.
      const held = await untilHolding(SECOND_STEP);
      const secondEnd = held.holdUntil ?? 0;
      marks.holding50 = Date.now();
      await quiet(fleet);
      marks.killing = Date.now();
      expect(Date.now(), "killed before the 50% hold's end").toBeLessThan(secondEnd);
      await stopEverything(fleet, "SIGKILL");
      marks.killed = Date.now();
      await clockPast(secondEnd, "the 50% hold's end, every process down");
      const third = await fleet.startAll(WORKERS);
      marks.upAgain = Date.now();
      const at100 = await logFrom(
        third,
        "100% to start in a new worker",
        (l) => l.msg === "stage started" && l.deploymentId === id && l.stage === "canary-100%",
      );
      expect(Date.parse(String(at100.time))).toBeGreaterThanOrEqual(secondEnd);

      const [done] = await fleet.allFinal([id], 30_000);
      if (!done) throw new Error(`no record of ${id}`);
      // Each hold was waited out in full, though no process was there for part of it.
      for (const [after, next, end] of [
        [FIRST_STEP, SECOND_STEP, firstEnd],
        [SECOND_STEP, "canary-100%", secondEnd],
      ] as const) {
        expect(stage(done, next).startedAt ?? 0, `the hold after ${after}`).toBeGreaterThanOrEqual(end);
      }
      await expectCleanFinish(fleet, done);
      console.log(JSON.stringify({ test: "held", ...timeline({ ...marks, secondEnd }, first) }));
    },
    TEST_DEADLINE_MS,
  );
});
