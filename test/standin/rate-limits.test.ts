import { ErrorCode, type WebAPIHTTPError, type WebAPIPlatformError, type WebAPIRateLimitedError } from "@slack/web-api";
import { afterEach, describe, expect, it } from "vitest";
import { CHANNEL, client, Harness, rejectionOf } from "./support.js";

const harness = new Harness();
afterEach(() => harness.closeAll());

/** A clock the test moves by hand. */
function manualClock(start = 1_700_000_000_000): { now: () => number; advance: (ms: number) => void } {
  let current = start;
  return { now: () => current, advance: (ms) => (current += ms) };
}

describe("rate limits", () => {
  it("allows a short burst per channel, then answers 429 with Retry-After seen by the client", async () => {
    const clock = manualClock();
    const slack = await harness.slack({ enforceRateLimits: true, now: clock.now });
    const web = client(slack, { rejectRateLimitedCalls: true });
    for (let i = 0; i < 3; i += 1) await web.chat.postMessage({ channel: CHANNEL, text: `burst ${i}` });
    const thrown = await rejectionOf(web.chat.postMessage({ channel: CHANNEL, text: "one too many" }));
    expect(thrown).toMatchObject({ code: ErrorCode.RateLimitedError });
    expect((thrown as WebAPIRateLimitedError).retryAfter).toBe(1);
    expect(slack.calls().at(-1)).toMatchObject({ status: 429, response: { ok: false, error: "ratelimited" } });

    await web.chat.postMessage({ channel: "C0OTHER001", text: "another channel has its own budget" });
    clock.advance(1000);
    await web.chat.postMessage({ channel: CHANNEL, text: "after a second" });
    expect(slack.messages(CHANNEL)).toHaveLength(4);
  });

  it("limits chat.update per workspace (Tier 3)", async () => {
    const clock = manualClock();
    const slack = await harness.slack({
      enforceRateLimits: true,
      now: clock.now,
      rateLimits: { updatePerMinute: 6, updateBurst: 2 },
    });
    const web = client(slack, { rejectRateLimitedCalls: true });
    const root = await web.chat.postMessage({ channel: CHANNEL, text: "v0" });
    const ts = root.ts ?? "";
    await web.chat.update({ channel: CHANNEL, ts, text: "v1" });
    await web.chat.update({ channel: CHANNEL, ts, text: "v2" });
    const thrown = await rejectionOf(web.chat.update({ channel: CHANNEL, ts, text: "v3" }));
    expect((thrown as WebAPIRateLimitedError).retryAfter).toBe(10);
    expect(slack.message(CHANNEL, ts)?.text).toBe("v2");
    clock.advance(10_000);
    await web.chat.update({ channel: CHANNEL, ts, text: "v3" });
    expect(slack.message(CHANNEL, ts)?.edits).toHaveLength(3);
  });

  it("does not limit anything unless asked to", async () => {
    const slack = await harness.slack();
    const web = client(slack, { rejectRateLimitedCalls: true });
    for (let i = 0; i < 10; i += 1) await web.chat.postMessage({ channel: CHANNEL, text: `m${i}` });
    expect(slack.messages(CHANNEL)).toHaveLength(10);
  });
});

describe("fault injection", () => {
  it("fails a share of calls, the same ones for the same seed, without changing state", async () => {
    const outcomes = async (): Promise<string[]> => {
      const slack = await harness.slack();
      slack.injectFaults({ rate429: 0.3, rate5xx: 0.2, retryAfterSeconds: 2, seed: 42 });
      const web = client(slack, { rejectRateLimitedCalls: true });
      const seen: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        try {
          await web.chat.postMessage({ channel: CHANNEL, text: `m${i}` });
          seen.push("ok");
        } catch (thrown) {
          if ((thrown as WebAPIRateLimitedError).code === ErrorCode.RateLimitedError) {
            expect((thrown as WebAPIRateLimitedError).retryAfter).toBe(2);
            seen.push("429");
          } else {
            expect((thrown as WebAPIHTTPError).statusCode).toBe(500);
            seen.push("500");
          }
        }
      }
      expect(slack.messages(CHANNEL)).toHaveLength(seen.filter((outcome) => outcome === "ok").length);
      return seen;
    };
    const first = await outcomes();
    expect(first).toContain("429");
    expect(first).toContain("500");
    expect(first).toContain("ok");
    expect(await outcomes()).toEqual(first);
  });

  it("spares methods that are not listed", async () => {
    const slack = await harness.slack();
    slack.injectFaults({ rate5xx: 1, methods: ["chat.update"] });
    const web = client(slack);
    const root = await web.chat.postMessage({ channel: CHANNEL, text: "fine" });
    const thrown = await rejectionOf(web.chat.update({ channel: CHANNEL, ts: root.ts ?? "", text: "x" }));
    expect((thrown as WebAPIHTTPError).code).toBe(ErrorCode.HTTPError);
    expect(slack.message(CHANNEL, root.ts ?? "")?.text).toBe("fine");
    slack.clearFaults();
    await web.chat.update({ channel: CHANNEL, ts: root.ts ?? "", text: "updated" });
  });

  it("fails the next call of a method once with failNext", async () => {
    const slack = await harness.slack();
    slack.failNext("chat.postMessage", "is_archived");
    const web = client(slack);
    const thrown = await rejectionOf(web.chat.postMessage({ channel: CHANNEL, text: "x" }));
    expect((thrown as WebAPIPlatformError).data.error).toBe("is_archived");
    expect(slack.messages()).toEqual([]);
    await web.chat.postMessage({ channel: CHANNEL, text: "second try" });
    expect(slack.messages(CHANNEL)).toHaveLength(1);
  });

  it("refuses rates outside 0..1", async () => {
    const slack = await harness.slack();
    expect(() => slack.injectFaults({ rate429: 2 })).toThrow(/rate429 must be between 0 and 1/);
  });

  it("lets a client that honours Retry-After get through once the fault is gone", async () => {
    const slack = await harness.slack();
    slack.injectFaults({ rate429: 1, retryAfterSeconds: 0, methods: ["chat.postMessage"] });
    slack.on("call", (call) => {
      if (call.status === 429) slack.clearFaults();
    });
    const web = client(slack, { retryConfig: { retries: 2, minTimeout: 0, maxTimeout: 0 } });
    await web.chat.postMessage({ channel: CHANNEL, text: "eventually" });
    expect(slack.calls("chat.postMessage").map((call) => call.status)).toEqual([429, 200]);
    expect(slack.messages(CHANNEL)).toHaveLength(1);
  });
});
