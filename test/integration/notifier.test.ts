import { type Job, QueueEvents, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { type Deployment, moveTo, newDeployment, updateStage } from "../../src/domain/deployment.js";
import { Notifications, SYNC_COALESCE_MS } from "../../src/engine/notifications.js";
import { createQueues, type Queues, queueOptions } from "../../src/engine/queues.js";
import { createLogger } from "../../src/logger.js";
import { SLACK_PACE } from "../../src/runtime.js";
import { startNotifier } from "../../src/slack/notifier.js";
import { type PaceOptions, Pacer } from "../../src/slack/pacer.js";
import type { SlackMessage } from "../../src/slack/renderers/blocks.js";
import { renderRootMessage, renderStageReply } from "../../src/slack/renderers/deployment-message.js";
import { renderClosingRecord } from "../../src/slack/renderers/deployment-record.js";
import { SlackRefStore } from "../../src/slack/slack-refs.js";
import { createWebClient } from "../../src/slack/web-client.js";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import type { FaultOptions } from "../../src/standin/fault-injector.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import type { FakeSlackOptions } from "../../src/standin/stand-in-state.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { keys } from "../../src/store/keys.js";
import { testRedis } from "../support/redis.js";

const BOT_TOKEN = "xoxb-notifier-test";
const SIGNING_SECRET = "notifier-test-signing-secret";
const CHANNEL = "C0DEPLOYS";
/** Fast enough that pacing never shows in a test that is not about pacing. */
const FAST: PaceOptions = { burst: 50, intervalMs: 10 };
/** What production uses (src/runtime.ts): Slack's one message a second per channel, bursts of three. */
const PRODUCTION_PACE: PaceOptions = SLACK_PACE;
/** A fixed start, so every run renders the same durations and times. */
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

const log = createLogger("silent");

// ── one notifier against one Slack stand-in, under its own key prefix ───

interface Env {
  readonly redis: Redis;
  readonly prefix: string;
  readonly slack: FakeSlack;
  readonly store: DeploymentStore;
  readonly notifications: Notifications;
  readonly queues: Queues;
  readonly worker: Worker;
  readonly events: QueueEvents;
  /** Every failed attempt the worker reported, including attempts that were retried. */
  readonly failed: Array<{ jobId: string | undefined; reason: string }>;
  close(): Promise<void>;
}

const open: Env[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((env) => env.close()));
});

async function startEnv(
  label: string,
  options: { pace?: PaceOptions; slack?: Partial<FakeSlackOptions> } = {},
): Promise<Env> {
  const ctx = await testRedis(label);
  const k = keys(ctx.prefix);
  const slack = await FakeSlack.start({
    botToken: BOT_TOKEN,
    signingSecret: SIGNING_SECRET,
    channels: [{ id: CHANNEL, name: "deploys" }],
    ...options.slack,
  });
  const queues = createQueues(ctx.redis, ctx.prefix);
  const store = new DeploymentStore(ctx.redis, ctx.prefix);
  const connections: Redis[] = [ctx.redis.duplicate(), ctx.redis.duplicate()];
  const [workerConnection, eventsConnection] = connections as [Redis, Redis];
  const worker = startNotifier({
    connection: workerConnection,
    keyPrefix: ctx.prefix,
    slack: createWebClient(BOT_TOKEN, slack.apiUrl, log),
    store,
    refs: new SlackRefStore(ctx.redis, ctx.prefix),
    pacer: new Pacer(ctx.redis, k.pace, options.pace ?? FAST),
    log,
    now: Date.now,
  });
  const failed: Env["failed"] = [];
  worker.on("failed", (job: Job | undefined, error: Error) => failed.push({ jobId: job?.id, reason: error.message }));
  const events = new QueueEvents("notify", queueOptions(eventsConnection, ctx.prefix, "notify"));
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  const env: Env = {
    redis: ctx.redis,
    prefix: ctx.prefix,
    slack,
    store,
    notifications: new Notifications(queues.notify),
    queues,
    worker,
    events,
    failed,
    async close() {
      await worker.close();
      await events.close();
      await queues.close();
      for (const connection of connections) connection.disconnect();
      await slack.close();
      await ctx.close();
    },
  };
  open.push(env);
  return env;
}

