import { afterEach, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { SYNC_COALESCE_MS } from "../../src/engine/notifications.js";
import { SLACK_PACE } from "../../src/runtime.js";
import type { PaceOptions } from "../../src/slack/pacer.js";
import type { FaultOptions } from "../../src/standin/fault-injector.js";
import type { FakeSlackOptions } from "../../src/standin/stand-in-state.js";
import { keys } from "../../src/store/keys.js";
import {
  apply,
  CHANNEL,
  changesFor,
  create,
  drive,
  expectedThread,
  type NotifierRig,
  okPosts,
  type Plan,
  pendingSyncs,
  rootShows,
  rootsOf,
  startNotifierRig,
  synced,
  threadOf,
} from "../support/notifier-rig.js";

/** What production uses (src/runtime.ts): Slack's one message a second per channel, bursts of three. */
const PRODUCTION_PACE: PaceOptions = SLACK_PACE;

type Env = NotifierRig;

const open: Env[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((env) => env.close()));
});

async function startEnv(
  label: string,
  options: { pace?: PaceOptions; slack?: Partial<FakeSlackOptions> } = {},
): Promise<Env> {
  const env = await startNotifierRig(label, options);
  open.push(env);
  return env;
}

/**
 * What a worker that died (or lost Redis) right after posting `names` leaves:
 * each marked pending since `at`, none recorded.
 */
async function loseRecords(env: Env, id: string, names: readonly string[], at: number): Promise<void> {
  const key = keys(env.prefix).slackRefs(id);
  for (const name of names) {
    await env.redis.hdel(key, name);
    await env.redis.hset(`${key}:pending`, name, JSON.stringify({ at }));
  }
}

/** Web API calls that read messages back, with metadata. */
function lookups(env: Env, method: "conversations.history" | "conversations.replies"): number {
  return env.slack.calls(method).filter((c) => String(c.args.include_all_metadata) === "true").length;
}

