import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VIEW_IDS } from "../../src/slack/action-ids.js";
import { permalink } from "../../src/slack/renderers/watch.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { eventually } from "../support/eventually.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * The App Home tab and the deploy form end to end: `slipway all` against the
 * Slack stand-in. A person opens the tab (an `app_home_opened` event, as
 * Slack sends it) and Slipway publishes what is deployed where; `/deploy`
 * alone opens the form, and its submission deploys like the command.
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

describe("the App Home tab and the deploy form", () => {
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

  it("shows what is live in each environment, what is under way with a link to its thread, and locks", async () => {
    expect(await scene.openHome(DEPLOYER)).toContain(
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

    const home = await scene.openHome(APPROVER);
    expect(home).toContain("*development* — live: `v1.0.0` · 🔒 locked by <@U0DEPLOY01>: freeze for the demo");
    expect(home).toContain(
      `*production* — nothing deployed yet · ✋ <${permalink(CHANNEL, root.ts)}|v1.0.0> awaiting approval (0%) by <@${DEPLOYER}>`,
    );
  });

  /** What a filled-in form sends: selects as selected options, the version as text, hotfix ticked or not. */
  function formValues(fields: { service?: string; environment?: string; version: string; hotfix?: boolean }) {
    const choice = (value: string | undefined) =>
      value === undefined
        ? { type: "static_select", selected_option: null }
        : { type: "static_select", selected_option: { text: { type: "plain_text", text: value }, value } };
    return {
      service: { value: choice(fields.service) },
      environment: { value: choice(fields.environment) },
      version: { value: { type: "plain_text_input", value: fields.version } },
      strategy: { value: choice(undefined) },
      options: {
        value: {
          type: "checkboxes",
          selected_options: fields.hotfix ? [{ text: { type: "plain_text", text: "Hotfix" }, value: "hotfix" }] : [],
        },
      },
    };
  }

  it("opens the deploy form for /deploy alone, refuses a bad submission field by field, and deploys a good one", async () => {
    expect(await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", "")).toBe(
      "Fill in the form to deploy. `/deploy help` lists the commands.",
    );
    const opened = await scene.slack.waitFor(
      (call) => call.method === "views.open" && JSON.stringify(call.args).includes(VIEW_IDS.deployForm),
    );
    expect(opened.response.ok).toBe(true);
    // The only service is chosen already.
    expect(JSON.stringify(opened.args)).toContain('"initial_option":{"text":{"type":"plain_text","text":"shop"}');

    const refused = await scene.slack.interact(
      scene.slack.viewSubmission({
        userId: DEPLOYER,
        callbackId: VIEW_IDS.deployForm,
        values: formValues({ service: "shop", version: "1.2;rm -rf /" }),
      }),
    );
    expect(refused.json).toMatchObject({ response_action: "errors" });
    const errors = (refused.json as { errors: Record<string, string> }).errors;
    expect(Object.keys(errors).sort()).toEqual(["environment", "version"]);
    expect(errors.environment).toBe("shop deploys to: development, production.");
    expect(errors.version).toMatch(/version/);
    expect(await scene.store.activeFor("shop", "development")).toBeUndefined();

    // (The Home tab's scenario leaves development locked.)
    await scene.chat.command(DEPLOYER, CHANNEL, "/deploy", "unlock development");
    const before = scene.slack.ephemerals(CHANNEL).length;
    const submitted = await scene.slack.interact(
      scene.slack.viewSubmission({
        userId: DEPLOYER,
        callbackId: VIEW_IDS.deployForm,
        values: formValues({ service: "shop", environment: "development", version: "v2.0.0", hotfix: true }),
      }),
    );
    expect(submitted.status).toBe(200);
    const told = await eventually("the form's outcome told in the channel", () =>
      scene.slack
        .ephemerals(CHANNEL)
        .slice(before)
        .find((m) => m.user === DEPLOYER),
    );
    expect(told.text).toMatch(/^Queued `d-[a-z0-9]+`: shop v2\.0\.0 → development \(all-at-once, 1 steps\)/);
    const d = await scene.ended(deploymentIdIn(told.text), "succeeded");
    expect({ version: d.version, hotfix: d.hotfix, requestedBy: d.requestedBy }).toEqual({
      version: "v2.0.0",
      hotfix: true,
      requestedBy: DEPLOYER,
    });
  });
});
