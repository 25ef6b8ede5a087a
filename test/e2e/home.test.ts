import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { permalink } from "../../src/slack/renderers/watch.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * The App Home tab end to end: `slipway all` against the Slack stand-in; a
 * person opens the tab (an `app_home_opened` event, as Slack sends it) and
 * Slipway publishes what is deployed where.
 */

const DEPLOYER = "U0DEPLOY01";
const APPROVER = "U0APPROVE1";
const CHANNEL = "C0SHOP0001";

const MANIFEST = `service: shop
channels: { deploy: ${CHANNEL} }
roles:
  approvers: { users: [${APPROVER}] }
target:
  type: command
  actions: { deploy: [node, -e, "process.exit(0)"] }
environments:
  development:
    approval: { required: false }
    stages: [{ name: deploy, action: deploy }]
  production:
    checklist: []
    approval: { count: 1, approvers: [approvers], expiresAfter: 1h }
    stages: [{ name: deploy, action: deploy }]
`;

describe("the App Home tab", () => {
  let scene: SlipwayScene;

  beforeAll(async () => {
    scene = await SlipwayScene.start({
      label: "e2e-home",
      manifests: { "shop.yaml": MANIFEST },
      users: { [DEPLOYER]: "dana", [APPROVER]: "ana" },
    });
  }, 60_000);

  afterAll(async () => {
    const code = await scene?.close();
    expect(code, scene?.slipway.describe()).toBe(0);
  }, 60_000);

  /** Opens the Home tab as `userId` and resolves with the text of the view Slipway publishes for it. */
  async function openHome(userId: string): Promise<string> {
    const before = scene.slack.calls("views.publish").length;
    const delivery = await scene.slack.event({
      type: "app_home_opened",
      user: userId,
      channel: "D0HOME0001",
      tab: "home",
    });
    expect(delivery.status).toBe(200);
    await scene.slack.waitFor(
      (call) => call.method === "views.publish" && scene.slack.calls("views.publish").indexOf(call) >= before,
    );
    const view = scene.slack.homeView(userId);
    expect(view?.type).toBe("home");
    return JSON.stringify(view?.blocks);
  }

  it("shows what is live in each environment, what is under way with a link to its thread, and locks", async () => {
    expect(await openHome(DEPLOYER)).toContain(
      "*shop*\\n• *development* — nothing deployed yet\\n• *production* — nothing deployed yet",
    );

    const dev = await scene.deploy(DEPLOYER, CHANNEL, "development v1.0.0");
    await scene.ended(dev, "succeeded");
    expect(await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", "lock development freeze for the demo")).toMatch(
      /^🔒 Locked/,
    );
    const prod = await scene.deploy(DEPLOYER, CHANNEL, "production v1.0.0");
    await scene.chat.approvalCardOf(prod, /Approval needed/);
    const root = await scene.chat.rootOf(prod);

    const home = await openHome(APPROVER);
    expect(home).toContain("*development* — live: `v1.0.0` · 🔒 locked by <@U0DEPLOY01>: freeze for the demo");
    expect(home).toContain(
      `*production* — nothing deployed yet · ✋ <${permalink(CHANNEL, root.ts)}|v1.0.0> awaiting approval (0%) by <@${DEPLOYER}>`,
    );
  });
});
