import type { WebAPIPlatformError } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { startHttpApp } from "./bolt-apps.js";
import { CHANNEL, client, Harness, rejectionOf } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

const deployModal = {
  type: "modal" as const,
  callback_id: "deploy",
  private_metadata: "payments",
  title: { type: "plain_text" as const, text: "Deploy" },
  submit: { type: "plain_text" as const, text: "Deploy" },
  blocks: [
    {
      type: "input" as const,
      block_id: "version",
      label: { type: "plain_text" as const, text: "Version" },
      element: { type: "plain_text_input" as const, action_id: "value" },
    },
  ],
};

describe("modals", () => {
  it("opens a modal with the command's trigger and submits it back to the app", async () => {
    const slack = await harness.slack();
    await startHttpApp(harness, slack, (app) => {
      app.command("/deploy", async ({ ack, body, client: web }) => {
        await ack();
        await web.views.open({ trigger_id: body.trigger_id, view: deployModal });
      });
      app.view("deploy", async ({ ack, view }) => {
        const version = view.state.values.version?.value?.value ?? "";
        if (/^v?\d+\.\d+\.\d+/.test(version)) await ack();
        else await ack({ response_action: "errors", errors: { version: `"${version}" is not a version like v1.2.0` } });
      });
    });
    await slack.command({ command: "/deploy", userId: "U0ALICE01", channelId: CHANNEL });
    const opened = await slack.waitFor((call) => call.method === "views.open");
    expect(opened.response.ok).toBe(true);
    expect(slack.views()).toMatchObject([{ method: "views.open", view: { callback_id: "deploy" } }]);

    const bad = slack.viewSubmission({
      userId: "U0ALICE01",
      callbackId: "deploy",
      values: { version: { value: { type: "plain_text_input", value: "latest" } } },
    });
    expect(bad).toMatchObject({
      type: "view_submission",
      view: { callback_id: "deploy", private_metadata: "payments" },
    });
    const refused = await slack.interact(bad);
    expect(refused.json).toEqual({
      response_action: "errors",
      errors: { version: '"latest" is not a version like v1.2.0' },
    });

    const good = slack.viewSubmission({
      userId: "U0ALICE01",
      callbackId: "deploy",
      values: { version: { value: { type: "plain_text_input", value: "v1.2.0" } } },
    });
    const accepted = await slack.interact(good);
    expect(accepted.status).toBe(200);
    expect(accepted.body).toBe("");
  });

  it("refuses a trigger older than three seconds", async () => {
    let now = 1_700_000_000_000;
    const slack = await harness.slack({ now: () => now });
    const payload = slack.blockAction({
      actionId: "open",
      userId: "U0ALICE01",
      channelId: CHANNEL,
      messageTs: "1.000000",
    });
    now += 3001;
    const thrown = await rejectionOf(
      client(slack).views.open({ trigger_id: String(payload.trigger_id), view: deployModal }),
    );
    expect((thrown as WebAPIPlatformError).data.error).toBe("expired_trigger_id");
  });

  it("says which modals exist when asked to submit an unknown one", async () => {
    const slack = await harness.slack();
    expect(() => slack.viewSubmission({ userId: "U0ALICE01", callbackId: "nope", values: {} })).toThrow(
      /has not opened it with views\.open \(opened: none\)/,
    );
  });
});