// ── driving a deployment as the pipeline does ─────────────────────────

interface Plan {
  readonly id: string;
  readonly service: string;
  readonly stages: readonly string[];
  /** The stage that fails, if any; the deployment then ends failed. */
  readonly failAt?: number;
}

/** Stage `index` started at T0 + 1s + index·10s and took 2s + index·1s. */
function stageTimes(index: number): { startedAt: number; finishedAt: number } {
  const startedAt = T0 + 1_000 + index * 10_000;
  return { startedAt, finishedAt: startedAt + 2_000 + index * 1_000 };
}

/**
 * The changes the pipeline makes to a deployment, in order, as functions
 * from one revision to the next: running, then each stage started and
 * finished, then the end.
 */
function changesFor(plan: Plan): Array<(d: Deployment) => Deployment> {
  const changes: Array<(d: Deployment) => Deployment> = [(d) => moveTo(d, "running", T0 + 500)];
  const last = plan.failAt ?? plan.stages.length - 1;
  for (let i = 0; i <= last; i += 1) {
    const { startedAt, finishedAt } = stageTimes(i);
    changes.push((d) => updateStage(d, i, { status: "running", attempts: 1, startedAt }, startedAt));
    changes.push((d) =>
      i === plan.failAt
        ? updateStage(
            d,
            i,
            {
              status: "failed",
              exitCode: 3,
              finishedAt,
              error: "exited with code 3",
              outputTail: `${plan.stages[i]}: connecting to db\nerror: connection refused`,
            },
            finishedAt,
          )
        : updateStage(d, i, { status: "succeeded", exitCode: 0, finishedAt }, finishedAt),
    );
  }
  const end = stageTimes(last).finishedAt + 100;
  changes.push((d) =>
    plan.failAt === undefined
      ? moveTo(d, "succeeded", end)
      : moveTo(d, "failed", end, { failureReason: `stage ${plan.stages[plan.failAt]} exited with code 3` }),
  );
  return changes;
}

/** Creates the deployment in the store and tells the notifier, as requestDeployment does. */
async function create(env: Env, plan: Plan): Promise<Deployment> {
  const d = newDeployment(
    {
      id: plan.id,
      service: plan.service,
      environment: "production",
      version: "v1.2.0",
      strategy: "rolling",
      hotfix: false,
      requestedBy: "U0ENGINEER",
      source: "slack",
      steps: plan.stages.map((name) => ({ name })),
      channel: CHANNEL,
      waitLimitMs: 4 * 3_600_000,
      // These threads are about posting and editing; the review a failure asks for is tested end to end.
      reviewPolicy: { after: "never", remindAfterMs: 0 },
    },
    T0,
  );
  const created = await env.store.create(d);
  expect(created).toEqual({ ok: true });
  await env.notifications.changed(d);
  return d;
}

/** Saves one change with compare-and-set and tells the notifier, as the pipeline does. */
async function apply(env: Env, d: Deployment, change: (d: Deployment) => Deployment): Promise<Deployment> {
  const saved = await env.store.save(change(d));
  await env.notifications.changed(saved);
  return saved;
}

/** Runs a whole deployment; after each change, `between` may wait for Slack to catch up. */
async function drive(
  env: Env,
  plan: Plan,
  between: (d: Deployment) => Promise<unknown> = async () => undefined,
): Promise<Deployment> {
  let d = await create(env, plan);
  await between(d);
  for (const change of changesFor(plan)) {
    d = await apply(env, d, change);
    await between(d);
  }
  return d;
}

function syncJobIds(d: Deployment): string[] {
  return Array.from({ length: d.rev + 1 }, (_, rev) => `sync.${d.id}.${rev}`);
}

/**
 * Resolves once every job in `jobIds` has completed or failed, with how each
 * ended. Listens first, then looks at jobs that already ended.
 */
