import { ErrorCode, type WebAPIPlatformError } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { BOT_TOKEN, CHANNEL, client, Harness, rejectionOf } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

function platformError(thrown: unknown): string {
  expect(thrown).toMatchObject({ code: ErrorCode.PlatformError });
  return (thrown as WebAPIPlatformError).data.error;
}

const section = (text: string) => ({ type: "section", text: { type: "mrkdwn", text } });

describe("Web API served to the real WebClient", () => {
  it("answers auth.test with the bot's identity", async () => {
    const slack = await harness.slack();
    const result = await client(slack).auth.test();
    expect(result).toMatchObject({ ok: true, user_id: slack.identity.botUserId, team_id: slack.identity.teamId });
  });

  it("stores posts, thread replies and edits with Slack-shaped timestamps", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const root = await web.chat.postMessage({
      channel: CHANNEL,
      text: "deploying v1.2.0",
      blocks: [section("*Deploying* v1.2.0")],
    });
    expect(root.ok).toBe(true);
    expect(root.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(root.channel).toBe(CHANNEL);
    const reply = await web.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts ?? "", text: "checklist passed" });
    expect(Number(reply.ts)).toBeGreaterThan(Number(root.ts));
    const nested = await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: reply.ts ?? "",
      text: "reply to a reply",
    });
    expect(nested.message?.thread_ts).toBe(root.ts);
    await web.chat.update({
      channel: CHANNEL,
      ts: root.ts ?? "",
      text: "deployed v1.2.0",
      blocks: [section("*Deployed* v1.2.0")],
    });

    const thread = slack.thread(CHANNEL, root.ts ?? "");
    expect(thread.map((message) => message.text)).toEqual(["deployed v1.2.0", "checklist passed", "reply to a reply"]);
    expect(thread[0]?.edits).toHaveLength(1);
    expect(thread[0]?.edits[0]?.text).toBe("deploying v1.2.0");
    expect(thread[0]?.blocks).toEqual([section("*Deployed* v1.2.0")]);
    expect(slack.calls("chat.postMessage")[0]?.args.blocks).toEqual([section("*Deploying* v1.2.0")]);

    const replies = await web.conversations.replies({ channel: CHANNEL, ts: root.ts ?? "" });
    expect(replies.messages?.map((message) => message.ts)).toEqual(thread.map((message) => message.ts));
  });

  it("keeps the blocks when chat.update sends only text", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: "a", blocks: [section("a")] });
    await web.chat.update({ channel: CHANNEL, ts: root.ts ?? "", text: "b" });
    expect(slack.message(CHANNEL, root.ts ?? "")).toMatchObject({ text: "b", blocks: [section("a")] });
  });

  it("records ephemeral messages for one user", async () => {
    const slack = await harness.slack();
    const result = await client(slack).chat.postEphemeral({ channel: CHANNEL, user: "U0ALICE01", text: "only you" });
    expect(result.message_ts).toMatch(/^\d+\.\d{6}$/);
    expect(slack.ephemerals(CHANNEL)).toMatchObject([{ user: "U0ALICE01", text: "only you", source: "api" }]);
    expect(slack.messages(CHANNEL)).toEqual([]);
  });

  it("answers conversations.info and usergroups.users.list", async () => {
    const slack = await harness.slack({ usergroups: { S0APPROVE: ["U0ALICE01", "U0BOB0001"] } });
    const web = client(slack);
    const info = await web.conversations.info({ channel: CHANNEL });
    expect(info.channel).toMatchObject({ id: CHANNEL, name: "deploys", is_member: true });
    const group = await web.usergroups.users.list({ usergroup: "S0APPROVE" });
    expect(group.users).toEqual(["U0ALICE01", "U0BOB0001"]);
    expect(platformError(await rejectionOf(web.usergroups.users.list({ usergroup: "S0NOPE" })))).toBe(
      "no_such_subteam",
    );
  });

  it("posts to a channel by #name and to a user ID as a direct message", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    expect((await web.chat.postMessage({ channel: "#deploys", text: "by name" })).channel).toBe(CHANNEL);
    const dm = await web.chat.postMessage({ channel: "U0ALICE01", text: "psst" });
    expect(dm.channel).toMatch(/^D/);
  });

  it("refuses a wrong token, and a bot token for Socket Mode", async () => {
    const slack = await harness.slack();
    const wrong = client(slack, {}, "xoxb-wrong");
    expect(platformError(await rejectionOf(wrong.chat.postMessage({ channel: CHANNEL, text: "x" })))).toBe(
      "invalid_auth",
    );
    const bot = client(slack);
    expect(platformError(await rejectionOf(bot.apps.connections.open({})))).toBe("not_allowed_token_type");
    expect(slack.messages()).toEqual([]);
  });

  it("answers Slack's errors with HTTP 200 and ok:false", async () => {
    const slack = await harness.slack({ autoCreateChannels: false });
    const web = client(slack);
    const error = async (call: Promise<unknown>) => platformError(await rejectionOf(call));
    expect(await error(web.chat.postMessage({ channel: "C0UNKNOWN", text: "x" }))).toBe("channel_not_found");
    expect(await error(web.chat.postMessage({ channel: "", text: "x" }))).toBe("channel_not_found");
    expect(await error(web.chat.postMessage({ channel: CHANNEL, text: "" }))).toBe("no_text");
    expect(await error(web.chat.update({ channel: CHANNEL, ts: "1700000000.000100", text: "x" }))).toBe(
      "message_not_found",
    );
    expect(await error(web.chat.postMessage({ channel: CHANNEL, text: "x".repeat(40_001) }))).toBe("msg_too_long");
    const tooMany = Array.from({ length: 51 }, (_, index) => section(`block ${index}`));
    expect(await error(web.chat.postMessage({ channel: CHANNEL, text: "x", blocks: tooMany }))).toBe("invalid_blocks");
    expect(
      await error(web.chat.postMessage({ channel: CHANNEL, text: "x", blocks: [section("y".repeat(3001))] })),
    ).toBe("invalid_blocks");
    const header = { type: "header", text: { type: "plain_text", text: "h".repeat(151) } };
    expect(await error(web.chat.postMessage({ channel: CHANNEL, text: "x", blocks: [header] }))).toBe("invalid_blocks");
    const context = { type: "context", elements: [{ type: "mrkdwn", text: "c".repeat(3001) }] };
    expect(await error(web.chat.postMessage({ channel: CHANNEL, text: "x", blocks: [context] }))).toBe(
      "invalid_blocks",
    );
    expect(slack.messages()).toEqual([]);
    expect(slack.calls().every((call) => call.status === 200 && call.response.ok === false)).toBe(true);
  });

  it("says which block broke a limit, as Slack does", async () => {
    const slack = await harness.slack();
    const thrown = await rejectionOf(
      client(slack).chat.postMessage({ channel: CHANNEL, text: "x", blocks: [section("y".repeat(3001))] }),
    );
    expect((thrown as WebAPIPlatformError).data.response_metadata?.messages).toEqual([
      "[ERROR] must be less than 3001 characters [json-pointer:/blocks/0/text/text]",
    ]);
  });

  it("accepts JSON bodies and a token argument as well as form bodies", async () => {
    const slack = await harness.slack();
    const response = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8", Authorization: `Bearer ${BOT_TOKEN}` },
      body: JSON.stringify({ channel: CHANNEL, text: "json", blocks: [section("json")] }),
    });
    expect(await response.json()).toMatchObject({ ok: true, channel: CHANNEL });
    const form = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ token: BOT_TOKEN, channel: CHANNEL, text: "form" }).toString(),
    });
    expect(await form.json()).toMatchObject({ ok: true });
    expect(slack.messages(CHANNEL).map((message) => message.text)).toEqual(["json", "form"]);
    expect(slack.calls()[0]?.args).not.toHaveProperty("token");
    const broken = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", Authorization: `Bearer ${BOT_TOKEN}` },
      body: new URLSearchParams({ channel: CHANNEL, text: "x", blocks: "[{not json" }).toString(),
    });
    expect(await broken.json()).toMatchObject({ ok: false, error: "invalid_blocks_format" });
  });

  it("answers unknown methods with unknown_method", async () => {
    const slack = await harness.slack();
    expect(platformError(await rejectionOf(client(slack).apiCall("chat.teleport", {})))).toBe("unknown_method");
  });

  it("records views.publish per user and checks views.open's trigger", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const home = { type: "home" as const, blocks: [section("deployed: v1.2.0")] };
    await web.views.publish({ user_id: "U0ALICE01", view: home });
    expect(slack.homeView("U0ALICE01")).toMatchObject(home);
    const modal = { type: "modal" as const, title: { type: "plain_text" as const, text: "Deploy" }, blocks: [] };
    expect(platformError(await rejectionOf(web.views.open({ trigger_id: "123.456.abc", view: modal })))).toBe(
      "invalid_trigger_id",
    );
  });
});
