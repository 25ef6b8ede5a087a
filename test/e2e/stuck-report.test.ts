import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { eventually } from "../support/eventually.js";
import { SlipwayScene } from "../support/slipway-scene.js";
import { tagOf } from "../support/thread-shape.js";

/*
 * The watchdog's report of a step that outlives its timeout, end to end:
 * `slipway all` against the Slack stand-in deploys a service whose deploy
 * action, for a version named `…-hang`, starts a helper in a process group
 * of its own that keeps the action's output open. The step's 2 s timeout
 * stops the action, but not the helper, so the step never returns. Past its
 * timeout plus the watchdog's margin, the thread gets one report of it, the
 * incident channel one alert, both saying what Slipway will do; Abort then
 * takes the environment back.
 */

const DEPLOYER = "U0DEPLOY01";
const CHANNEL = "C0HANGING";
const ALERTS = "C0HANGALRT";
const GOOD = "v1.0.0";
const HANGING = "v1.1.0-hang";

const DEPLOY = [
  "const fs = require('node:fs'); const version = process.env.SLIPWAY_VERSION;",
  "if (version.includes('hang')) {",
  "  const helper = require('node:child_process').spawn(process.execPath, ['-e', 'setTimeout(() => {}, 600000)'], { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });",
  "  fs.writeFileSync('helper.pid', String(helper.pid));",
  "  console.log('deploying ' + version + '; a helper keeps this output open');",
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
      - { name: deploy, action: deploy, timeoutSeconds: 2 }
`;
}

describe("a step that outlives its timeout", () => {
  let scene: SlipwayScene;

  /** Ends the helper holding the hung step's output, so the step returns and Slipway can stop. */
  async function releaseHelper(): Promise<void> {
    if (!scene) return;
    const pid = Number(await readFile(join(scene.workdir, "helper.pid"), "utf8").catch(() => ""));
    if (pid > 0) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
  }

  beforeAll(async () => {
    scene = await SlipwayScene.start({
      label: "stuck-report",
      manifests: (workdir) => ({ "hanging.yaml": manifest(workdir) }),
    });
  }, 60_000);

  afterAll(async () => {
    await releaseHelper();
    expect(await scene?.close()).toBe(0);
  }, 60_000);

  it("is reported once in the thread and once in the incident channel, saying what Slipway will do", async () => {
    const good = await scene.deploy(DEPLOYER, CHANNEL, `development ${GOOD} hanging`);
    await scene.ended(good, "succeeded");
    const id = await scene.deploy(DEPLOYER, CHANNEL, `development ${HANGING} hanging`);

    // The watchdog runs every 30 s and reports a step a minute past its timeout.
    const stuck = await scene.until(id, "to be reported stuck", (d) => d.stuck !== undefined, 150_000);
    expect(stuck.state).toBe("running");
    expect(stuck.stages[0]?.status).toBe("running");
    expect(stuck.stuck?.what).toMatch(
      /^step deploy has been running for \d+m? ?\d*s?, past its 2s timeout; its worker still holds it, but the step has not returned/,
    );
    const suggestion =
      "Slipway will not run it again while that worker holds it; Abort or /rollback takes development the way back";
    expect(stuck.stuck?.suggestion).toBe(suggestion);

    const { slack } = scene;
    const words = `*Stuck:* ${stuck.stuck?.what}. ${suggestion}.`;
    const report = await scene.chat.replyOf(id, [/⚠️ \*Stuck:\*/]);
    expect(slack.textOf(report)).toContain(words);
    expect(slack.textOf(await scene.chat.rootOf(id, /⚠️ \*Stuck:\*/))).toContain(words);
    const alert = await slack.waitForMessage(
      (m) => m.channel === ALERTS && m.threadTs === undefined && slack.textOf(m).includes(id),
      { timeoutMs: 30_000 },
    );
    expect(slack.textOf(alert)).toContain(`🚨 *hanging ${HANGING} → development running*`);
    expect(slack.textOf(alert)).toContain(words);

    // What it says works: Abort takes development back to the good version while the step still hangs.
    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.abort)).toMatch(/^Aborting `d-/);
    const d = await scene.ended(id, "rolled_back");
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["rollback true"]);
    expect(await readFile(join(scene.workdir, "live"), "utf8")).toBe(GOOD);

    // One report each: one stuck reply in the thread, one alert in the incident channel, edited as it went on.
    const replies = await scene.chat.repliesOf(id);
    expect(replies.filter((m) => tagOf(m)?.name === "stuck")).toHaveLength(1);
    await eventually("the alert to show the way back", () =>
      /back on v1\.0\.0/.test(slack.textOf(slack.message(alert.channel, alert.ts) ?? alert)),
    );
    expect(slack.messages(ALERTS).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id))).toHaveLength(
      1,
    );
  }, 240_000);
});