async function settled(env: Env, jobIds: readonly string[], timeoutMs: number): Promise<Map<string, string>> {
  const outcomes = new Map<string, string>();
  const wanted = new Set(jobIds);
  let onCompleted: (args: { jobId: string }) => void = () => undefined;
  let onFailed: (args: { jobId: string; failedReason: string }) => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const record = (jobId: string, outcome: string) => {
        if (!wanted.has(jobId) || outcomes.has(jobId)) return;
        outcomes.set(jobId, outcome);
        if (outcomes.size === wanted.size) resolve();
      };
      onCompleted = ({ jobId }) => record(jobId, "completed");
      onFailed = ({ jobId, failedReason }) => record(jobId, `failed: ${failedReason}`);
      env.events.on("completed", onCompleted);
      env.events.on("failed", onFailed);
      timer = setTimeout(() => {
        const missing = jobIds.filter((id) => !outcomes.has(id));
        reject(
          new Error(`jobs not settled within ${timeoutMs} ms: ${missing.join(", ")}\n${env.slack.transcript(CHANNEL)}`),
        );
      }, timeoutMs);
      void Promise.all(
        jobIds.map(async (jobId) => {
          const state = await env.queues.notify.getJobState(jobId);
          if (state === "completed") record(jobId, "completed");
          if (state === "failed") {
            const job = await env.queues.notify.getJob(jobId);
            record(jobId, `failed: ${job?.failedReason ?? ""}`);
          }
        }),
      ).catch(reject);
    });
  } finally {
    clearTimeout(timer);
    env.events.off("completed", onCompleted);
    env.events.off("failed", onFailed);
  }
  return outcomes;
}

// ── reading Slack ─────────────────────────────────────────────────────

function visible(env: Env, content: StoredMessage | SlackMessage): string {
  return env.slack.textOf(content);
}

/** Root messages (not replies) of the channel that belong to a deployment. */
function rootsOf(env: Env, id: string): StoredMessage[] {
  return env.slack.messages(CHANNEL).filter((m) => m.threadTs === undefined && visible(env, m).includes(`\`${id}\``));
}

/** The deployment's thread as people read it: the root's text, then each reply's text, in order. */
function threadOf(env: Env, id: string): string[] {
  const roots = rootsOf(env, id);
  expect(roots, `root messages of ${id}`).toHaveLength(1);
  const root = roots[0] as StoredMessage;
  return env.slack.thread(CHANNEL, root.ts).map((m) => visible(env, m));
}

/** What the thread of a finished deployment must read, rendered from the record. */
function expectedThread(env: Env, d: Deployment): string[] {
  const replies = d.stages.flatMap((stage, index) =>
    stage.status === "succeeded" || stage.status === "failed" ? [visible(env, renderStageReply(d, index))] : [],
  );
  return [visible(env, renderRootMessage(d, Date.now())), ...replies, visible(env, renderClosingRecord(d, Date.now()))];
}

/** Resolves once the deployment's root message in Slack shows what the record `d` says. */
function rootShows(env: Env, d: Deployment, timeoutMs = 30_000): Promise<StoredMessage> {
  const wanted = visible(env, renderRootMessage(d, Date.now()));
  return env.slack.waitForMessage((m) => m.threadTs === undefined && visible(env, m) === wanted, { timeoutMs });
}

