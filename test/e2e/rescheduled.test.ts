import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { eventually } from "../support/eventually.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * A queued deployment whose turn comes after its window has closed, end to
 * end: `slipway all` with a service whose production is frozen for the one
 * minute after a minute boundary just ahead (windows are by the minute, so
 * that is as short as a freeze gets). The active deployment's stage runs
 * until the freeze has begun; the deployment queued behind it is then
 * refused at its start, keeps its place, the deploy channel is told once
 * when it will start, and it starts by itself as the freeze lifts.
 */

const DEPLOYER = "U0RDEPLOY1";
const SERVICE = "late";
const CHANNEL = "C0RLATE001";
const REASON = "Release freeze";

/** The first minute boundary at least `aheadMs` from now: its instant and "YYYY-MM-DD HH:MM" (UTC). */
function minuteAhead(aheadMs: number): { at: number; text: string } {
  const at = Math.ceil((Date.now() + aheadMs) / 60_000) * 60_000;
  return { at, text: minuteText(at) };
}

function minuteText(at: number): string {
  return new Date(at).toISOString().slice(0, 16).replace("T", " ");
}

function manifest(closing: number, opening: number): string {
  return `service: ${SERVICE}
channels:
  deploy: ${CHANNEL}
roles:
  deployers: { users: [${DEPLOYER}] }
target:
  type: command
  actions:
    deploy: [node, -e, "0"]
environments:
  production:
    checklist: []
    approval: { required: false }
    permissions: { deploy: [deployers] }
    windows:
      timezone: UTC
      freezes: [{ from: "${minuteText(closing)}", to: "${minuteText(opening)}", reason: ${REASON} }]
    stages:
      - name: deploy
        run: [node, -e, "setTimeout(() => {}, ${closing} + 500 - Date.now())"]
`;
}

// Far enough ahead for the scene to start and the two deployments to be asked for.
const CLOSING = minuteAhead(20_000);
const OPENING = { at: CLOSING.at + 60_000, text: minuteText(CLOSING.at + 60_000) };

let scene: SlipwayScene;

beforeAll(async () => {
  scene = await SlipwayScene.start({
    label: "rescheduled",
    manifests: { "late.yaml": manifest(CLOSING.at, OPENING.at) },
  });
}, 60_000);

afterAll(async () => {
  expect(await scene?.close()).toBe(0);
}, 60_000);

function rescheduled(m: StoredMessage): boolean {
  return m.channel === CHANNEL && (m.text ?? "").startsWith("⏰ Queued deployment rescheduled");
}

describe("a queued deployment whose window has closed when its turn comes", () => {
  it("waits for the opening, tells the deploy channel once when that is, and starts by itself then", async () => {
    expect(Date.now(), "the scene took so long to start that the freeze has already begun").toBeLessThan(
      CLOSING.at - 5_000,
    );
    const first = await scene.deploy(DEPLOYER, CHANNEL, `production v1.0.0 ${SERVICE}`);
    const queued = await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", `production v1.1.0 ${SERVICE} --queue`);
    expect(queued).toContain(`waits in line (number 1) behind \`${first}\``);
    const second = deploymentIdIn(queued);

    // The first one's stage runs into the freeze; its end asks for the second's start, which the freeze refuses.
    const notice = await scene.slack.waitForMessage(rescheduled, { timeoutMs: CLOSING.at - Date.now() + 30_000 });
    const ended = await scene.ended(first, "succeeded");
    expect(ended.finishedAt).toBeGreaterThanOrEqual(CLOSING.at);
    const weekday = new Date(OPENING.at).toUTCString().slice(0, 3);
    expect(scene.slack.textOf(notice)).toBe(
      `⏰ Queued deployment rescheduled: \`${second}\` ${SERVICE} v1.1.0 → production, asked for by <@${DEPLOYER}>, could not start: deployments are frozen until ${weekday} ${OPENING.text.slice(11)} UTC (${REASON}). It keeps its place and starts by itself when the window opens, at <!date^${OPENING.at / 1000}^{date_short_pretty} at {time}|${OPENING.text} UTC>; Cancel it from \`/deploy status\`.`,
    );
    expect(await scene.store.get(second)).toBeUndefined();
    const status = await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", `status ${SERVICE}`);
    expect(status).toContain(`\`${second}\` ${SERVICE} v1.1.0 → production — scheduled for the window at`);

    const started = await eventually(
      `${second} to start`,
      async () => (await scene.store.get(second)) ?? new Error("still waiting"),
      OPENING.at - Date.now() + 30_000,
    );
    expect(started.createdAt).toBeGreaterThanOrEqual(OPENING.at);
    expect(started).toMatchObject({ version: "v1.1.0", requestedBy: DEPLOYER, source: "slack" });
    await scene.ended(second, "succeeded");
    expect(scene.slack.messages(CHANNEL).filter(rescheduled)).toHaveLength(1);
  }, 240_000);
});
