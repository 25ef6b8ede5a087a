import { type Job, QueueEvents, type Worker } from "bullmq";
import type { Redis } from "ioredis";
import { type Deployment, moveTo, newDeployment, updateStage } from "../../src/domain/deployment.js";
import { Notifications } from "../../src/engine/notifications.js";
import { createQueues, type Queues, queueOptions } from "../../src/engine/queues.js";
import { createLogger } from "../../src/logger.js";
import { startNotifier } from "../../src/slack/notifier.js";
import { type PaceOptions, Pacer } from "../../src/slack/pacer.js";
import type { SlackMessage } from "../../src/slack/renderers/blocks.js";
import { renderRootMessage, renderStageReply } from "../../src/slack/renderers/deployment-message.js";
import { renderClosingRecord } from "../../src/slack/renderers/deployment-record.js";
import { SlackRefStore } from "../../src/slack/slack-refs.js";
import { createWebClient } from "../../src/slack/web-client.js";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import type { FakeSlackOptions } from "../../src/standin/stand-in-state.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { keys } from "../../src/store/keys.js";
import { testRedis } from "./redis.js";

/*
 * One notifier worker, in this process, against one Slack stand-in under its
 * own key prefix; and deployments driven change by change straight in the
 * store, each change told to the notifier as the pipeline tells it. For what
 * the notifier makes of many changes, without the pipeline's pace.
 */

const BOT_TOKEN = "xoxb-notifier-test";
const SIGNING_SECRET = "notifier-test-signing-secret";
export const CHANNEL = "C0DEPLOYS";
/** Fast enough that pacing never shows in a test that is not about pacing. */
export const FAST: PaceOptions = { burst: 50, intervalMs: 10 };
/** A fixed start, so every run renders the same durations and times. */
const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

export interface NotifierRig {
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
  /** Notify jobs the worker took, each counted once however often it was delayed or retried. */
  readonly jobsRun: () => number;
  close(): Promise<void>;
}

export async function startNotifierRig(
  label: string,
  options: { pace?: PaceOptions; slack?: Partial<FakeSlackOptions>; concurrency?: number; logLevel?: string } = {},
): Promise<NotifierRig> {
  const ctx = await testRedis(label);
  const k = keys(ctx.prefix);
  const log = createLogger(options.logLevel ?? "silent");
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
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const failed: NotifierRig["failed"] = [];
  const ran = new Set<string | undefined>();
  worker.on("failed", (job: Job | undefined, error: Error) => failed.push({ jobId: job?.id, reason: error.message }));
  worker.on("active", (job: Job) => ran.add(job.id));
  const events = new QueueEvents("notify", queueOptions(eventsConnection, ctx.prefix, "notify"));
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  return {
    redis: ctx.redis,
    prefix: ctx.prefix,
    slack,
    store,
    notifications: new Notifications(queues.notify),
    queues,
    worker,
    events,
    failed,
    jobsRun: () => ran.size,
    async close() {
      await worker.close();
      await events.close();
      await queues.close();
      for (const connection of connections) connection.disconnect();
      await slack.close();
      await ctx.close();
    },
  };
}

// ── driving a deployment as the pipeline does ─────────────────────────

export interface Plan {
  readonly id: string;
  readonly service: string;
  readonly stages: readonly string[];
  /** The stage that fails, if any; the deployment then ends failed. */
  readonly failAt?: number;
  /** Its deploy channel. Default `CHANNEL`. */
  readonly channel?: string;
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
export function changesFor(plan: Plan): Array<(d: Deployment) => Deployment> {
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
export async function create(rig: NotifierRig, plan: Plan): Promise<Deployment> {
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
      channel: plan.channel ?? CHANNEL,
      waitLimitMs: 4 * 3_600_000,
      // These threads are about posting and editing; the review a failure asks for is tested end to end.
      reviewPolicy: { after: "never", remindAfterMs: 0 },
    },
    T0,
  );
  const created = await rig.store.create(d);
  if (!created.ok) throw new Error(`could not create ${plan.id}: ${JSON.stringify(created)}`);
  await rig.notifications.changed(d);
  return d;
}

/** Saves one change with compare-and-set and tells the notifier, as the pipeline does. */
export async function apply(
  rig: NotifierRig,
  d: Deployment,
  change: (d: Deployment) => Deployment,
): Promise<Deployment> {
  const saved = await rig.store.save(change(d));
  await rig.notifications.changed(saved);
  return saved;
}

