import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { eventually } from "../support/eventually.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * The rollback policy per environment (onFailure), end to end: one
 * `slipway all` against the Slack stand-in, one service whose target keeps
 * what is live in files (`live-<environment>`, `weight-<environment>`), and
 * versions whose name contains "bad" failing their smoke tests and their
 * canary's 50% step. Each environment first deploys a good v1.1.0, then the
 * bad one:
 *
 * - development (rollback): rolls back by itself to v1.1.0;
 * - staging (stop): ends failed on v1.2.0-bad, with Roll back on its root
 *   message, which takes staging back to v1.1.0 when clicked;
 * - qa (pause, canary): pauses at 10%, the root message and the incident
 *   alert saying what is live where; Abort then takes the way back.
 */

const DEPLOYER = "U0DEPLOY01";
const CHANNEL = "C0CHECKOUT";
const ALERTS = "C0CHKALERT";
const GOOD = "v1.1.0";
const BAD = "v1.2.0-bad";

const DEPLOY = [
  "const fs = require('node:fs');",
  "fs.writeFileSync('live-' + process.env.SLIPWAY_ENVIRONMENT, process.env.SLIPWAY_VERSION);",
  "console.log('deployed ' + process.env.SLIPWAY_VERSION);",
].join(" ");
const ROLLBACK = [
  "const fs = require('node:fs'); const back = process.env.SLIPWAY_PREVIOUS_VERSION;",
  "if (!back) { console.error('nothing to go back to'); process.exit(2); }",
  "fs.writeFileSync('live-' + process.env.SLIPWAY_ENVIRONMENT, back);",
  "console.log('back on ' + back);",
].join(" ");
const SET_TRAFFIC = [
  "const fs = require('node:fs'); const weight = process.env.SLIPWAY_TRAFFIC_WEIGHT;",
  "if (process.env.SLIPWAY_VERSION.includes('bad') && weight === '50') { console.error('router refused 50%: candidate unhealthy'); process.exit(3); }",
  "fs.writeFileSync('weight-' + process.env.SLIPWAY_ENVIRONMENT, weight);",
  "console.log('weight ' + weight);",
].join(" ");
const SMOKE = [
  "if (process.env.SLIPWAY_VERSION.includes('bad')) { console.error('smoke test failed: POST /checkout returned 500'); process.exit(1); }",
  "console.log('smoke tests passed');",
].join(" ");

function manifest(workdir: string): string {
  const stages = `    stages:
      - { name: deploy, action: deploy }
      - { name: smoke-tests, run: [node, -e, ${JSON.stringify(SMOKE)}] }
`;
  return `service: checkout
channels:
  deploy: ${CHANNEL}
  incidents: ${ALERTS}
target:
  type: command
  workdir: ${JSON.stringify(workdir)}
  timeoutSeconds: 60
  actions:
    deploy: [node, -e, ${JSON.stringify(DEPLOY)}]
    rollback: [node, -e, ${JSON.stringify(ROLLBACK)}]
    setTraffic: [node, -e, ${JSON.stringify(SET_TRAFFIC)}]
environments:
  development:
    onFailure: rollback
${stages}  staging:
    onFailure: stop
${stages}  qa:
    onFailure: pause
    strategy: canary
    canary:
      steps:
        - { weight: 10, hold: 1s }
        - { weight: 50, hold: 1s }
    stages:
      - { name: deploy, action: deploy }
`;
}

