import { afterEach, describe, expect, it } from "vitest";
import { CHANNEL, client, Harness, rejectionOf } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

const button = (actionId: string, text: string, value: string) => ({
  type: "button" as const,
  action_id: actionId,
  text: { type: "plain_text" as const, text },
  value,
});

describe("recording and waiting", () => {
  it("emits every call and resolves waitFor when a matching call arrives", async () => {
    const slack = await harness.slack();
    const seen: string[] = [];
    slack.on("call", (call) => seen.push(call.method));
    const waiting = slack.waitFor((call) => call.method === "chat.postMessage" && call.args.text === "second");
    const web = client(slack);
    await web.chat.postMessage({ channel: CHANNEL, text: "first" });
    await web.chat.postMessage({ channel: CHANNEL, text: "second" });
    const call = await waiting;
    expect(call).toMatchObject({
      seq: 2,
      status: 200,
      args: { channel: CHANNEL, text: "second" },
      response: { ok: true },
    });
    expect(call.at).toBeTypeOf("number");
    expect(seen).toEqual(["chat.postMessage", "chat.postMessage"]);
  });

  it("emits a message event for posts, edits made through response URLs included", async () => {
    const slack = await harness.slack();
    const seen: string[] = [];
    slack.on("message", (message) => seen.push(message.text));
    const web = client(slack);
    const card = await web.chat.postMessage({ channel: CHANNEL, text: "approve?" });
    const payload = slack.blockAction({
      actionId: "approve",
      userId: "U0ALICE01",
      channelId: CHANNEL,
      messageTs: card.ts ?? "",
    });
    await fetch(String(payload.response_url), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ replace_original: true, text: "approved" }),
    });
    expect(seen).toEqual(["approve?", "approved"]);
  });

  it("matches past calls unless told not to", async () => {
    const slack = await harness.slack();
    await client(slack).auth.test();
    await expect(slack.waitFor((call) => call.method === "auth.test")).resolves.toMatchObject({ seq: 1 });
    const later = slack.waitFor((call) => call.method === "auth.test", { includePast: false });
    await client(slack).auth.test();
    await expect(later).resolves.toMatchObject({ seq: 2 });
  });

  it("rejects on timeout with what it waited for and the last calls", async () => {
    const slack = await harness.slack();
    await client(slack).chat.postMessage({ channel: CHANNEL, text: "something else" });
    const thrown = await rejectionOf(slack.waitFor((call) => call.method === "chat.update", { timeoutMs: 50 }));
    expect(thrown).toBeInstanceOf(Error);
    const message = (thrown as Error).message;
    expect(message).toContain("timed out after 50 ms");
    expect(message).toContain("chat.update");
    expect(message).toContain('#1 chat.postMessage → 200 ok (channel=C0DEPLOYS1 text="something else")');
  });

  it("waits for a message to reach a state, edits included", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: "status: running" });
    const done = slack.waitForMessage((message) => message.ts === root.ts && message.text === "status: succeeded");
    await web.chat.update({ channel: CHANNEL, ts: root.ts ?? "", text: "status: succeeded" });
    await expect(done).resolves.toMatchObject({ edits: [{ text: "status: running" }] });
  });
});

describe("transcript", () => {
  it("renders root messages with their latest content and indented thread replies", async () => {
    const slack = await harness.slack({ users: { U0ALICE01: "alice" } });
    const web = client(slack);
    const root = await web.chat.postMessage({
      channel: CHANNEL,
      text: "fallback",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "payments v1.2.0 → production" } },
        { type: "section", text: { type: "mrkdwn", text: "*Status:* running" } },
      ],
    });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts ?? "", text: "checklist 5/5 passed" });
    await web.chat.postMessage({
      channel: CHANNEL,
      thread_ts: root.ts ?? "",
      text: "approval",
      blocks: [{ type: "actions", elements: [button("approve", "Approve", "d1"), button("reject", "Reject", "d1")] }],
    });
    await web.chat.update({
      channel: CHANNEL,
      ts: root.ts ?? "",
      text: "done",
      blocks: [
        { type: "header", text: { type: "plain_text", text: "payments v1.2.0 → production" } },
        { type: "section", text: { type: "mrkdwn", text: "*Status:* succeeded" } },
      ],
    });
    await web.chat.postEphemeral({ channel: CHANNEL, user: "U0ALICE01", text: "queued your deployment" });
    await web.chat.postMessage({ channel: CHANNEL, text: "second root" });

    const lines = slack.transcript(CHANNEL).split("\n");
    expect(lines[0]).toBe("#deploys (C0DEPLOYS1)");
    expect(lines[1]).toMatch(/^ {2}\[\d\d:\d\d:\d\d\] slipway \(edited 1×\): == payments v1\.2\.0 → production ==$/);
    expect(lines[2]).toMatch(/^ +\*Status:\* succeeded$/);
    expect(lines[3]).toMatch(/^ {6}↳ \[.+\] slipway: checklist 5\/5 passed$/);
    expect(lines[4]).toMatch(/^ {6}↳ \[.+\] slipway: \[Approve\] \[Reject\]$/);
    expect(lines[5]).toMatch(/\(only to alice\): queued your deployment$/);
    expect(lines[6]).toMatch(/slipway: second root$/);
    expect(slack.transcript(CHANNEL, { ephemeral: false })).not.toContain("queued");
    expect(slack.transcript(CHANNEL, { history: true })).toMatch(
      /~ v1: == payments v1\.2\.0 → production ==\n +\*Status:\* running/,
    );
  });

  it("renders one thread alone, and reads call arguments as a person would", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const first = await web.chat.postMessage({ channel: CHANNEL, text: "deployment 1" });
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: first.ts ?? "", text: "stage 1 done" });
    await web.chat.postMessage({ channel: CHANNEL, text: "deployment 2" });
    const thread = slack.transcript(CHANNEL, { threadTs: first.ts ?? "" });
    expect(thread).toContain("deployment 1");
    expect(thread).toContain("↳");
    expect(thread).not.toContain("deployment 2");
    const call = slack.calls("chat.postMessage")[0];
    expect(slack.textOf(call?.args ?? {})).toBe("deployment 1");
    expect(slack.textOf({ text: "fallback", blocks: [{ type: "divider" }, "junk"] })).toBe("───");
  });

  it("says so when nothing was posted", async () => {
    const slack = await harness.slack();
    expect(slack.transcript()).toBe("(no messages in any channel)");
    expect(slack.transcript(CHANNEL)).toContain("(no messages)");
  });
});

