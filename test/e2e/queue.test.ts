import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import { isJsonObject, type JsonObject } from "../../src/standin/json.js";
import { findElement } from "../../src/standin/slack-payloads.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { eventually } from "../support/eventually.js";
import { countingStage } from "../support/manifest-fixture.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Queue instead of refuse, end to end: `slipway all` with a service whose
 * production needs one approval (so a deployment holds it for as long as
 * the test likes), one whose production is frozen until a minute boundary
 * just ahead, and one for a lock placed while a deployment waits. Each
 * scenario has its own service and channel.
 */

const DEPLOYER = "U0QDEPLOY1";
const OTHER = "U0QDEPLOY2"; // a deployer too
const APPROVER = "U0QAPPROV1";
const OUTSIDER = "U0QOUTSID1";

const LINE = { service: "line", channel: "C0QLINE001" };
const HELD = { service: "held", channel: "C0QHELD001" };
const LATER = { service: "later", channel: "C0QLATER01" };

function manifest(service: string, channel: string, settings: string): string {
  return `service: ${service}
channels:
  deploy: ${channel}
roles:
  deployers: { users: [${DEPLOYER}, ${OTHER}] }
  approvers: { users: [${APPROVER}] }
target:
  type: command
  env:
    COUNT_FILE: ${service}.stages
  actions:
    deploy: [node, -e, "0"]
environments:
  production:
    checklist: []
    permissions: { deploy: [deployers], lock: [deployers] }
${settings}    stages:
${countingStage("deploy")}`;
}

const APPROVAL = "    approval: { approvers: [approvers], expiresAfter: 1h }\n";

/** "YYYY-MM-DD HH:MM" (UTC) of the first minute boundary at least `aheadMs` from now, and its instant. */
function minuteAhead(aheadMs: number): { text: string; at: number } {
  const at = Math.ceil((Date.now() + aheadMs) / 60_000) * 60_000;
  return { text: new Date(at).toISOString().slice(0, 16).replace("T", " "), at };
}

// The freeze lifts at a minute boundary (windows are by the minute) far enough ahead for the scene to start.
const OPENING = minuteAhead(40_000);

let scene: SlipwayScene;

beforeAll(async () => {
  scene = await SlipwayScene.start({
    label: "queue",
    manifests: {
      "line.yaml": manifest(LINE.service, LINE.channel, APPROVAL),
      "held.yaml": manifest(HELD.service, HELD.channel, APPROVAL.replace("1h", "15s")),
      "later.yaml": manifest(
        LATER.service,
        LATER.channel,
        `    windows:\n      timezone: UTC\n      freezes: [{ from: "2000-01-01 00:00", to: "${OPENING.text}", reason: Release freeze }]\n`,
      ),
    },
  });
}, 60_000);

afterAll(async () => {
  expect(await scene?.close()).toBe(0);
}, 60_000);

/** `/deploy <text>` as `userId`: the answer's visible text and its blocks. */
async function deployCommand(userId: string, channel: string, text: string) {
  const answer = await scene.slack.command({ command: "/deploy", text, userId, channelId: channel });
  if (answer.status !== 200 || !isJsonObject(answer.json)) throw new Error(`/deploy ${text}: ${answer.body}`);
  const json = answer.json;
  const blocks = Array.isArray(json.blocks) ? json.blocks.filter(isJsonObject) : [];
  return { text: scene.slack.textOf(json), blocks };
}

/** `userId` clicks the button `actionId` (the first, or the one whose value holds `valueHas`) of an ephemeral answer. */
async function click(
  userId: string,
  channel: string,
  blocks: readonly JsonObject[],
  actionId: string,
  valueHas = "",
): Promise<string> {
  const values = blocks.flatMap((block) => {
    const found = findElement([block], actionId);
    return found && typeof found.element.value === "string" ? [found.element.value] : [];
  });
  const value = values.find((v) => v.includes(valueHas));
  if (value === undefined) throw new Error(`no ${actionId} button${valueHas ? ` for ${valueHas}` : ""}`);
  const payload = scene.slack.blockAction({ actionId, value, userId, channelId: channel, messageTs: "1.000001" });
  return scene.chat.answerTo(payload);
}

async function approve(id: string): Promise<void> {
  const card = await scene.chat.approvalCardOf(id);
  expect(await scene.chat.clickApprove(card, APPROVER)).toMatch(/approv/i);
}

