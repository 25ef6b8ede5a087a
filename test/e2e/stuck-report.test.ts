import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { eventually } from "../support/eventually.js";
import { REDIS_URL } from "../support/redis.js";
import { alive } from "../support/sample-stack.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import type { SlipwayProcess } from "../support/slipway-process.js";
import { tagOf } from "../support/thread-shape.js";

/*
 * The watchdog's report of a step that outlives its timeout, end to end:
 * a `slipway app` against the Slack stand-in and one `slipway worker` (A),
 * whose job lock lasts ten minutes. A takes the deploy step of a version
 * whose action runs long, and is frozen (SIGSTOP) while the step is under
 * way and no Slack sync of its is: its lock stays unexpired, so its job
 * stays active and nobody takes the step over, and the step never returns.
 * A second worker (B) runs the watchdog and the Slack syncs. Past the step's
 * timeout plus the watchdog's grace (set short here, as is how often it
 * looks, so the test waits seconds, not minutes), the thread gets one report
 * of it, the incident channel one alert, both saying what Slipway will do;
 * Abort then takes the environment back. Thawed at last, A stops the action at its
 * overdue timeout and its late result is refused.
 */

const DEPLOYER = "U0DEPLOY01";
const CHANNEL = "C0HANGING";
const ALERTS = "C0HANGALRT";
const GOOD = "v1.0.0";
const SLOW = "v1.1.0-slow";
/** Long enough for the test to freeze A before the step times out, on a busy machine too. */
const TIMEOUT_SECONDS = 20;
/** The watchdog looks every 2 s and reports a step 2 s past its timeout (30 s and a minute by default). */
const WATCHDOG_ENV = { SLIPWAY_WATCHDOG_EVERY_MS: "2000", SLIPWAY_WATCHDOG_GRACE_MS: "2000" };

const DEPLOY = [
  "const fs = require('node:fs'); const version = process.env.SLIPWAY_VERSION;",
  "if (version.endsWith('-slow')) {",
  "  fs.writeFileSync('deploying.pid', String(process.pid));",
  "  console.log('deploying ' + version + ', slowly');",
  "  setInterval(() => {}, 1000);",
  "} else { fs.writeFileSync('live', version); console.log('deployed ' + version); }",
].join(" ");
const ROLLBACK = [
  "const fs = require('node:fs'); const back = process.env.SLIPWAY_PREVIOUS_VERSION;",
  "fs.writeFileSync('live', back); console.log('back on ' + back);",
].join(" ");

function manifest(workdir: string): string {
  return `service: hanging
channels:
  deploy: ${CHANNEL}
  incidents: ${ALERTS}
target:
  type: command
  workdir: ${JSON.stringify(workdir)}
  actions:
    deploy: [node, -e, ${JSON.stringify(DEPLOY)}]
    rollback: [node, -e, ${JSON.stringify(ROLLBACK)}]
environments:
  development:
    onFailure: rollback
    stages:
      - { name: deploy, action: deploy, timeoutSeconds: ${TIMEOUT_SECONDS} }
`;
}

