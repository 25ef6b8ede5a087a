import { ErrorCode, type WebAPIPlatformError, type WebClient } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { CHANNEL, client, Harness, rejectionOf } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

/** 2025-01-06 09:00:00 UTC; each message below is posted a second after the one before. */
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

function platformError(thrown: unknown): string {
  expect(thrown).toMatchObject({ code: ErrorCode.PlatformError });
  return (thrown as WebAPIPlatformError).data.error;
}

const tagged = (name: string) => ({ event_type: "slipway_message", event_payload: { deploymentId: "d-1", name } });

/** A stand-in whose clock moves one second per message posted. */
async function steppedSlack(): Promise<{ web: WebClient; tick: () => void }> {
  let clock = T0;
  const slack = await harness.slack({ now: () => clock });
  return { web: client(slack), tick: () => (clock += 1_000) };
}

async function post(web: WebClient, tick: () => void, text: string, threadTs?: string): Promise<string> {
  tick();
  const answer = await web.chat.postMessage({
    channel: CHANNEL,
    text,
    metadata: tagged(text),
    ...(threadTs ? { thread_ts: threadTs } : {}),
  });
  return answer.ts ?? "";
}

describe("message metadata", () => {
  it("is kept with the message and shown by history and replies only with include_all_metadata", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: "root", metadata: tagged("root") });
    expect(root.message?.metadata).toEqual(tagged("root"));
    await web.chat.postMessage({ channel: CHANNEL, thread_ts: root.ts ?? "", text: "reply", metadata: tagged("r") });
    expect(slack.message(CHANNEL, root.ts ?? "")?.metadata).toEqual(tagged("root"));

    const plain = await web.conversations.history({ channel: CHANNEL });
    expect(plain.messages?.[0]).not.toHaveProperty("metadata");
    const all = await web.conversations.history({ channel: CHANNEL, include_all_metadata: true });
    expect(all.messages?.map((m) => m.metadata)).toEqual([tagged("root")]);

    const thread = await web.conversations.replies({ channel: CHANNEL, ts: root.ts ?? "" });
    expect(thread.messages?.map((m) => m.metadata)).toEqual([undefined, undefined]);
    const withMetadata = await web.conversations.replies({
      channel: CHANNEL,
      ts: root.ts ?? "",
      include_all_metadata: true,
    });
    expect(withMetadata.messages?.map((m) => m.metadata)).toEqual([tagged("root"), tagged("r")]);
  });

  it("is kept by chat.update without metadata, replaced with it, and cleared by an empty object", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const ts = (await web.chat.postMessage({ channel: CHANNEL, text: "a", metadata: tagged("a") })).ts ?? "";
    await web.chat.update({ channel: CHANNEL, ts, text: "b" });
    expect(slack.message(CHANNEL, ts)?.metadata).toEqual(tagged("a"));
    await web.chat.update({ channel: CHANNEL, ts, text: "c", metadata: tagged("c") });
    expect(slack.message(CHANNEL, ts)?.metadata).toEqual(tagged("c"));
    await web.apiCall("chat.update", { channel: CHANNEL, ts, text: "d", metadata: {} });
    expect(slack.message(CHANNEL, ts)?.metadata).toBeUndefined();
  });

  it("refuses metadata that is not a JSON object, and ignores with a warning one without a valid event_type", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    expect(
      platformError(
        await rejectionOf(web.apiCall("chat.postMessage", { channel: CHANNEL, text: "x", metadata: "{no" })),
      ),
    ).toBe("invalid_metadata_format");
    expect(
      platformError(
        await rejectionOf(web.apiCall("chat.postMessage", { channel: CHANNEL, text: "x", metadata: "[]" })),
      ),
    ).toBe("invalid_metadata_format");
    expect(slack.messages(CHANNEL)).toEqual([]);

    const answer = await web.chat.postMessage({
      channel: CHANNEL,
      text: "posted anyway",
      metadata: { event_type: "not.valid", event_payload: { a: 1 } },
    });
    expect(answer).toMatchObject({ ok: true, warning: "invalid_metadata_schema" });
    expect(answer.response_metadata?.warnings).toEqual(["invalid_metadata_schema"]);
    expect(slack.message(CHANNEL, answer.ts ?? "")?.metadata).toBeUndefined();
  });
});