/** Runs a whole deployment; after each change, `between` may wait for Slack to catch up. */
export async function drive(
  rig: NotifierRig,
  plan: Plan,
  between: (d: Deployment) => Promise<unknown> = async () => undefined,
): Promise<Deployment> {
  let d = await create(rig, plan);
  await between(d);
  for (const change of changesFor(plan)) {
    d = await apply(rig, d, change);
    await between(d);
  }
  return d;
}

/**
 * Resolves once Slack shows every deployment of `finished` at its revision
 * and no notify job is left waiting, delayed or running: checked at the
 * start and whenever a job ends.
 */
export async function synced(rig: NotifierRig, finished: readonly Deployment[], timeoutMs: number): Promise<void> {
  const ids = finished.map((d) => d.id);
  const check = async (): Promise<boolean> => {
    const counts = await rig.queues.notify.getJobCounts("waiting", "delayed", "active", "prioritized");
    if (Object.values(counts).some((n) => n > 0)) return false;
    const rendered = await rig.store.renderedRevs(ids);
    return finished.every((d, i) => (rendered[i] ?? -1) >= d.rev);
  };
  let onEnded: () => void = () => undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const recheck = () => check().then((done) => done && resolve(), reject);
      onEnded = recheck;
      rig.events.on("completed", onEnded);
      rig.events.on("failed", onEnded);
      timer = setTimeout(async () => {
        const rendered = await rig.store.renderedRevs(ids).catch(() => []);
        const behind = finished.filter((d, i) => (rendered[i] ?? -1) < d.rev).map((d) => d.id);
        const counts = await rig.queues.notify.getJobCounts().catch(() => ({}));
        reject(
          new Error(
            `Slack not in sync within ${timeoutMs} ms: behind ${behind.join(", ") || "none"}; notify jobs ${JSON.stringify(counts)}`,
          ),
        );
      }, timeoutMs);
      recheck();
    });
  } finally {
    clearTimeout(timer);
    rig.events.off("completed", onEnded);
    rig.events.off("failed", onEnded);
  }
}

/** Notify jobs of a deployment waiting for a worker (waiting, delayed or prioritized). */
export async function pendingSyncs(rig: NotifierRig, deploymentId: string): Promise<number> {
  const jobs = await rig.queues.notify.getJobs(["waiting", "delayed", "prioritized"]);
  return jobs.filter((job) => (job?.data as { deploymentId?: unknown } | undefined)?.deploymentId === deploymentId)
    .length;
}

// ── reading Slack ─────────────────────────────────────────────────────

export function visible(rig: NotifierRig, content: StoredMessage | SlackMessage): string {
  return rig.slack.textOf(content);
}

/** Root messages (not replies) of the channel that belong to a deployment. */
export function rootsOf(rig: NotifierRig, id: string, channel = CHANNEL): StoredMessage[] {
  return rig.slack.messages(channel).filter((m) => m.threadTs === undefined && visible(rig, m).includes(`\`${id}\``));
}

/** The deployment's thread as people read it: the root's text, then each reply's text, in order. */
export function threadOf(rig: NotifierRig, id: string, channel = CHANNEL): string[] {
  const roots = rootsOf(rig, id, channel);
  if (roots.length !== 1) throw new Error(`${id} has ${roots.length} root messages in ${channel}, not 1`);
  const root = roots[0] as StoredMessage;
  return rig.slack.thread(channel, root.ts).map((m) => visible(rig, m));
}

/** What the thread of a finished deployment must read, rendered from the record. */
export function expectedThread(rig: NotifierRig, d: Deployment): string[] {
  const replies = d.stages.flatMap((stage, index) =>
    stage.status === "succeeded" || stage.status === "failed" ? [visible(rig, renderStageReply(d, index))] : [],
  );
  return [visible(rig, renderRootMessage(d, Date.now())), ...replies, visible(rig, renderClosingRecord(d, Date.now()))];
}

/** Whether a message's metadata names it as the deployment's root (cheap to ask of every message on every change). */
function isRootOf(m: StoredMessage, id: string): boolean {
  const payload = (m.metadata as { event_payload?: { deploymentId?: unknown; name?: unknown } } | undefined)
    ?.event_payload;
  return m.threadTs === undefined && payload?.deploymentId === id && payload.name === "root";
}

/** Resolves once the deployment's root message in Slack shows what the record `d` says. */
export function rootShows(rig: NotifierRig, d: Deployment, timeoutMs = 30_000): Promise<StoredMessage> {
  const wanted = visible(rig, renderRootMessage(d, Date.now()));
  return rig.slack.waitForMessage((m) => isRootOf(m, d.id) && visible(rig, m) === wanted, { timeoutMs });
}

export function okPosts(rig: NotifierRig): number {
  return rig.slack.calls("chat.postMessage").filter((c) => c.response.ok === true).length;
}