describe("a step that outlives its timeout", () => {
  let fleet: SlipwayFleet;
  let workdir: string;
  /** Worker A, the one frozen with the step. */
  let holder: SlipwayProcess;

  beforeAll(async () => {
    workdir = await mkdtemp(join(tmpdir(), "slipway-stuck-report-"));
    fleet = await SlipwayFleet.start({
      label: "stuck-report",
      manifests: { "hanging.yaml": manifest(workdir) },
      redisUrl: REDIS_URL,
      role: "app",
      workers: 0,
      env: WATCHDOG_ENV,
    });
    holder = await fleet.addWorker({ SLIPWAY_JOB_LOCK_MS: "600000" });
  }, 240_000);

  afterAll(async () => {
    try {
      await closeFleet(fleet);
    } finally {
      if (workdir) await rm(workdir, { recursive: true, force: true });
    }
  }, 60_000);

  /** Once the step's action is under way and no Slack sync is queued or running, freezes A; answers the action's pid. */
  async function freezeHolder(id: string): Promise<number> {
    await holder.waitForLog((l) => l.msg === "stage started" && l.deploymentId === id, 60_000);
    // The action writes its pid as it starts; A may have logged the step's start well before that.
    const deploying = await eventually("the slow deploy action to start", async () =>
      Number(await readFile(join(workdir, "deploying.pid"), "utf8")),
    );
    const notify = fleet.queue("notify");
    try {
      // A sync frozen half-way would hold its deployment's lock as long as A's job lock, and the thread with it.
      await eventually("no Slack sync pending", async () => {
        const syncs = await notify.getJobCounts("active", "wait", "delayed", "prioritized");
        return Object.values(syncs).every((n) => n === 0) ? true : new Error(JSON.stringify(syncs));
      });
    } finally {
      await notify.close();
    }
    await fleet.signal(holder, "SIGSTOP");
    return deploying;
  }

  it("is reported once in the thread and once in the incident channel, saying what Slipway will do", async () => {
    const good = await fleet.deploy(DEPLOYER, CHANNEL, `development ${GOOD} hanging`);
    await fleet.chat.finished(good, "Succeeded");
    const id = await fleet.deploy(DEPLOYER, CHANNEL, `development ${SLOW} hanging`);
    const deploying = await freezeHolder(id);
    await fleet.addWorker();

    // The watchdog runs every 2 s and reports a step 2 s past its timeout.
    const stuck = await eventually(
      `${id} to be reported stuck`,
      async () => {
        const d = await fleet.store.require(id);
        return d.stuck ? d : new Error(`${d.state}, ${d.stages.map((s) => `${s.name} ${s.status}`).join(", ")}`);
      },
      60_000,
    );
    expect(stuck.state).toBe("running");
    expect(stuck.stages[0]?.status).toBe("running");
    // What it says follows the job's state: still active, its lock held by the frozen worker.
    const pipeline = fleet.queue("pipeline");
    try {
      expect(await pipeline.getJobState(stuck.stages[0]?.runner ?? "")).toBe("active");
    } finally {
      await pipeline.close();
    }
    expect(stuck.stuck?.what).toMatch(
      new RegExp(
        `^step deploy has been running for \\d+m? ?\\d*s?, past its ${TIMEOUT_SECONDS}s timeout; its worker still holds it, but the step has not returned`,
      ),
    );
    const suggestion =
      "Slipway will not run it again while that worker holds it; Abort or /rollback takes development the way back";
    expect(stuck.stuck?.suggestion).toBe(suggestion);

    const { slack, chat } = fleet;
    const words = `*Stuck:* ${stuck.stuck?.what}. ${suggestion}.`;
    const report = await chat.replyOf(id, [/⚠️ \*Stuck:\*/]);
    expect(slack.textOf(report)).toContain(words);
    expect(slack.textOf(await chat.rootOf(id, /⚠️ \*Stuck:\*/))).toContain(words);
    const alert = await slack.waitForMessage(
      (m) => m.channel === ALERTS && m.threadTs === undefined && slack.textOf(m).includes(id),
      { timeoutMs: 30_000 },
    );
    expect(slack.textOf(alert)).toContain(`🚨 *hanging ${SLOW} → development running*`);
    expect(slack.textOf(alert)).toContain(words);

    // What it says works: Abort takes development back to the good version while A still holds the step.
    expect(await chat.clickControl(id, DEPLOYER, ACTION_IDS.abort)).toMatch(/^Aborting `d-/);
    const [d] = await fleet.allFinal([id], 60_000);
    expect(d?.state).toBe("rolled_back");
    await chat.replyOf(id, [/Deployment rolled back/i]);
    expect(d?.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["rollback true"]);
    expect(await readFile(join(workdir, "live"), "utf8")).toBe(GOOD);

    // One report each: one stuck reply in the thread, one alert in the incident channel, edited as it went on.
    const replies = await chat.repliesOf(id);
    expect(replies.filter((m) => tagOf(m)?.name === "stuck")).toHaveLength(1);
    await eventually("the alert to show the way back", () =>
      /back on v1\.0\.0/.test(slack.textOf(slack.message(alert.channel, alert.ts) ?? alert)),
    );
    expect(slack.messages(ALERTS).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id))).toHaveLength(
      1,
    );

    // Thawed, A finds the step's timeout long past: it stops the action, and its result comes too late to count.
    expect(alive(deploying)).toBe(true);
    await fleet.signal(holder, "SIGCONT");
    const finished = await holder.waitForLog((l) => l.msg === "stage finished" && l.deploymentId === id, 30_000);
    expect(finished.ok).toBe(false);
    await eventually(`the deploy action ${deploying} to be stopped`, () => !alive(deploying), 10_000);
    expect((await fleet.store.require(id)).state).toBe("rolled_back");
  }, 180_000);
});