describe("conversations.history", () => {
  it("answers root messages newest first, between oldest and latest, a page at a time", async () => {
    const { web, tick } = await steppedSlack();
    const roots: string[] = [];
    for (const name of ["m1", "m2", "m3", "m4", "m5"]) roots.push(await post(web, tick, name));
    await post(web, tick, "a reply", roots[0]);
    const [t1, t2, , t4] = roots as [string, string, string, string, string];

    const all = await web.conversations.history({ channel: CHANNEL });
    expect(all.messages?.map((m) => m.text)).toEqual(["m5", "m4", "m3", "m2", "m1"]);
    expect(all.has_more).toBe(false);

    const between = await web.conversations.history({ channel: CHANNEL, oldest: t2, latest: t4 });
    expect(between.messages?.map((m) => m.text)).toEqual(["m3"]);
    const inclusive = await web.conversations.history({ channel: CHANNEL, oldest: t2, latest: t4, inclusive: true });
    expect(inclusive.messages?.map((m) => m.text)).toEqual(["m4", "m3", "m2"]);

    const pages: string[][] = [];
    let cursor: string | undefined;
    do {
      const page = await web.conversations.history({
        channel: CHANNEL,
        oldest: t1,
        limit: 2,
        ...(cursor ? { cursor } : {}),
      });
      pages.push(page.messages?.map((m) => m.text ?? "") ?? []);
      cursor = page.has_more ? page.response_metadata?.next_cursor : undefined;
      if (page.has_more) expect(Buffer.from(cursor ?? "", "base64").toString()).toMatch(/^next_ts:\d{16}$/);
    } while (cursor);
    expect(pages).toEqual([
      ["m5", "m4"],
      ["m3", "m2"],
    ]);
  });

  it("answers Slack's errors for a bad channel, timestamp or cursor", async () => {
    const slack = await harness.slack({ autoCreateChannels: false });
    const web = client(slack);
    const error = async (call: Promise<unknown>) => platformError(await rejectionOf(call));
    expect(await error(web.conversations.history({ channel: "C0UNKNOWN" }))).toBe("channel_not_found");
    expect(await error(web.conversations.history({ channel: CHANNEL, oldest: "yesterday" }))).toBe("invalid_ts_oldest");
    expect(await error(web.conversations.history({ channel: CHANNEL, latest: "1.2.3" }))).toBe("invalid_ts_latest");
    expect(await error(web.conversations.history({ channel: CHANNEL, cursor: "bm9wZQ==" }))).toBe("invalid_cursor");
  });
});

describe("conversations.replies", () => {
  it("answers the parent first, then the replies after oldest, a page at a time", async () => {
    const { web, tick } = await steppedSlack();
    const root = await post(web, tick, "root");
    const replies: string[] = [];
    for (const name of ["r1", "r2", "r3", "r4"]) replies.push(await post(web, tick, name, root));
    await post(web, tick, "another root");

    const whole = await web.conversations.replies({ channel: CHANNEL, ts: root });
    expect(whole.messages?.map((m) => m.text)).toEqual(["root", "r1", "r2", "r3", "r4"]);
    const byReply = await web.conversations.replies({ channel: CHANNEL, ts: replies[2] ?? "" });
    expect(byReply.messages?.map((m) => m.text)).toEqual(["root", "r1", "r2", "r3", "r4"]);

    const after = await web.conversations.replies({ channel: CHANNEL, ts: root, oldest: replies[1] ?? "" });
    expect(after.messages?.map((m) => m.text)).toEqual(["root", "r3", "r4"]);

    const first = await web.conversations.replies({ channel: CHANNEL, ts: root, limit: 3 });
    expect(first.messages?.map((m) => m.text)).toEqual(["root", "r1", "r2"]);
    expect(first.has_more).toBe(true);
    const next = await web.conversations.replies({
      channel: CHANNEL,
      ts: root,
      limit: 3,
      cursor: first.response_metadata?.next_cursor ?? "",
    });
    expect(next.messages?.map((m) => m.text)).toEqual(["r3", "r4"]);
    expect(next.has_more).toBe(false);
  });

  it("answers Slack's errors for a missing or unknown thread", async () => {
    const slack = await harness.slack();
    const web = client(slack);
    const error = async (call: Promise<unknown>) => platformError(await rejectionOf(call));
    expect(await error(web.apiCall("conversations.replies", { channel: CHANNEL }))).toBe("invalid_arguments");
    expect(await error(web.conversations.replies({ channel: CHANNEL, ts: "1700000000.000100" }))).toBe(
      "thread_not_found",
    );
    const root = await web.chat.postMessage({ channel: CHANNEL, text: "root" });
    expect(await error(web.conversations.replies({ channel: CHANNEL, ts: root.ts ?? "", oldest: "soon" }))).toBe(
      "invalid_ts_oldest",
    );
  });
});
