import { ErrorCode, type WebClient } from "@slack/web-api";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deployment } from "../domain/deployment.js";
import { isFinal } from "../domain/deployment-state.js";
import { JOBS, parseJobData } from "../engine/jobs.js";
import { queueOptions } from "../engine/queues.js";
import { coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { Pacer } from "./pacer.js";
import type { SlackMessage } from "./renderers/blocks.js";
import { renderRootMessage, renderStageReply, renderSummary } from "./renderers/deployment-message.js";
import type { SlackRefStore, SlackRefs } from "./slack-refs.js";

/*
 * The notifier makes Slack show a deployment as the store has it. One job,
 * `sync`, compares the deployment with what was already posted (kept in
 * SlackRefStore) and makes the missing calls in order: the root message, a
 * reply per finished stage, the summary, then one edit of the root message
 * to the latest state. Every change enqueues a sync, and a sync that finds
 * Slack up to date makes no call, so a burst of changes ends in one edit
 * with the latest state. Work done is recorded call by call, so a retried
 * sync never posts twice what it already posted.
 *
 * It runs on its own queue: Slack's pace never becomes the pipeline's, and a
 * Slack failure never fails a deployment. Calls are paced per channel to
 * Slack's limits; a 429 all the same puts the job back for the Retry-After
 * Slack asked for.
 */

export interface NotifierOptions {
  readonly connection: Redis;
  readonly bullPrefix: string;
  readonly slack: WebClient;
  readonly store: DeploymentStore;
  readonly refs: SlackRefStore;
  readonly pacer: Pacer;
  readonly log: Logger;
  readonly now: () => number;
  readonly concurrency?: number;
}

/** How long a sync waits before trying again while another sync of the same deployment runs. */
const BUSY_DELAY_MS = 200;
const LOCK_TTL_MS = 30_000;

type Step = { key: string; call: () => Promise<void> };
type SyncOutcome = { state: "done" } | { state: "wait"; ms: number };

function stageReplyName(stageIndex: number): string {
  return `stage${stageIndex}`;
}

/** The calls that would bring Slack up to date with `d`, in the order they must happen. */
function pendingSteps(
  d: Deployment,
  refs: SlackRefs,
  slack: WebClient,
  store: SlackRefStore,
  now: () => number,
): Step[] {
  const steps: Step[] = [];
  const rootTs = () => refs.rootTs ?? "";
  const reply = (name: string, render: () => SlackMessage): Step => ({
    key: `post:${d.channel}`,
    call: async () => {
      const posted = await slack.chat.postMessage({ channel: d.channel, thread_ts: rootTs(), ...render() });
      if (posted.ts) await store.setReply(d.id, name, posted.ts);
      refs.replies[name] = posted.ts ?? "";
    },
  });
  if (!refs.rootTs) {
    steps.push({
      key: `post:${d.channel}`,
      call: async () => {
        const posted = await slack.chat.postMessage({ channel: d.channel, ...renderRootMessage(d, now()) });
        if (!posted.ts) throw new Error("chat.postMessage answered without a ts");
        await store.setRoot(d.id, posted.ts, d.rev);
        refs.rootTs = posted.ts;
        refs.renderedRev = d.rev;
      },
    });
  }
  d.stages.forEach((stage, index) => {
    const name = stageReplyName(index);
    if ((stage.status === "succeeded" || stage.status === "failed") && !refs.replies[name]) {
      steps.push(reply(name, () => renderStageReply(d, index)));
    }
  });
  if (isFinal(d.state) && !refs.replies.summary) steps.push(reply("summary", () => renderSummary(d, now())));
  steps.push({
    key: `update:${d.channel}`,
    call: async () => {
      await slack.chat.update({ channel: d.channel, ts: rootTs(), ...renderRootMessage(d, now()) });
      await store.setRendered(d.id, d.rev);
      refs.renderedRev = d.rev;
    },
  });
  return steps;
}

export function startNotifier(options: NotifierOptions): Worker {
  const { slack, store, refs, pacer, log, now } = options;

  async function sync(deploymentId: string): Promise<SyncOutcome> {
    const locked = await refs.withLock(deploymentId, LOCK_TTL_MS, async (): Promise<SyncOutcome> => {
      const d = await store.get(deploymentId);
      if (!d) throw new UnrecoverableError(`no deployment ${deploymentId}`);
      const current = await refs.get(deploymentId);
      for (const step of pendingSteps(d, current, slack, refs, now)) {
        if (step.key.startsWith("update:") && current.renderedRev >= d.rev) continue;
        const waitMs = await pacer.take(step.key);
        if (waitMs > 0) return { state: "wait", ms: waitMs };
        await step.call();
      }
      return { state: "done" };
    });
    return locked.ran ? locked.value : { state: "wait", ms: BUSY_DELAY_MS };
  }

  const worker = new Worker(
    "notify",
    async (job: Job, token: string | undefined) => {
      if (job.name !== "sync") throw new UnrecoverableError(`queue notify has no job named '${job.name}'`);
      const { deploymentId } = parseJobData(JOBS.notify.sync, job.data, "notify/sync");
      let outcome: SyncOutcome;
      try {
        outcome = await sync(deploymentId);
      } catch (thrown) {
        const error = coerceError(thrown);
        if (error instanceof UnrecoverableError) throw error;
        const code = (error as { code?: unknown }).code;
        if (code === ErrorCode.RateLimitedError) {
          const retryAfter = (error as { retryAfter?: number }).retryAfter ?? 1;
          log.warn(
            { jobId: job.id, deploymentId, retryAfter },
            "Slack asked to slow down; trying again after Retry-After",
          );
          outcome = { state: "wait", ms: retryAfter * 1000 };
        } else if (code === ErrorCode.PlatformError) {
          log.error({ jobId: job.id, deploymentId, err: error }, "Slack refused a message; it will not be retried");
          throw new UnrecoverableError(error.message);
        } else {
          log.warn({ jobId: job.id, deploymentId, err: error }, "Slack call failed; will retry");
          throw error;
        }
      }
      if (outcome.state === "wait") {
        await job.moveToDelayed(Date.now() + outcome.ms, token);
        throw new DelayedError();
      }
    },
    { ...queueOptions(options.connection, options.bullPrefix), concurrency: options.concurrency ?? 8 },
  );
  worker.on("error", (error) => log.error({ err: error }, "notify worker error"));
  return worker;
}
