import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { eventually } from "../support/eventually.js";
import { insidePids, release, writeGatedAction } from "../support/gated-action.js";
import { REDIS_URL } from "../support/redis.js";
import { alive } from "../support/sample-stack.js";
import { closeFleet, type LedgerEntry, SlipwayFleet } from "../support/slipway-fleet.js";
import { type LogLine, ROOT, type SlipwayProcess } from "../support/slipway-process.js";

/*
 * A worker frozen (SIGSTOP) in the middle of a long stage, past its job
 * lock, while another worker takes the step over; then thawed (SIGCONT).
 * The lock is set short (SLIPWAY_JOB_LOCK_MS=5000, BullMQ's default is
 * 30 s), and the worker stays stopped until the other one has actually
 * taken over: that needs BullMQ's stalled-job check, which runs every 30 s
 * whatever the lock and needs two passes, so the takeover comes 30–60 s
 * after the stop (measured and printed).
 *
 * The long stage is the `deploy` action, a script that goes through the
 * example target's ledger and then waits until the test releases it. Three
 * deployments are frozen with the worker (A), each in its deploy step, and
 * let go differently:
 *
 *   early   released while A is frozen, before the takeover: the first
 *           attempt completes the action, the second finds it in the ledger.
 *   thawed  still running at the takeover; A is thawed before anything is
 *           released: A notices it lost the lock and kills its attempt, the
 *           new worker's attempt does the work once.
 *   overlap released after the takeover while A is still frozen: both
 *           attempts are inside the action at once.
 *
 * In every case A's late result is refused (the record keeps attempt 2's
 * output), and the ledger must show the action once.
 */

const CASES = ["early", "thawed", "overlap"] as const;
type Case = (typeof CASES)[number];
const USER = "U0DEPLOY01";
/** Lock expiry (≤ 30 s after the last renewal) and a stalled-job check (every 30 s). */
const TAKEOVER_MS = 90_000;

function manifest(service: string, gated: string, root: string): string {
  return `service: ${service}
channels:
  deploy: C0${service.replace(/-/g, "").toUpperCase()}
target:
  type: command
  workdir: ${JSON.stringify(root)}
  timeoutSeconds: 600
  actions:
    deploy: [node, ${JSON.stringify(gated)}]
    backup: [node, examples/targets/backup.mjs]
    healthCheck: [node, examples/targets/health-check.mjs]
environments:
  development:
    stages:
      - name: backup
        action: backup
      - name: deploy
        action: deploy
      - name: health-check
        action: healthCheck
`;
}

interface Outcome {
  readonly id: string;
  readonly record: Deployment;
  readonly ledger: LedgerEntry[];
  /** Pids of the first attempt (A's) and the second (the new worker's) inside the action. */
  readonly firstPid: number;
  readonly secondPid: number | undefined;
}