describe("onFailure: what a failing deployment does, per environment", () => {
  let scene: SlipwayScene;

  beforeAll(async () => {
    scene = await SlipwayScene.start({
      label: "on-failure",
      manifests: (workdir) => ({ "checkout.yaml": manifest(workdir) }),
    });
  }, 120_000);

  afterAll(async () => {
    expect(await scene?.close()).toBe(0);
  });

  const live = (what: "live" | "weight", environment: string) =>
    readFile(join(scene.workdir, `${what}-${environment}`), "utf8");

  /** Deploys the good version and waits for its success, so the bad one has a last good version to go back to. */
  async function goodFirst(environment: string): Promise<void> {
    const id = await scene.deploy(DEPLOYER, CHANNEL, `${environment} ${GOOD} checkout`);
    await scene.ended(id, "succeeded");
  }

  function alertOf(id: string, matching: RegExp): Promise<StoredMessage> {
    const { slack } = scene;
    return slack.waitForMessage(
      (m) =>
        m.channel === ALERTS &&
        m.threadTs === undefined &&
        slack.textOf(m).includes(id) &&
        matching.test(slack.textOf(m)),
      { timeoutMs: 30_000 },
    );
  }

  function buttonsOf(message: StoredMessage): string[] {
    return message.blocks.flatMap((block) =>
      block.type === "actions" && Array.isArray(block.elements)
        ? (block.elements as { action_id?: string }[]).map((e) => e.action_id ?? "")
        : [],
    );
  }

  it("development (rollback): a failing deployment rolls back by itself to the last good version", async () => {
    await goodFirst("development");
    const id = await scene.deploy(DEPLOYER, CHANNEL, `development ${BAD} checkout`);

    const d = await scene.ended(id, "rolled_back");
    expect(d.previousVersion).toBe(GOOD);
    expect(d.stages.map((s) => `${s.name} ${s.status}`)).toEqual(["deploy succeeded", "smoke-tests failed"]);
    expect(d.rollback).toMatchObject({
      by: "slipway",
      reason: "automatic rollback: stage smoke-tests exited with code 1",
    });
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["rollback true"]);
    expect(await live("live", "development")).toBe(GOOD);

    const root = await scene.chat.rootOf(id, /\*Rolled back\*/);
    expect(scene.slack.textOf(root)).toContain("*Rollback:* automatic rollback: stage smoke-tests exited with code 1");
    const alert = await alertOf(id, new RegExp(`✅ back on ${GOOD.replaceAll(".", "\\.")}`));
    expect(scene.slack.textOf(alert)).toContain("*What tripped:* stage smoke-tests exited with code 1");
  }, 120_000);

  it("staging (stop): a failing deployment stops with the Roll back button, which takes staging back", async () => {
    await goodFirst("staging");
    const id = await scene.deploy(DEPLOYER, CHANNEL, `staging ${BAD} checkout`);

    const d = await scene.ended(id, "failed");
    expect(d.failureReason).toBe("stage smoke-tests exited with code 1");
    expect(d.rollback).toBeUndefined();
    // Nothing was undone by itself: staging runs the bad version until someone decides.
    expect(await live("live", "staging")).toBe(BAD);
    const { root } = await scene.chat.finished(id, "Failed");
    expect(buttonsOf(root)).toEqual([ACTION_IDS.rollBack]);
    const alert = await alertOf(id, /\*Why:\* stage smoke-tests exited with code 1/);
    expect(buttonsOf(alert)).toContain(ACTION_IDS.rollBack);

    const answer = await scene.clickControl(id, DEPLOYER, ACTION_IDS.rollBack);
    expect(answer, "the Roll back button's answer").toContain(GOOD);
    await eventually(
      "staging back on the good version",
      async () =>
        (await live("live", "staging")) === GOOD ? true : new Error(`staging runs ${await live("live", "staging")}`),
      60_000,
    );
  }, 120_000);

  it("qa (pause): a failing canary pauses, the root and the alert saying what is live where; Abort takes it back", async () => {
    await goodFirst("qa");
    expect(await live("weight", "qa")).toBe("100");
    const id = await scene.deploy(DEPLOYER, CHANNEL, `qa ${BAD} checkout`);

    const paused = await scene.until(id, "to pause on its failed 50% step", (d) => d.paused?.by === "slipway", 60_000);
    expect(paused.state).toBe("running");
    expect(paused.stages.find((s) => s.name === "canary-50%")?.status).toBe("failed");
    expect(await live("weight", "qa")).toBe("10");
    const where = `10% of traffic on ${BAD}, 90% on ${GOOD}`;
    const root = await scene.chat.rootOf(id, /Paused because/);
    expect(scene.slack.textOf(root)).toContain(`*Stuck:* stage canary-50% exited with code 3; ${where}.`);
    expect(scene.slack.textOf(root)).toContain("*Canary weight:* 10% of traffic on");
    const alert = await alertOf(id, /\*Stuck:\*/);
    expect(scene.slack.textOf(alert)).toContain(`🚨 *checkout ${BAD} → qa paused*`);
    expect(scene.slack.textOf(alert)).toContain(`stage canary-50% exited with code 3; ${where}`);
    expect(buttonsOf(alert)).toContain(ACTION_IDS.rollBack);

    expect(await scene.clickControl(id, DEPLOYER, ACTION_IDS.abort)).toMatch(/^Aborting `d-/);
    const d = await scene.ended(id, "rolled_back");
    expect(d.rollback?.actions.map((a) => `${a.name} ${a.ok}`)).toEqual(["traffic-to-stable true", "rollback true"]);
    expect(await live("weight", "qa")).toBe("0");
    expect(await live("live", "qa")).toBe(GOOD);
  }, 120_000);
});
