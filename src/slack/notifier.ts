import { createHash } from "node:crypto";
import { ErrorCode, type WebClient } from "@slack/web-api";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import type { Redis } from "ioredis";
import { JOBS, parseJobData } from "../engine/jobs.js";
import { queueOptions } from "../engine/queues.js";
import { coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { Pacer } from "./pacer.js";
import type { SlackMessage } from "./renderers/blocks.js";
import { threadMessages } from "./renderers/thread.js";
import type { SlackRefStore } from "./slack-refs.js";

/*
 * The notifier makes Slack show a deployment as the store has it. One job,
 * `sync`, renders every message the deployment's thread should hold (see
 * renderers/thread.ts), compares each with what was already posted (kept in
 * SlackRefStore with a hash of its content) and makes the missing calls in
 * order: posts what is new, edits a live message whose content changed.
 * Every change enqueues a sync, and a sync that finds Slack up to date makes
 * no call, so a burst of changes ends in one edit with the latest state.
 * Work done is recorded call by call, so a retried sync never posts twice
 * what it already posted.
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

/** Slack `ok:false` answers that mean "try again later" rather than "this message is wrong". */
const TRANSIENT_SLACK_ERRORS = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

function slackErrorOf(error: Error): string {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : "";
}

type SyncOutcome = { state: "done" } | { state: "wait"; ms: number };

function hashOf(message: SlackMessage): string {
  return createHash("sha1").update(JSON.stringify(message)).digest("base64url");
}

export function startNotifier(options: NotifierOptions): Worker {
  const { slack, store, refs, pacer, log, now } = options;

  async function sync(deploymentId: string): Promise<SyncOutcome> {
    const locked = await refs.withLock(deploymentId, LOCK_TTL_MS, async (): Promise<SyncOutcome> => {
      const d = await store.get(deploymentId);
      if (!d) throw new UnrecoverableError(`no deployment ${deploymentId}`);
      const posted = await refs.get(deploymentId);
      for (const spec of threadMessages(d, now())) {
        const rootTs = posted.get("root")?.ts;
        const channel = spec.channel ?? d.channel;
        const message = spec.render(rootTs);
        const hash = hashOf(message);
        const existing = posted.get(spec.name);
        if (existing && (!spec.live || existing.hash === hash)) continue;
        const waitMs = await pacer.take(`${existing ? "update" : "post"}:${channel}`);
        if (waitMs > 0) return { state: "wait", ms: waitMs };
        let ts: string;
        if (existing) {
          await slack.chat.update({ channel, ts: existing.ts, ...message });
          ts = existing.ts;
        } else {
          const threadTs = spec.inThread ? rootTs : undefined;
          const answer = await slack.chat.postMessage({
            channel,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...message,
          });
          if (!answer.ts) throw new Error("chat.postMessage answered without a ts");
          ts = answer.ts;
        }
        const record = { ts, hash };
        await refs.set(deploymentId, spec.name, record);
        posted.set(spec.name, record);
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
        } else if (code === ErrorCode.PlatformError && !TRANSIENT_SLACK_ERRORS.has(slackErrorOf(error))) {
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