describe("response URLs", () => {
  async function setup() {
    const slack = await harness.slack();
    const web = client(slack);
    const card = await web.chat.postMessage({
      channel: CHANNEL,
      text: "approve?",
      blocks: [{ type: "actions", block_id: "approval", elements: [button("approve", "Approve", "dep-1")] }],
    });
    const payload = slack.blockAction({
      actionId: "approve",
      userId: "U0ALICE01",
      channelId: CHANNEL,
      messageTs: card.ts ?? "",
    });
    const responseUrl = String(payload.response_url);
    const post = (body: object) =>
      fetch(responseUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    return { slack, card, payload, responseUrl, post };
  }

  it("builds block_actions payloads from the stored message", async () => {
    const { slack, card, payload, responseUrl } = await setup();
    expect(responseUrl.startsWith(`${slack.baseUrl}response/`)).toBe(true);
    expect(payload).toMatchObject({
      type: "block_actions",
      user: { id: "U0ALICE01" },
      api_app_id: slack.identity.appId,
      team: { id: slack.identity.teamId },
      container: { type: "message", message_ts: card.ts, channel_id: CHANNEL, is_ephemeral: false },
      channel: { id: CHANNEL, name: "deploys" },
      message: { ts: card.ts, text: "approve?" },
      actions: [
        { type: "button", action_id: "approve", block_id: "approval", value: "dep-1", text: { text: "Approve" } },
      ],
    });
    expect(payload.trigger_id).toMatch(/^\d+\.\d+\.[0-9a-f]+$/);
    expect(payload.token).toBeTypeOf("string");
  });

  it("records answers and applies replace_original, in_channel and ephemeral answers", async () => {
    const { slack, card, responseUrl, post } = await setup();
    const first = slack.waitForResponse(responseUrl);
    expect((await post({ replace_original: true, text: "approved by alice" })).status).toBe(200);
    await expect(first).resolves.toMatchObject({ outcome: "replaced", body: { text: "approved by alice" } });
    expect(slack.message(CHANNEL, card.ts ?? "")).toMatchObject({
      text: "approved by alice",
      edits: [{ text: "approve?" }],
    });

    await post({ response_type: "in_channel", text: "deployment resumed" });
    await post({ text: "only for alice" });
    expect(slack.responsesFor(responseUrl).map((response) => response.outcome)).toEqual([
      "replaced",
      "in_channel",
      "ephemeral",
    ]);
    expect(slack.messages(CHANNEL).map((message) => message.text)).toContain("deployment resumed");
    expect(slack.ephemerals(CHANNEL)).toMatchObject([
      { user: "U0ALICE01", text: "only for alice", source: "response_url" },
    ]);
  });

  it("refuses a sixth answer and unknown URLs, as Slack does", async () => {
    const { slack, responseUrl, post } = await setup();
    for (let i = 0; i < 5; i += 1) expect((await post({ text: `answer ${i}` })).status).toBe(200);
    const sixth = await post({ text: "too many" });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: "used_url" });
    const unknown = await fetch(`${slack.baseUrl}response/nope`, { method: "POST", body: "{}" });
    expect(unknown.status).toBe(404);
    expect(slack.responsesFor(responseUrl)).toHaveLength(6);
  });

  it("deletes the original message on delete_original", async () => {
    const { slack, card, post } = await setup();
    await post({ delete_original: true });
    expect(slack.message(CHANNEL, card.ts ?? "")?.deleted).toBe(true);
    expect(slack.transcript(CHANNEL)).toContain("(deleted)");
  });
});
