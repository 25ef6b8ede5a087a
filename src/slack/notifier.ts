import { ErrorCode, type WebClient } from "@slack/web-api";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import type { Deployment } from "../domain/deployment.js";
import { JOBS, parseJobData } from "../engine/jobs.js";
import { queueOptions } from "../engine/queues.js";
import { coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import { renderRootMessage, renderStageReply, renderSummary } from "./renderers/deployment-message.js";
import type { SlackRefStore } from "./slack-refs.js";

/*
 * The notifier turns deployment state into Slack messages. It runs on its
 * own queue with a rate limiter, so Slack's pace never becomes the
 * pipeline's. A render job always shows the deployment as it is when the job
 * runs, so a burst of changes ends in one edit with the latest state, and a
 * job for a revision already shown does nothing. A 429 pauses the whole
 * queue for the Retry-After Slack asked for.
 */

export interface NotifierOptions {
  readonly connection: Redis;
  readonly bullPrefix: string;
  readonly slack: WebClient;
  readonly store: DeploymentStore;
  readonly refs: SlackRefStore;
  readonly log: Logger;
  readonly now: () => number;
  /** Slack calls per second across this worker. Default 4. */
  readonly callsPerSecond?: number;
  readonly concurrency?: number;
}

/** How long a job waits before trying again when the deployment's messages are busy or not posted yet. */
const BUSY_DELAY_MS = 300;
const LOCK_TTL_MS = 15_000;

function stageReplyName(stageIndex: number): string {
  return `stage${stageIndex}`;
}

/** The replies of every stage that has finished, in stage order. */
function finishedStageReplies(d: Deployment): string[] {
  return d.stages.flatMap((stage, index) =>
    stage.status === "succeeded" || stage.status === "failed" ? [stageReplyName(index)] : [],
  );
}

export function startNotifier(options: NotifierOptions): Worker {
  const { slack, store, refs, log, now } = options;

  async function process(job: Job, token: string | undefined): Promise<void> {
    switch (job.name) {
      case "post": {
        const { deploymentId } = parseJobData(JOBS.notify.post, job.data, "notify/post");
        await underLock(job, token, deploymentId, async (d) => {
          if ((await refs.get(deploymentId)).rootTs) return;
          const message = renderRootMessage(d, now());
          const posted = await slack.chat.postMessage({ channel: d.channel, ...message });
          if (!posted.ts) throw new Error("chat.postMessage answered without a ts");
          await refs.setRoot(deploymentId, posted.ts, d.rev);
        });
        return;
      }
      case "render": {
        const { deploymentId } = parseJobData(JOBS.notify.render, job.data, "notify/render");
        await underLock(job, token, deploymentId, async (d, rootTs) => {
          const { renderedRev } = await refs.get(deploymentId);
          if (d.rev <= renderedRev) return;
          await slack.chat.update({ channel: d.channel, ts: rootTs, ...renderRootMessage(d, now()) });
          await refs.setRendered(deploymentId, d.rev);
        });
        return;
      }
      case "stage": {
        const { deploymentId, stageIndex } = parseJobData(JOBS.notify.stage, job.data, "notify/stage");
        await postReplyOnce(job, token, deploymentId, stageReplyName(stageIndex), (d) => renderStageReply(d, stageIndex), (d) =>
          finishedStageReplies(d).filter((name) => name !== stageReplyName(stageIndex)).slice(0, stageIndex),
        );
        return;
      }
      case "summary": {
        const { deploymentId } = parseJobData(JOBS.notify.summary, job.data, "notify/summary");
        await postReplyOnce(job, token, deploymentId, "summary", (d) => renderSummary(d, now()), finishedStageReplies);
        return;
      }
      default:
        throw new UnrecoverableError(`queue notify has no job named '${job.name}'`);
    }
  }

  async function postReplyOnce(
    job: Job,
    token: string | undefined,
    deploymentId: string,
    name: string,
    render: (d: Deployment) => { text: string; blocks: object[] },
    comesAfter: (d: Deployment) => string[],
  ): Promise<void> {
    await underLock(job, token, deploymentId, async (d, rootTs) => {
      const { replies } = await refs.get(deploymentId);
      if (replies[name]) return "done";
      // Replies keep the order things happened in: wait for earlier ones still on their way.
      if (comesAfter(d).some((earlier) => replies[earlier] === undefined)) return "wait";
      const posted = await slack.chat.postMessage({ channel: d.channel, thread_ts: rootTs, ...render(d) });
      if (posted.ts) await refs.setReply(deploymentId, name, posted.ts);
      return "done";
    });
  }

  /**
   * Runs `work` holding the deployment's message lock. The root message must
   * exist for anything but the first post; until it does, or while another
   * job holds the lock, the job is put back to wait a moment.
   */
  async function underLock(
    job: Job,
    token: string | undefined,
    deploymentId: string,
    work: (d: Deployment, rootTs: string) => Promise<"done" | "wait" | void>,
  ): Promise<void> {
    const outcome = await refs.withLock(deploymentId, LOCK_TTL_MS, async () => {
      const current = await store.get(deploymentId);
      if (!current) throw new UnrecoverableError(`no deployment ${deploymentId}`);
      const { rootTs } = await refs.get(deploymentId);
      if (job.name !== "post" && !rootTs) return "wait";
      return (await work(current, rootTs ?? "")) ?? "done";
    });
    if (!outcome.ran || outcome.value === "wait") {
      await job.moveToDelayed(Date.now() + BUSY_DELAY_MS, token);
      throw new DelayedError();
    }
  }

  const worker = new Worker(
    "notify",
    async (job, token) => {
      try {
        await process(job, token);
      } catch (thrown) {
        const error = coerceError(thrown);
        if (error instanceof DelayedError || error instanceof UnrecoverableError) throw error;
        const code = (error as { code?: unknown }).code;
        if (code === ErrorCode.RateLimitedError) {
          const retryAfter = (error as { retryAfter?: number }).retryAfter ?? 1;
          log.warn({ jobId: job.id, retryAfter }, "Slack asked to slow down; pausing notifications");
          await worker.rateLimit(retryAfter * 1000);
          throw Worker.RateLimitError();
        }
        if (code === ErrorCode.PlatformError) {
          log.error({ jobId: job.id, job: job.name, err: error }, "Slack refused a message; it will not be retried");
          throw new UnrecoverableError(error.message);
        }
        log.warn({ jobId: job.id, job: job.name, err: error }, "Slack call failed; will retry");
        throw error;
      }
    },
    {
      ...queueOptions(options.connection, options.bullPrefix),
      concurrency: options.concurrency ?? 4,
      limiter: { max: options.callsPerSecond ?? 4, duration: 1_000 },
    },
  );
  worker.on("error", (error) => log.error({ err: error }, "notify worker error"));
  return worker;
}
