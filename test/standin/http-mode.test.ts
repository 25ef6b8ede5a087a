import { verifySlackRequest } from "@slack/bolt";
import { afterEach, describe, expect, it } from "vitest";
import { slackSignature } from "../../src/standin/index.js";
import { startCapture, startHttpApp } from "./bolt-apps.js";
import { CHANNEL, client, Harness, rejectionOf, SIGNING_SECRET } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

function verify(body: string, headers: Record<string, string | string[] | undefined>): void {
  verifySlackRequest({
    signingSecret: SIGNING_SECRET,
    body,
    headers: {
      "x-slack-signature": String(headers["x-slack-signature"]),
      "x-slack-request-timestamp": Number(headers["x-slack-request-timestamp"]),
    },
  });
}

describe("signed requests into the app", () => {
  it("sends a slash command form with every field Slack sends, signed as Slack signs", async () => {
    const slack = await harness.slack({ users: { U0ALICE01: "alice" } });
    const capture = await startCapture(harness);
    slack.setEventsUrl(capture.url);
    const delivery = await slack.command({
      command: "/deploy",
      text: "production v1.2.0",
      userId: "U0ALICE01",
      channelId: CHANNEL,
    });
    expect(delivery.mode).toBe("http");
    expect(delivery.status).toBe(200);
    const [request] = capture.requests;
    if (!request) throw new Error("the capture endpoint received nothing");
    expect(request.headers["content-type"]).toBe("application/x-www-form-urlencoded");
    verify(request.body, request.headers);
    const fields = Object.fromEntries(new URLSearchParams(request.body));
    expect(Object.keys(fields)).toEqual([
      "token",
      "team_id",
      "team_domain",
      "channel_id",
      "channel_name",
      "user_id",
      "user_name",
      "command",
      "text",
      "api_app_id",
      "is_enterprise_install",
      "response_url",
      "trigger_id",
    ]);
    expect(fields).toMatchObject({
      channel_id: CHANNEL,
      channel_name: "deploys",
      user_id: "U0ALICE01",
      user_name: "alice",
      command: "/deploy",
      text: "production v1.2.0",
      response_url: delivery.responseUrl,
    });
    const timestamp = Number(request.headers["x-slack-request-timestamp"]);
    expect(request.headers["x-slack-signature"]).toBe(slackSignature(SIGNING_SECRET, timestamp, request.body));
  });

  it("can tamper: stale timestamp, corrupt signature, missing headers, retry headers, replay", async () => {
    const slack = await harness.slack();
    const capture = await startCapture(harness);
    slack.setEventsUrl(capture.url);
    const input = { command: "/deploy", text: "status", userId: "U0ALICE01", channelId: CHANNEL };
    await slack.command(input, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    await slack.command(input, { corruptSignature: true });
    await slack.command(input, { omitHeaders: ["signature"] });
    await slack.command(input, { retryNum: 1, retryReason: "http_timeout" });
    const original = await slack.command(input);
    if (original.mode !== "http") throw new Error("expected an HTTP delivery");
    await slack.replay(original);

    const [stale, corrupt, unsigned, retried, first, replayed] = capture.requests;
    expect(() => verify(stale?.body ?? "", stale?.headers ?? {})).toThrow(/stale/);
    expect(() => verify(corrupt?.body ?? "", corrupt?.headers ?? {})).toThrow(/signature mismatch/);
    expect(unsigned?.headers["x-slack-signature"]).toBeUndefined();
    expect(unsigned?.headers["x-slack-request-timestamp"]).toBeDefined();
    expect(retried?.headers).toMatchObject({ "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" });
    expect(replayed?.body).toBe(first?.body);
    expect(replayed?.headers["x-slack-signature"]).toBe(first?.headers["x-slack-signature"]);
  });

  it("only sends to this machine", async () => {
    const slack = await harness.slack();
    expect(() => slack.setEventsUrl("http://example.com/slack/events")).toThrow(/127\.0\.0\.1 or localhost/);
  });

  it("says clearly when there is nowhere to send", async () => {
    const slack = await harness.slack();
    const thrown = await rejectionOf(slack.command({ command: "/deploy", userId: "U0ALICE01", channelId: CHANNEL }));
    expect((thrown as Error).message).toMatch(/no Socket Mode client is connected and no eventsUrl is set/);
  });
});

describe("a real Bolt app on the HTTP receiver", () => {
  it("receives a signed slash command and its ack comes back", async () => {
    const slack = await harness.slack();
    await startHttpApp(harness, slack, (app) => {
      app.command("/deploy", async ({ ack, command }) => {
        await ack({ text: `Deploying ${command.text} for <@${command.user_id}>` });
      });
    });
    const delivery = await slack.command({
      command: "/deploy",
      text: "production v1.2.0",
      userId: "U0ALICE01",
      channelId: CHANNEL,
    });
    expect(delivery.status).toBe(200);
    expect(delivery.json).toEqual({ text: "Deploying production v1.2.0 for <@U0ALICE01>" });
    expect(slack.ephemerals(CHANNEL)).toMatchObject([
      { user: "U0ALICE01", source: "ack", text: "Deploying production v1.2.0 for <@U0ALICE01>" },
    ]);
  });

  it("is refused by Bolt when forged or stale", async () => {
    const slack = await harness.slack();
    await startHttpApp(harness, slack, (app) => {
      app.command("/deploy", async ({ ack }) => {
        await ack();
      });
    });
    const input = { command: "/deploy", text: "production v1.2.0", userId: "U0ALICE01", channelId: CHANNEL };
    expect((await slack.command(input, { corruptSignature: true })).status).toBe(401);
    expect((await slack.command(input, { signingSecret: "not-the-secret" })).status).toBe(401);
    expect((await slack.command(input, { timestamp: Math.floor(Date.now() / 1000) - 600 })).status).toBe(401);
    expect((await slack.command(input)).status).toBe(200);
  });

  it("delivers a button click whose handler answers through the response URL", async () => {
    const slack = await harness.slack();
    await startHttpApp(harness, slack, (app) => {
      app.action("approve", async ({ ack, respond, body }) => {
        await ack();
        await respond({ replace_original: true, text: `Approved by <@${body.user.id}>` });
      });
    });
    const card = await client(slack).chat.postMessage({
      channel: CHANNEL,
      text: "Approve v1.2.0?",
      blocks: [
        {
          type: "actions",
          elements: [
            { type: "button", action_id: "approve", text: { type: "plain_text", text: "Approve" }, value: "dep-1" },
          ],
        },
      ],
    });
    const delivery = await slack.click({
      actionId: "approve",
      userId: "U0BOB0001",
      channelId: CHANNEL,
      messageTs: card.ts ?? "",
    });
    expect(delivery.status).toBe(200);
    const response = await slack.waitForResponse(delivery.responseUrl ?? "");
    expect(response.outcome).toBe("replaced");
    expect(slack.message(CHANNEL, card.ts ?? "")?.text).toBe("Approved by <@U0BOB0001>");
  });

  it("delivers events as signed JSON", async () => {
    const slack = await harness.slack();
    await startHttpApp(harness, slack, (app) => {
      app.event("app_home_opened", async ({ event, client: web }) => {
        await web.views.publish({ user_id: event.user, view: { type: "home", blocks: [] } });
      });
    });
    await slack.event({ type: "app_home_opened", user: "U0ALICE01", channel: "D0ALICE01", tab: "home" });
    await slack.waitFor((call) => call.method === "views.publish");
    expect(slack.homeView("U0ALICE01")).toEqual({ type: "home", blocks: [] });
  });
});