function okPosts(env: Env): number {
  return env.slack.calls("chat.postMessage").filter((c) => c.response.ok === true).length;
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

// ── the tests ─────────────────────────────────────────────────────────

describe("notifier", () => {
  it("keeps one root message up to date and posts one reply per finished stage, in order, then the summary", async () => {
    const env = await startEnv("notifier-thread");
    const plan: Plan = { id: "d-thread1", service: "web", stages: ["build", "migrate", "deploy", "smoke"] };
    const d = await drive(env, plan, (current) => rootShows(env, current));
    await settled(env, syncJobIds(d), 30_000);

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
    await settled(env, syncJobIds(d), 30_000);

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
    await settled(env, syncJobIds(d), 30_000);

    // At most one edit per coalescing window the burst spanned, plus the last: a few, not thirty.
    const updates = env.slack.calls("chat.update").length - updatesBefore;
    expect(updates).toBeGreaterThanOrEqual(1);
    expect(updates).toBeLessThanOrEqual(Math.min(6, 2 + Math.floor(burstMs / SYNC_COALESCE_MS)));
    expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    expect(threadOf(env, d.id)[0]).toContain("*Status:* ✅ *Succeeded*");
    expect(rootsOf(env, d.id)[0]?.edits.length).toBe(updates);
    expect(okPosts(env)).toBe(1 + stages.length + 1);
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
    async function run(env: Env): Promise<{ threads: Map<string, string[]>; jobs: Map<string, string> }> {
      const finished = await Promise.all(plans.map((plan) => drive(env, plan, (d) => rootShows(env, d, 60_000))));
      const jobs = await settled(
        env,
        finished.flatMap((d) => syncJobIds(d)),
        90_000,
      );
      return { threads: new Map(finished.map((d) => [d.id, threadOf(env, d.id)])), jobs };
    }

    it("every thread ends as in a fault-free run, nothing is posted twice, and every sync completes", async () => {
      const [clean, faulty] = await Promise.all([startEnv("notifier-clean"), startEnv("notifier-faulty")]);
      faulty.slack.injectFaults(faults);
      const [expected, actual] = await Promise.all([run(clean), run(faulty)]);

      expect(actual.threads).toEqual(expected.threads);
      for (const plan of plans) expect(rootsOf(faulty, plan.id)).toHaveLength(1);
      expect(faulty.slack.messages(CHANNEL)).toHaveLength(clean.slack.messages(CHANNEL).length);
      expect(okPosts(faulty)).toBe(okPosts(clean));
      expect(okPosts(clean)).toBe(3 + 3 + 2 + 4 + 3);

      // The faults did happen, and in the end no sync job failed.
      expect(faulty.slack.calls().filter((c) => c.status === status).length).toBeGreaterThan(3);
      expect([...actual.jobs.values()].every((outcome) => outcome === "completed")).toBe(true);
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
    const firstSync = settled(env, [`sync.${refused.id}.0`], 30_000);
    let a = await create(env, refused);
    expect((await firstSync).get(`sync.${refused.id}.0`)).toBe("failed: An API error occurred: channel_not_found");
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
    const jobs = await settled(
      env,
      finished.flatMap((d) => syncJobIds(d).filter((id) => id !== `sync.${refused.id}.0`)),
      30_000,
    );

    // The other deployments' threads, and the refused one's too: its next change posted it.
    for (const d of finished) expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    expect([...jobs.values()].every((outcome) => outcome === "completed")).toBe(true);
    expect(env.failed).toEqual([{ jobId: `sync.${refused.id}.0`, reason: "An API error occurred: channel_not_found" }]);
    expect(env.worker.isRunning()).toBe(true);
  });

  it("finds in Slack, by their metadata, posts whose records were lost, and keeps them instead of posting again", async () => {
    const env = await startEnv("notifier-lost-record");
    const plan: Plan = { id: "d-lost1", service: "web", stages: ["build", "deploy"] };
    const changes = changesFor(plan);
    let d = await create(env, plan);
    for (const change of changes.slice(0, 3)) d = await apply(env, d, change);
    await settled(env, syncJobIds(d), 30_000);
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
    await settled(env, syncJobIds(d), 30_000);

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
    await settled(env, syncJobIds(finished[0] as Deployment), 30_000);
    env.slack.failNext("conversations.history", "missing_scope");
    finished.push(await drive(env, plans[1] as Plan));
    await settled(
      env,
      finished.flatMap((d) => syncJobIds(d)),
      30_000,
    );

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
    const jobs = await settled(
      env,
      finished.flatMap((d) => syncJobIds(d)),
      120_000,
    );

    for (const d of finished) expect(threadOf(env, d.id)).toEqual(expectedThread(env, d));
    // 5 roots, 3 stage replies and a summary each.
    expect(okPosts(env)).toBe(5 * 5);
    expect([...jobs.values()].every((outcome) => outcome === "completed")).toBe(true);
    expect(env.failed).toEqual([]);

    // Paced with headroom, Slack never has to refuse a post.
    const refused = env.slack.calls().filter((c) => c.status === 429);
    expect(
      refused.map((c) => `${c.method} at +${c.at - (env.slack.calls()[0]?.at ?? 0)} ms`),
      "calls answered 429",
    ).toEqual([]);
  }, 150_000);
});
