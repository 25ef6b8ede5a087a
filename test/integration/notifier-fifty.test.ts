import { afterEach, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { SLACK_PACE } from "../../src/runtime.js";
import {
  CHANNEL,
  drive,
  expectedThread,
  type NotifierRig,
  okPosts,
  type Plan,
  rootsOf,
  startNotifierRig,
  synced,
  threadOf,
} from "../support/notifier-rig.js";

/*
 * Many deployments at once against the stand-in enforcing Slack's limits:
 * chat.postMessage per channel, chat.update per workspace. Both the limits
 * and the notifier's pace run ten times faster than Slack's, so fifty
 * deployments fit in seconds; their ratio, and so the pressure on the
 * notifier, is production's. At this speed the pacer's headroom is a few
 * milliseconds, so a post may meet a 429 here: it must be waited out and
 * made again (whether production's pace meets none is the five-deployment
 * test of notifier.test.ts).
 */
const SPEED = 10;
const PACE = { burst: SLACK_PACE.burst, intervalMs: SLACK_PACE.intervalMs / SPEED };
const LIMITS = {
  postMessagePerSecondPerChannel: 1 * SPEED,
  postMessageBurst: 3,
  updatePerMinute: 50 * SPEED,
  updateBurst: 50,
};
/** Root, one reply per stage and the closing record. */
const STAGES = ["build", "deploy"];
const POSTS_EACH = 1 + STAGES.length + 1;

const open: NotifierRig[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((rig) => rig.close()));
});

async function startRig(label: string): Promise<NotifierRig> {
  const rig = await startNotifierRig(label, { pace: PACE, slack: { enforceRateLimits: true, rateLimits: LIMITS } });
  open.push(rig);
  return rig;
}

function plansIn(channels: readonly string[], perChannel: number): Plan[] {
  return channels.flatMap((channel, c) =>
    Array.from({ length: perChannel }, (_, i) => ({
      id: `d-many-${c}-${i}`,
      service: `svc-${c}-${i}`,
      stages: STAGES,
      channel,
      // Every seventh ends failed at its last stage: its thread says so.
      ...((c * perChannel + i) % 7 === 3 ? { failAt: STAGES.length - 1 } : {}),
    })),
  );
}

/** Drives every plan at once, change after change with no pause, and waits until Slack shows them all. */
async function runAll(rig: NotifierRig, plans: readonly Plan[]): Promise<Deployment[]> {
  const finished = await Promise.all(plans.map((plan) => drive(rig, plan)));
  await synced(rig, finished, 90_000);
  return finished;
}

/** Every thread exactly as its record says, each once; no call failed for good; every 429 was waited out. */
function expectAllShown(rig: NotifierRig, plans: readonly Plan[], finished: readonly Deployment[]): void {
  for (const [i, d] of finished.entries()) {
    const channel = plans[i]?.channel ?? CHANNEL;
    expect(rootsOf(rig, d.id, channel), `roots of ${d.id}`).toHaveLength(1);
    expect(threadOf(rig, d.id, channel), `thread of ${d.id}`).toEqual(expectedThread(rig, d));
    expect(threadOf(rig, d.id, channel)[0]).toContain(d.state === "failed" ? "❌ *Failed*" : "✅ *Succeeded*");
  }
  expect(okPosts(rig)).toBe(plans.length * POSTS_EACH);
  expect(rig.failed).toEqual([]);
  // A 429 answered by the stand-in was waited out and the call made again: it shows in no thread above.
  const refused = rig.slack.calls().filter((c) => c.status === 429);
  for (const call of refused) {
    const retried = rig.slack
      .calls(call.method)
      .some((c) => c.at >= call.at && c.response.ok === true && c.args.channel === call.args.channel);
    expect(retried, `${call.method} answered 429 and never made again`).toBe(true);
  }
}

describe("many deployments at once, within Slack's rate limits", () => {
  it("fifty started together in one channel all end with every thread right and the root showing the end", async () => {
    const rig = await startRig("notifier-fifty");
    const plans = plansIn([CHANNEL], 50);
    const finished = await runAll(rig, plans);

    expectAllShown(rig, plans, finished);
    expect(rig.slack.messages(CHANNEL)).toHaveLength(50 * POSTS_EACH);
  }, 150_000);

  it("ten channels with five each at once all end with every thread right", async () => {
    const rig = await startRig("notifier-ten-channels");
    const channels = Array.from({ length: 10 }, (_, c) => `C0MANY${String(c).padStart(4, "0")}`);
    const plans = plansIn(channels, 5);
    const finished = await runAll(rig, plans);

    expectAllShown(rig, plans, finished);
    for (const channel of channels) expect(rig.slack.messages(channel)).toHaveLength(5 * POSTS_EACH);
  }, 150_000);
});