/** Resolves once the waiting deployment `id` has started (its record exists). */
function started(id: string, timeoutMs = 30_000) {
  return eventually(`${id} to start`, async () => (await scene.store.get(id)) ?? new Error("still waiting"), timeoutMs);
}

// The scheduled deployment waits on the clock for its window to open (40 s to 100 s after the file loads); the line's
// scenarios, on services and channels of their own, run meanwhile. The two groups run side by side, and the
// line's scenarios one after another (they share a service).
describe("queued and scheduled deployments", () => {
  describe.concurrent("scheduled for the next window", () => {
    it("starts a deployment scheduled for the next window when the window opens, with its approval as usual", async () => {
      const { service, channel } = LATER;
      expect(Date.now(), "the scene took so long to start that the freeze has already lifted").toBeLessThan(OPENING.at);
      const refused = await deployCommand(DEPLOYER, channel, `production v1.0.0 ${service}`);
      expect(refused.text).toMatch(/^Not now: deployments are frozen until .*\(Release freeze\)/);
      const answer = await click(DEPLOYER, channel, refused.blocks, ACTION_IDS.scheduleWindow);
      expect(answer).toContain("is scheduled for the next deployment window");
      const id = deploymentIdIn(answer);

      const status = await deployCommand(OTHER, channel, `status ${service}`);
      expect(status.text).toContain(`\`${id}\` ${service} v1.0.0 → production — scheduled for the window at`);

      const d = await started(id, OPENING.at - Date.now() + 60_000);
      expect(d.createdAt).toBeGreaterThanOrEqual(OPENING.at);
      expect(d).toMatchObject({ version: "v1.0.0", requestedBy: DEPLOYER, source: "slack" });
      await approve(id);
      await scene.ended(id, "succeeded");
    }, 180_000);
  });

  describe.concurrent("waiting in line", () => {
    it.sequential("queues with --queue and the Queue it button behind a running deployment; each starts by itself, in order", async () => {
      const { service, channel } = LINE;
      const first = await scene.deploy(DEPLOYER, channel, `production v1.0.0 ${service}`);

      const queued = await deployCommand(DEPLOYER, channel, `production v1.1.0 ${service} --queue`);
      expect(queued.text).toContain(`waits in line (number 1) behind \`${first}\``);
      const second = deploymentIdIn(queued.text);

      const busy = await deployCommand(OTHER, channel, `production v1.2.0 ${service}`);
      expect(busy.text).toMatch(new RegExp(`^${service} is already being deployed to production \\(\`${first}\``));
      const viaButton = await click(OTHER, channel, busy.blocks, ACTION_IDS.queueIt);
      expect(viaButton).toContain(`waits in line (number 2) behind \`${first}\``);
      const third = deploymentIdIn(viaButton);

      expect(await scene.store.get(second)).toBeUndefined();
      await approve(first);
      await scene.ended(first, "succeeded");

      // The next in line starts by itself, with its approval as usual; the one behind it still waits.
      await started(second);
      expect(await scene.store.get(third)).toBeUndefined();
      await approve(second);
      await scene.ended(second, "succeeded");
      const last = await started(third);
      expect(last).toMatchObject({ version: "v1.2.0", requestedBy: OTHER, source: "slack" });
      await approve(third);
      await scene.ended(third, "succeeded");

      const audit = await new AuditLog(scene.redis, scene.prefix).recent(service, 30, "production");
      expect(audit.find((e) => e.deploymentId === second && e.action === "queue")).toMatchObject({
        actor: DEPLOYER,
        source: "slack",
        via: "slash_command",
        outcome: "ok",
      });
      expect(audit.find((e) => e.deploymentId === third && e.action === "queue")).toMatchObject({
        actor: OTHER,
        source: "slack",
        via: "button",
      });
      expect(audit.find((e) => e.deploymentId === third && e.action === "deploy")).toMatchObject({
        actor: OTHER,
        source: "slack",
        outcome: "ok",
      });
    }, 120_000);

    it.sequential("shows the line in /deploy status and the Home tab, and Cancel takes one out", async () => {
      const { service, channel } = LINE;
      const holder = await scene.deploy(DEPLOYER, channel, `production v2.0.0 ${service}`);
      const waiting = deploymentIdIn(
        (await deployCommand(OTHER, channel, `production v2.1.0 ${service} --queue`)).text,
      );
      const doomed = deploymentIdIn(
        (await deployCommand(DEPLOYER, channel, `production v2.2.0 ${service} --queue`)).text,
      );

      const status = await deployCommand(DEPLOYER, channel, `status ${service}`);
      expect(status.text).toContain("Waiting to start (2)");
      expect(status.text).toContain(`\`${waiting}\` ${service} v2.1.0 → production — queued behind \`${holder}\``);
      expect(status.text).toContain(`\`${doomed}\` ${service} v2.2.0 → production — queued behind \`${holder}\``);

      const home = await scene.openHome(OUTSIDER);
      expect(home).toContain(waiting);
      expect(home).toContain(ACTION_IDS.cancelWaiting);

      // Neither its requester nor a deployer of production: refused. A deployer of production may.
      expect(await click(OUTSIDER, channel, status.blocks, ACTION_IDS.cancelWaiting, doomed)).toMatch(
        /^Not cancelled: /,
      );
      expect(await click(OTHER, channel, status.blocks, ACTION_IDS.cancelWaiting, doomed)).toBe(
        `Cancelled \`${doomed}\`: ${service} v2.2.0 → production will not start.`,
      );
      expect(await click(OTHER, channel, status.blocks, ACTION_IDS.cancelWaiting, doomed)).toContain(
        "is no longer waiting",
      );
      expect((await deployCommand(DEPLOYER, channel, `status ${service}`)).text).toContain("Waiting to start (1)");

      await approve(holder);
      await scene.ended(holder, "succeeded");
      await started(waiting);
      await approve(waiting);
      await scene.ended(waiting, "succeeded");
      expect(await scene.store.get(doomed)).toBeUndefined();
      const audit = await new AuditLog(scene.redis, scene.prefix).recent(service, 50, "production");
      expect(audit.find((e) => e.deploymentId === doomed && e.action === "cancel")).toMatchObject({
        actor: OTHER,
        source: "slack",
        via: "button",
        outcome: "ok",
      });
    }, 120_000);

    it.sequential("checks a queued deployment against a lock placed meanwhile when it comes to start, and says so once", async () => {
      const { service, channel } = HELD;
      // Its approval runs out unanswered: the deployment ends without anyone approving under the lock.
      const holder = await scene.deploy(DEPLOYER, channel, `production v1.0.0 ${service}`);
      const queued = deploymentIdIn((await deployCommand(OTHER, channel, `production v1.1.0 ${service} --queue`)).text);
      expect(
        await scene.chat.command(DEPLOYER, channel, "/deploy", `lock production ${service} database migration`),
      ).toMatch(/^🔒 Locked/);
      await scene.until(holder, "to expire", (d) => d.state === "expired", 60_000);

      const dropped = (m: { text?: string }) => (m.text ?? "").startsWith("⛔ Queued deployment not started");
      const notice = await scene.slack.waitForMessage((m) => m.channel === channel && dropped(m), {
        timeoutMs: 30_000,
      });
      expect(scene.slack.textOf(notice)).toBe(
        `⛔ Queued deployment not started: \`${queued}\` ${service} v1.1.0 → production, asked for by <@${OTHER}>: production is locked by <@${DEPLOYER}> (database migration). Deploy it again once \`/deploy unlock production ${service}\` has lifted it.`,
      );

      // Another end in production asks for a start again: the refused one is gone, and told of once.
      await scene.chat.command(DEPLOYER, channel, "/deploy", `unlock production ${service}`);
      const next = await scene.deploy(DEPLOYER, channel, `production v1.2.0 ${service}`);
      await approve(next);
      await scene.ended(next, "succeeded");
      await scene.slipway.waitForLog(
        (l) =>
          l.msg === "waiting deployments looked at" && l.jobId === `start-waiting.${service}.production.after.${next}`,
        30_000,
      );
      expect(scene.slack.messages(channel).filter(dropped)).toHaveLength(1);
      expect(await scene.store.get(queued)).toBeUndefined();
      const audit = await new AuditLog(scene.redis, scene.prefix).recent(service, 30, "production");
      expect(audit.find((e) => e.deploymentId === queued && e.action === "deploy")).toMatchObject({
        actor: OTHER,
        source: "slack",
        outcome: "refused",
      });
    }, 120_000);
  });
});