describe("a worker stopped past its lock in the middle of a long stage", () => {
  let fleet: SlipwayFleet;
  let scripts: string;
  let frozen: SlipwayProcess;
  const outcomes = new Map<Case, Outcome>();
  const measured: Record<string, number> = {};

  beforeAll(async () => {
    scripts = await mkdtemp(join(tmpdir(), "slipway-gated-"));
    const gated = await writeGatedAction(scripts);
    fleet = await SlipwayFleet.start({
      label: "stopped-worker",
      manifests: Object.fromEntries(CASES.map((c) => [`stop-${c}.yaml`, manifest(`stop-${c}`, gated, ROOT)])),
      redisUrl: REDIS_URL,
      workers: 1,
      workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "100", SLIPWAY_WORKER_CONCURRENCY: "4", SLIPWAY_JOB_LOCK_MS: "5000" },
    });
    frozen = fleet.workers[0] as SlipwayProcess;
    const state = fleet.exampleState;

    const ids = new Map<Case, string>();
    for (const c of CASES)
      ids.set(c, await fleet.deploy(USER, `C0STOP${c.toUpperCase()}`, `development v1.0.0 stop-${c}`));
    const key = (c: Case) => `${ids.get(c)}:deploy`;
    const deployStarted = (c: Case) => (l: LogLine) =>
      l.msg === "stage started" && l.deploymentId === ids.get(c) && l.stage === "deploy";

    // All three inside their deploy action on worker A; then A is frozen.
    await eventually("the three first attempts inside the deploy action", () =>
      CASES.every((c) => insidePids(state, key(c)).length === 1),
    );
    const firstPids = new Map(CASES.map((c) => [c, insidePids(state, key(c))[0] as number]));
    const stoppedAt = await fleet.signal(frozen, "SIGSTOP");

    // early: the first attempt completes while A is frozen.
    await release(state, key("early"));
    await eventually("the early action in the ledger", async () =>
      (await fleet.ledger()).some((e) => e.key === key("early")),
    );

    // Another worker takes the three steps over once A's locks have expired.
    const taker = await fleet.addWorker();
    const takeovers = await Promise.all(
      CASES.map((c) => taker.waitForLog((l) => deployStarted(c)(l) && Number(l.attempt) === 2, TAKEOVER_MS)),
    );
    for (const [i, line] of takeovers.entries())
      measured[`takeover ${CASES[i]} (ms after SIGSTOP)`] = Date.parse(String(line.time)) - stoppedAt;

    // overlap: both attempts inside the action; released while A is still frozen.
    await eventually("two attempts inside the overlap action", () => insidePids(state, key("overlap")).length === 2);
    await release(state, key("overlap"));
    const overlapSecond = insidePids(state, key("overlap")).find((pid) => pid !== firstPids.get("overlap"));
    await eventually("both overlap attempts to have exited", () =>
      insidePids(state, key("overlap")).every((pid) => !alive(pid)),
    );

    // thawed: the second attempt is inside; A is thawed and must stop its own attempt.
    await eventually(
      "the second thawed attempt inside the action",
      () => insidePids(state, key("thawed")).length === 2,
    );
    const thawedAt = await fleet.signal(frozen, "SIGCONT");
    measured["A frozen for (ms)"] = thawedAt - stoppedAt;
    const lost = await frozen.waitForLog(
      (l) =>
        l.msg === "lost the lock of a pipeline job; stopping its stage" && l.jobId === `check.${ids.get("thawed")}.0`,
      20_000,
    );
    measured["A noticed the lost lock (ms after SIGCONT)"] = Date.parse(String(lost.time)) - thawedAt;
    const thawedFirst = firstPids.get("thawed") as number;
    await eventually("A to have stopped its thawed attempt", () => !alive(thawedFirst), 10_000);
    await release(state, key("thawed"));

    const records = await fleet.allFinal([...ids.values()], 60_000);
    const ledger = await fleet.ledger();
    for (const [i, c] of CASES.entries()) {
      const id = ids.get(c) as string;
      outcomes.set(c, {
        id,
        record: records[i] as Deployment,
        ledger: ledger.filter((e) => e.key === key(c) && e.action === "deploy"),
        firstPid: firstPids.get(c) as number,
        secondPid: c === "overlap" ? overlapSecond : insidePids(state, key(c)).find((p) => p !== firstPids.get(c)),
      });
    }
    const pids = Object.fromEntries(
      [...outcomes].map(([c, o]) => [
        c,
        {
          first: o.firstPid,
          second: o.secondPid,
          ledger: o.ledger.map((e) => (e as LedgerEntry & { pid?: number }).pid),
        },
      ]),
    );
    console.log(JSON.stringify({ ...measured, pids }, null, 2));
  }, TAKEOVER_MS + 120_000);

  afterAll(async () => {
    try {
      await closeFleet(fleet);
    } finally {
      if (scripts) await rm(scripts, { recursive: true, force: true });
    }
  });

  function outcome(c: Case): Outcome {
    const found = outcomes.get(c);
    if (!found) throw new Error(`no outcome for ${c}: the scenario did not run`);
    return found;
  }

  /** The deploy step as recorded: run twice (A's attempt, the new worker's), done by attempt 2. */
  function expectRecordedByAttemptTwo(c: Case, output: RegExp): void {
    const { record } = outcome(c);
    expect(record.state, record.failureReason).toBe("succeeded");
    const deploy = record.stages.find((s) => s.name === "deploy");
    expect(deploy?.attempts).toBe(2);
    expect(deploy?.status).toBe("succeeded");
    // A's late result would carry its own output; the record keeps the new worker's.
    expect(deploy?.outputTail ?? "").toMatch(output);
    expect(record.stages.find((s) => s.name === "health-check")?.attempts).toBe(1);
  }

  it("early: the action completed during the freeze is found in the ledger, not run again", () => {
    const { ledger, firstPid } = outcome("early");
    expect(ledger.map((e) => (e as LedgerEntry & { pid?: number }).pid)).toEqual([firstPid]);
    expectRecordedByAttemptTwo("early", /already done: deploy for key/);
  });

  it("thawed: the stale worker stops its own attempt when it finds its lock lost; the action runs once", () => {
    const { ledger, secondPid } = outcome("thawed");
    expect(secondPid).toBeDefined();
    expect(ledger.map((e) => (e as LedgerEntry & { pid?: number }).pid)).toEqual([secondPid]);
    expectRecordedByAttemptTwo("thawed", new RegExp(`released: deploy done by pid ${secondPid}`));
  });

  it("overlap: the stale worker's result is refused", () => {
    const { secondPid } = outcome("overlap");
    expectRecordedByAttemptTwo("overlap", new RegExp(`(released: deploy done by pid ${secondPid}|already done)`));
  });

  // The target fences on SLIPWAY_ATTEMPT: the newer attempt took the key over, so the older may not record it.
  it("overlap: the action runs once although two attempts were inside it at the same time", () => {
    const { ledger, secondPid } = outcome("overlap");
    expect(secondPid).toBeDefined();
    expect(ledger.map((e) => (e as LedgerEntry & { pid?: number }).pid)).toEqual([secondPid]);
  });
});