describe("notifier", () => {
  it("keeps one root message up to date and posts one reply per finished stage, in order, then the summary", async () => {
    const env = await startEnv("notifier-thread");
    const plan: Plan = { id: "d-thread1", service: "web", stages: ["build", "migrate", "deploy", "smoke"] };
    const d = await drive(env, plan, (current) => rootShows(env, current));
    await synced(env, [d], 30_000);

    expect(rootsOf(env, d.id)).toHaveLength(1);
    const thread = threadOf(env, d.id);
    expect(thread).toEqual(expectedThread(env, d));
    expect(thread[0]).toContain("*Status:* ✅ *Succeeded*");
    expect(thread[0]).toContain("`██████████ 100%`");
    expect(thread[0]).toContain("✅ build (2s)\n✅ migrate (3s)\n✅ deploy (4s)\n✅ smoke (5s)");
    expect(thread.slice(1)).toEqual([
      "✅ *build* succeeded in 2s",
      "✅ *migrate* succeeded in 3s",
      "✅ *deploy* succeeded in 4s",
      "✅ *smoke* succeeded in 5s",
      expect.stringMatching(
        /^✅ \*Deployment succeeded\*: web v1\.2\.0 → production\nDuration: 36s · stages: 4\/4 succeeded\n\*Deployment record\*\n/,
      ),
    ]);
    // The root was edited in place as the deployment moved, never posted again.
    const [root] = rootsOf(env, d.id);
    expect(root?.edits.length).toBeGreaterThanOrEqual(plan.stages.length);
    expect(okPosts(env)).toBe(1 + plan.stages.length + 1);
    expect(env.failed).toEqual([]);
  });

  it("a failed stage's reply carries its output; the summary says why", async () => {
    const env = await startEnv("notifier-failed");
    const plan: Plan = { id: "d-failed1", service: "web", stages: ["build", "deploy", "smoke"], failAt: 1 };
    const d = await drive(env, plan, (current) => rootShows(env, current));
    await synced(env, [d], 30_000);

    const thread = threadOf(env, d.id);
    expect(thread).toEqual(expectedThread(env, d));
    expect(thread[0]).toContain("*Status:* ❌ *Failed*");
    expect(thread[0]).toContain("*Why:* stage deploy exited with code 3");
    expect(thread[0]).toContain("✅ build (2s)\n❌ deploy (3s)\n⏳ smoke");
    expect(thread.slice(1)).toEqual([
      "✅ *build* succeeded in 2s",
      "❌ *deploy* exited with code 3 in 3s\n```deploy: connecting to db\nerror: connection refused```",
      expect.stringMatching(
        /^❌ \*Deployment failed\*: web v1\.2\.0 → production\nDuration: 14s · stages: 1\/3 succeeded\nWhy: stage deploy exited with code 3\n/,
      ),
    ]);
  });

  it("coalesces a burst of changes into a few edits that end on the latest state", async () => {
    const env = await startEnv("notifier-burst");
    const stages = Array.from({ length: 14 }, (_, i) => `step-${i}`);
    const plan: Plan = { id: "d-burst1", service: "web", stages };
    const changes = changesFor(plan);
    expect(changes).toHaveLength(30);

    let d = await create(env, plan);
    await rootShows(env, d);
    const updatesBefore = env.slack.calls("chat.update").length;
    const burstStart = Date.now();
    for (const change of changes) d = await apply(env, d, change);
    const burstMs = Date.now() - burstStart;
    await synced(env, [d], 30_000);

    // At most one edit per coalescing window the burst spanned, plus the last: a few, not thirty.
    const updates = env.slack.calls("chat.update").length - updatesBefore;
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(updates).toBeLessThanOrEqual(Math.min(6, 2 + Math.floor(burstMs / SYNC_COALESCE_MS)));
    expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    expect(threadOf(env, d.id)[0]).toContain("*Status:* ✅ *Succeeded*");
    expect(rootsOf(env, d.id)[0]?.edits.length).toBe(updates);
    expect(okPosts(env)).toBe(1 + stages.length + 1);
  });

  it("keeps at most one sync waiting per deployment through a burst of 20 changes, and Slack ends on the last", async () => {
    const env = await startEnv("notifier-one-pending");
    const plan: Plan = { id: "d-pending1", service: "web", stages: Array.from({ length: 9 }, (_, i) => `step-${i}`) };
    const changes = changesFor(plan);
    expect(changes).toHaveLength(20);
    const other = await create(env, { id: "d-pending2", service: "api", stages: ["build"] });

    let d = await create(env, plan);
    const pending = [await pendingSyncs(env, d.id)];
    for (const change of changes) {
      d = await apply(env, d, change);
      pending.push(await pendingSyncs(env, d.id));
    }
    // Counted in Redis after every change: never a second waiting job, whatever the worker was doing.
    expect(Math.max(...pending)).toBeLessThanOrEqual(1);
    await synced(env, [d, other], 30_000);

    expect(rootsOf(env, d.id)).toHaveLength(1);
    expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    expect(threadOf(env, d.id)[0]).toContain("*Status:* ✅ *Succeeded*");
    expect(okPosts(env)).toBe(1 + plan.stages.length + 1 + 1);
    // One job per change at most (without coalescing there were 21 for this deployment alone).
    expect(env.jobsRun()).toBeLessThan(changes.length + 1);
    expect(env.failed).toEqual([]);
  });

  it("a change made while a sync is in the middle of its Slack calls still reaches Slack", async () => {
    const env = await startEnv("notifier-changed-while-running");
    const plan: Plan = { id: "d-midsync", service: "web", stages: ["build", "deploy"] };
    const [first, ...rest] = changesFor(plan);
    let d = await create(env, plan);
    await rootShows(env, d);

    // The sync of the next revision reads it, then its edit of the root hangs in Slack.
    const held = env.slack.holdNext((method) => method === "chat.update");
    d = await apply(env, d, first as (d: Deployment) => Deployment);
    await held.arrived;
    for (const change of rest) d = await apply(env, d, change);
    // The running sync keeps the one after it; nothing else waits.
    expect(await pendingSyncs(env, d.id)).toBe(0);
    held.pass();

    await rootShows(env, d);
    await synced(env, [d], 30_000);
    expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    expect(env.jobsRun()).toBe(3);
    expect(env.failed).toEqual([]);
  });

  describe.each([
    ["429 with Retry-After 1 s", { rate429: 0.3, retryAfterSeconds: 1, seed: 7 }, 429],
    ["500", { rate5xx: 0.3, seed: 7 }, 500],
  ] as const)("when 30%% of Slack calls are answered %s", (_label, faults: FaultOptions, status) => {
    const plans: Plan[] = [
      { id: "d-chaos-a", service: "api", stages: ["build", "deploy", "smoke"] },
      { id: "d-chaos-b", service: "web", stages: ["build", "deploy", "smoke"], failAt: 1 },
      { id: "d-chaos-c", service: "worker", stages: ["build", "migrate", "deploy", "smoke"] },
    ];

    /** Every deployment driven change by change, each change waited for until Slack shows it. */
    async function run(env: Env): Promise<Map<string, string[]>> {
      const finished = await Promise.all(plans.map((plan) => drive(env, plan, (d) => rootShows(env, d, 60_000))));
      await synced(env, finished, 90_000);
      return new Map(finished.map((d) => [d.id, threadOf(env, d.id)]));
    }

    it("every thread ends as in a fault-free run, nothing is posted twice, and every sync completes", async () => {
      const [clean, faulty] = await Promise.all([startEnv("notifier-clean"), startEnv("notifier-faulty")]);
      faulty.slack.injectFaults(faults);
      const [expected, actual] = await Promise.all([run(clean), run(faulty)]);

      expect(actual).toEqual(expected);
      for (const plan of plans) expect(rootsOf(faulty, plan.id)).toHaveLength(1);
      expect(faulty.slack.messages(CHANNEL)).toHaveLength(clean.slack.messages(CHANNEL).length);
      expect(okPosts(faulty)).toBe(okPosts(clean));
      expect(okPosts(clean)).toBe(3 + 3 + 2 + 4 + 3);

      // The faults did happen, and in the end no sync job failed.
      expect(faulty.slack.calls().filter((c) => c.status === status).length).toBeGreaterThan(3);
      expect(await faulty.queues.notify.getJobCountByTypes("failed")).toBe(0);
      expect(clean.failed).toEqual([]);
      if (status === 429) {
        // A 429 puts the job back for Retry-After: it never even counts as a failed attempt.
        expect(faulty.failed).toEqual([]);
      } else {
        // A 5xx is retried with backoff; the only failed attempts are those.
        expect(faulty.failed.length).toBeGreaterThan(0);
        for (const failure of faulty.failed) expect(failure.reason).toContain("statusCode = 500");
      }
    }, 180_000);
  });

  it("a Slack ok:false answer fails only that sync; the worker goes on and every thread is written", async () => {
    const env = await startEnv("notifier-refused");
    const refused: Plan = { id: "d-refused", service: "api", stages: ["build", "deploy"] };
    env.slack.failNext("chat.postMessage", "channel_not_found");
    const firstSync = new Promise<string>((resolve) =>
      env.worker.once("failed", (_job, error) => resolve(error.message)),
    );
    let a = await create(env, refused);
    expect(await firstSync).toBe("An API error occurred: channel_not_found");
    expect(env.worker.isRunning()).toBe(true);

    const others: Plan[] = [
      { id: "d-others-b", service: "web", stages: ["build", "deploy", "smoke"] },
      { id: "d-others-c", service: "worker", stages: ["build", "deploy"], failAt: 1 },
    ];
    const finishRefused = async () => {
      for (const change of changesFor(refused)) a = await apply(env, a, change);
      return a;
    };
    const finished = await Promise.all([
      finishRefused(),
      ...others.map((plan) => drive(env, plan, (d) => rootShows(env, d))),
    ]);
    await synced(env, finished, 30_000);

    // The other deployments' threads, and the refused one's too: its next change posted it.
    for (const d of finished) expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    expect(env.failed.map((f) => f.reason)).toEqual(["An API error occurred: channel_not_found"]);
    expect(await env.queues.notify.getJobCountByTypes("failed")).toBe(1);
    expect(env.worker.isRunning()).toBe(true);
  });

  it("finds in Slack, by their metadata, posts whose records were lost, and keeps them instead of posting again", async () => {
    const env = await startEnv("notifier-lost-record");
    const plan: Plan = { id: "d-lost1", service: "web", stages: ["build", "deploy"] };
    const changes = changesFor(plan);
    let d = await create(env, plan);
    for (const change of changes.slice(0, 3)) d = await apply(env, d, change);
    await synced(env, [d], 30_000);
    expect(threadOf(env, d.id)).toHaveLength(2);
    const [root] = rootsOf(env, d.id);
    expect(root?.metadata).toMatchObject({
      event_type: "slipway_message",
      event_payload: { deploymentId: d.id, name: "root" },
    });
    const postsBefore = okPosts(env);

    // The root and the first stage's reply reached Slack; their ts never reached Redis.
    const lostAt = Date.now() - 5_000;
    await loseRecords(env, d.id, ["root", "stage0"], lostAt);
    for (const change of changes.slice(3)) d = await apply(env, d, change);
    await synced(env, [d], 30_000);

    expect(rootsOf(env, d.id)).toHaveLength(1);
    expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    // Only what was new was posted: the second stage's reply and the summary; the root was edited in place.
    expect(okPosts(env) - postsBefore).toBe(2);
    expect(rootsOf(env, d.id)[0]?.ts).toBe(root?.ts);
    expect(lookups(env, "conversations.history")).toBe(1);
    expect(lookups(env, "conversations.replies")).toBe(1);
    // Read newest first from just after the attempt (2 min of margin), so later traffic cannot bury it.
    const [history] = env.slack.calls("conversations.history");
    expect(Number(history?.args.latest)).toBeCloseTo((lostAt + 120_000) / 1000, 2);
    expect(Number(history?.args.oldest)).toBeCloseTo((lostAt - 120_000) / 1000, 2);
    const key = keys(env.prefix).slackRefs(d.id);
    expect(JSON.parse((await env.redis.hget(key, "root")) ?? "{}")).toMatchObject({ ts: root?.ts });
    expect(await env.redis.hlen(`${key}:pending`)).toBe(0);
    expect(env.failed).toEqual([]);
  });

  it("posts, once, a pending message Slack does not have; and posts it when Slack cannot be read", async () => {
    const env = await startEnv("notifier-never-posted");
    const plans: Plan[] = [
      { id: "d-unposted", service: "web", stages: ["build"] },
      { id: "d-unreadable", service: "api", stages: ["build"] },
    ];
    // A first attempt died before its post reached Slack; for the second deployment, Slack refuses to be read.
    for (const plan of plans) await loseRecords(env, plan.id, ["root"], Date.now() - 5_000);
    const finished = [await drive(env, plans[0] as Plan)];
    await synced(env, finished, 30_000);
    env.slack.failNext("conversations.history", "missing_scope");
    finished.push(await drive(env, plans[1] as Plan));
    await synced(env, finished, 30_000);

    for (const d of finished) {
      expect(rootsOf(env, d.id)).toHaveLength(1);
      expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    }
    expect(okPosts(env)).toBe(2 * 3);
    expect(env.slack.calls("conversations.history").map((c) => c.response.ok)).toEqual([true, false]);
    expect(env.failed).toEqual([]);
  });

  it("paced to Slack's limits, five deployments in one channel never meet a 429", async () => {
    const env = await startEnv("notifier-pacing", {
      pace: PRODUCTION_PACE,
      slack: { enforceRateLimits: true },
    });
    const plans: Plan[] = ["a", "b", "c", "d", "e"].map((name, i) => ({
      id: `d-paced-${name}`,
      service: `svc-${name}`,
      stages: ["build", "deploy", "smoke"],
      ...(i === 2 ? { failAt: 2 } : {}),
    }));
    const finished = await Promise.all(plans.map((plan) => drive(env, plan)));
    await synced(env, finished, 120_000);

    for (const d of finished) expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    // 5 roots, 3 stage replies and a summary each.
    expect(okPosts(env)).toBe(5 * 5);
    expect(env.failed).toEqual([]);

    // Paced with headroom, Slack never has to refuse a post.
    const refused = env.slack.calls().filter((c) => c.status === 429);
    expect(
      refused.map((c) => `${c.method} at +${c.at - (env.slack.calls()[0]?.at ?? 0)} ms`),
      "calls answered 429",
    ).toEqual([]);
  }, 150_000);
});
