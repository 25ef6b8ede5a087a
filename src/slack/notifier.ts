import { createHash } from "node:crypto";
import { ErrorCode, type WebClient } from "@slack/web-api";
import { DelayedError, type Job, UnrecoverableError, Worker } from "bullmq";
import { z } from "zod";
import { rootFlagStanding } from "../engine/flags.js";
import { JOBS, parseJobData } from "../engine/jobs.js";
import { queueOptions, workerLockOptions } from "../engine/queues.js";
import { coerceError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { DeploymentStore } from "../store/deployment-store.js";
import type { RedisClient } from "../store/redis.js";
import type { Pacer } from "./pacer.js";
import type { SlackMessage } from "./renderers/blocks.js";
import { renderScheduleSkipped } from "./renderers/schedule-notice.js";
import { threadMessages } from "./renderers/thread.js";
import { renderWaitingDropped, renderWaitingRescheduled } from "./renderers/waiting-line.js";
import type { PendingPost, PostedMessage, SlackRefStore } from "./slack-refs.js";

/*
 * The notifier makes Slack show a deployment as the store has it. One job,
 * `sync`, renders every message the deployment's thread should hold (see
 * renderers/thread.ts), compares each with what was already posted (kept in
 * SlackRefStore with a hash of its content) and makes the missing calls in
 * order: posts what is new, edits a live message whose content changed.
 * Every change asks for a sync, and at most one waits per deployment
 * (engine/notifications.ts): a burst of changes ends in one edit with the
 * latest state, and a sync that finds Slack up to date makes no call.
 * Work done is recorded call by call, so a retried sync never posts twice
 * what it already posted.
 *
 * A post and its record cannot be one write: the process may die, or Redis
 * go away, after Slack took the message and before its ts is recorded. So a
 * post is first marked pending, and goes out with metadata naming the
 * deployment and the message (and the hash of what it shows). A sync that
 * finds a message pending without a ts reads the few latest messages of the
 * channel (or of the thread) since the first attempt and, when Slack has it,
 * adopts it — editing it if it shows something older — instead of posting
 * it again. Only the post that never reached Slack is made again.
 *
 * It runs on its own queue: Slack's pace never becomes the pipeline's, and a
 * Slack failure never fails a deployment. Calls are paced per channel to
 * Slack's limits, root messages ahead of thread replies; a 429 all the same
 * puts the job back for the Retry-After Slack asked for.
 */

export interface NotifierOptions {
  readonly connection: RedisClient;
  /** Slipway's key prefix (SLIPWAY_KEY_PREFIX). */
  readonly keyPrefix: string;
  readonly slack: WebClient;
  readonly store: DeploymentStore;
  readonly refs: SlackRefStore;
  readonly pacer: Pacer;
  readonly log: Logger;
  readonly now: () => number;
  readonly concurrency?: number;
  /** How long a sync's job lock and per-deployment lock last without renewal (SLIPWAY_JOB_LOCK_MS). Default 30 s. */
  readonly lockDurationMs?: number;
}

/** How long a sync waits before trying again while another sync of the same deployment runs. */
const BUSY_DELAY_MS = 200;
const DEFAULT_LOCK_MS = 30_000;
/**
 * Posts a thread reply leaves in its channel's pacing bucket: with many
 * deployments in one channel, their root messages (what people look at) are
 * posted before the replies of any of them.
 */
const REPLY_RESERVE = 1;

/** The `event_type` of the metadata on every message Slipway posts. */
export const MESSAGE_EVENT_TYPE = "slipway_message";
/** A pending post is looked for from this long before its first attempt to this long after its latest: room for Slack's clock and ours to differ, and for a slow post. */
const LOOKUP_MARGIN_MS = 120_000;
/** Messages asked for per page, and pages read at most, when looking for a pending post. */
const LOOKUP_PAGE_SIZE = 100;
const LOOKUP_MAX_PAGES = 3;
/** How long a sync waits to look again when Slack could not be read (5xx, timeout). */
const LOOKUP_RETRY_MS = 1_000;

/** A message as conversations.history/replies show it, when its metadata says Slipway posted it. */
const taggedMessage = z.object({
  ts: z.string(),
  metadata: z.object({
    event_type: z.literal(MESSAGE_EVENT_TYPE),
    event_payload: z.object({ deploymentId: z.string(), name: z.string(), hash: z.string().optional() }),
  }),
});

/** Slack `ok:false` answers that mean "try again later" rather than "this message is wrong". */
const TRANSIENT_SLACK_ERRORS = new Set(["internal_error", "fatal_error", "service_unavailable", "request_timeout"]);

function slackErrorOf(error: Error): string {
  const data = (error as { data?: { error?: unknown } }).data;
  return typeof data?.error === "string" ? data.error : "";
}

/** A failure of Slack or of the way to it (5xx, no answer, `internal_error`…) that asking again may not meet. */
function isTransient(error: Error): boolean {
  const { code, statusCode } = error as { code?: unknown; statusCode?: unknown };
  if (code === ErrorCode.RequestError) return true;
  if (code === ErrorCode.HTTPError) return typeof statusCode === "number" && statusCode >= 500;
  return code === ErrorCode.PlatformError && TRANSIENT_SLACK_ERRORS.has(slackErrorOf(error));
}

/** An `ok:false` answer that will not change by asking again. */
function isRefusal(error: Error): boolean {
  const code = (error as { code?: unknown }).code;
  return code === ErrorCode.PlatformError && !TRANSIENT_SLACK_ERRORS.has(slackErrorOf(error));
}

/** `done`: Slack shows revision `rev` of the deployment. */
type SyncOutcome = { state: "done"; rev: number } | { state: "wait"; ms: number };

function hashOf(message: SlackMessage): string {
  return createHash("sha1").update(JSON.stringify(message)).digest("base64url");
}

/** Slack message metadata: which deployment and message this is, and what it showed when last written. */
interface SlipwayMetadata {
  readonly event_type: typeof MESSAGE_EVENT_TYPE;
  readonly event_payload: { readonly deploymentId: string; readonly name: string; readonly hash: string };
}

function metadataFor(deploymentId: string, name: string, hash: string): SlipwayMetadata {
  return { event_type: MESSAGE_EVENT_TYPE, event_payload: { deploymentId, name, hash } };
}

/** A Slack ts ("1700000000.000100") for a time in ms. */
function slackTsAt(ms: number): string {
  return (Math.max(0, ms) / 1000).toFixed(6);
}

/** Whether Slack ts `a` is earlier than `b`, compared exactly (as numbers they lose the last digits). */
function tsBefore(a: string, b: string): boolean {
  const [as = "", af = ""] = a.split(".");
  const [bs = "", bf = ""] = b.split(".");
  if (as.length !== bs.length) return as.length < bs.length;
  return as !== bs ? as < bs : af.padEnd(6, "0") < bf.padEnd(6, "0");
}

/**
 * A notice for a deploy channel, not tied to a deployment's messages: a
 * skipped schedule, a waiting deployment dropped or moved to its window's
 * next opening.
 */
function channelNotice(job: Job): { channel: string; message: SlackMessage } | undefined {
  switch (job.name) {
    case "scheduleSkipped": {
      const notice = parseJobData(JOBS.notify.scheduleSkipped, job.data, "notify/scheduleSkipped");
      return { channel: notice.channel, message: renderScheduleSkipped(notice) };
    }
    case "waitingDropped": {
      const notice = parseJobData(JOBS.notify.waitingDropped, job.data, "notify/waitingDropped");
      return { channel: notice.channel, message: renderWaitingDropped(notice) };
    }
    case "waitingRescheduled": {
      const notice = parseJobData(JOBS.notify.waitingRescheduled, job.data, "notify/waitingRescheduled");
      return { channel: notice.channel, message: renderWaitingRescheduled(notice) };
    }
    default:
      return undefined;
  }
}

export function startNotifier(options: NotifierOptions): Worker {
  const { slack, store, refs, pacer, log, now } = options;
  // A sync cut short by a crash holds its deployment's lock no longer than a job's lock: the sync that takes over waits no longer.
  const syncLockMs = options.lockDurationMs ?? DEFAULT_LOCK_MS;

  /**
   * The earliest message in Slack whose metadata names this deployment and
   * message, posted between its first and latest attempts (with a margin on
   * each side): in the channel for a root message, in the thread for a
   * reply. Reads a few pages at most, newest first from just after the
   * latest attempt, so later traffic in a busy channel does not hide it.
   */
  async function findPosted(
    deploymentId: string,
    name: string,
    channel: string,
    threadTs: string | undefined,
    attempts: PendingPost,
  ): Promise<PostedMessage | undefined> {
    const window = {
      channel,
      oldest: slackTsAt(attempts.at - LOOKUP_MARGIN_MS),
      latest: slackTsAt((attempts.last ?? attempts.at) + LOOKUP_MARGIN_MS),
      inclusive: true,
      limit: LOOKUP_PAGE_SIZE,
      include_all_metadata: true,
    };
    let found: PostedMessage | undefined;
    let cursor: string | undefined;
    for (let page = 0; page < LOOKUP_MAX_PAGES && found === undefined; page += 1) {
      const args = { ...window, ...(cursor ? { cursor } : {}) };
      const answer =
        threadTs === undefined
          ? await slack.conversations.history(args)
          : await slack.conversations.replies({ ...args, ts: threadTs });
      for (const candidate of answer.messages ?? []) {
        const tagged = taggedMessage.safeParse(candidate);
        if (!tagged.success) continue;
        const { ts, metadata } = tagged.data;
        if (metadata.event_payload.deploymentId !== deploymentId || metadata.event_payload.name !== name) continue;
        if (found === undefined || tsBefore(ts, found.ts)) found = { ts, hash: metadata.event_payload.hash ?? "" };
      }
      cursor = answer.response_metadata?.next_cursor;
      if (!answer.has_more || !cursor) break;
    }
    return found;
  }

  async function sync(deploymentId: string): Promise<SyncOutcome> {
    const locked = await refs.withLock(deploymentId, syncLockMs, async (lock): Promise<SyncOutcome> => {
      const d = await store.get(deploymentId);
      if (!d) throw new UnrecoverableError(`no deployment ${deploymentId}`);
      const { posted, pending } = await refs.get(deploymentId);
      const standing = await rootFlagStanding({ store }, d);
      for (const spec of threadMessages(d, now(), standing)) {
        const rootTs = posted.get("root")?.ts;
        const channel = spec.channel ?? d.channel;
        const threadTs =
          spec.threadOf !== undefined ? posted.get(spec.threadOf)?.ts : spec.inThread ? rootTs : undefined;
        // A reply in another message's thread waits for that message.
        if (spec.threadOf !== undefined && threadTs === undefined) continue;
        const message = spec.render(rootTs, (name) => posted.get(name)?.ts);
        const hash = hashOf(message);
        let existing = posted.get(spec.name);
        let adopted = false;
        const attempt = pending.get(spec.name);
        if (!existing && attempt) {
          // An earlier post may have reached Slack without its ts being recorded.
          const waitMs = await pacer.take(`lookup:${channel}`);
          if (waitMs > 0) return { state: "wait", ms: waitMs };
          let found: PostedMessage | undefined;
          try {
            found = await findPosted(deploymentId, spec.name, channel, threadTs, attempt);
          } catch (thrown) {
            const error = coerceError(thrown);
            if (isTransient(error)) {
              // Reading changed nothing: try again soon, without spending one of the job's attempts.
              log.warn({ deploymentId, message: spec.name, err: error }, "could not read Slack; looking again shortly");
              return { state: "wait", ms: LOOKUP_RETRY_MS };
            }
            if (!isRefusal(error)) throw error;
            // Without history scopes (or outside the channel) Slack cannot be read: post, as before.
            log.warn(
              { deploymentId, message: spec.name, err: error },
              "cannot read Slack to look for an unrecorded post (needs channels:history and groups:history); posting it",
            );
          }
          if (found) {
            await refs.set(deploymentId, spec.name, found);
            posted.set(spec.name, found);
            pending.delete(spec.name);
            log.info(
              { deploymentId, message: spec.name, ts: found.ts },
              "found in Slack a message whose post was never recorded; keeping it instead of posting again",
            );
            existing = found;
            adopted = true;
          }
        }
        // A message posted once is edited only while live, or when it was adopted showing something else.
        if (existing && (existing.hash === hash || (!spec.live && !adopted))) continue;
        // A reply leaves a post in the channel's bucket, so the root of a deployment waiting beside it goes first.
        const reserve = !existing && threadTs !== undefined ? REPLY_RESERVE : 0;
        const waitMs = await pacer.take(`${existing ? "update" : "post"}:${channel}`, reserve);
        if (waitMs > 0) return { state: "wait", ms: waitMs };
        const metadata = metadataFor(deploymentId, spec.name, hash);
        let ts: string;
        if (existing) {
          await slack.chat.update({ channel, ts: existing.ts, ...message, metadata });
          ts = existing.ts;
        } else {
          // Marked before it goes out, so that a crash after the post leaves a trace to look for.
          if (!(await refs.markPending(lock, deploymentId, spec.name, now()))) {
            log.warn({ deploymentId, message: spec.name }, "sync outlived its lock; leaving the post to the next sync");
            return { state: "wait", ms: BUSY_DELAY_MS };
          }
          const answer = await slack.chat.postMessage({
            channel,
            ...(threadTs ? { thread_ts: threadTs } : {}),
            ...message,
            metadata,
          });
          if (!answer.ts) throw new Error("chat.postMessage answered without a ts");
          ts = answer.ts;
        }
        const record = { ts, hash };
        await refs.set(deploymentId, spec.name, record);
        posted.set(spec.name, record);
      }
      return { state: "done", rev: d.rev };
    });
    return locked.ran ? locked.value : { state: "wait", ms: BUSY_DELAY_MS };
  }

  const worker = new Worker(
    "notify",
    async (job: Job, token: string | undefined) => {
      const notice = channelNotice(job);
      if (notice) {
        const waitMs = await pacer.take(`post:${notice.channel}`);
        if (waitMs > 0) {
          await job.moveToDelayed(Date.now() + waitMs, token);
          throw new DelayedError();
        }
        await slack.chat.postMessage({ channel: notice.channel, ...notice.message });
        return;
      }
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
        } else if (isRefusal(error)) {
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
      // The watchdog re-syncs a deployment whose record has moved past what Slack was last brought to show.
      await store.markRendered(deploymentId, outcome.rev);
    },
    {
      ...queueOptions(options.connection, options.keyPrefix, "notify"),
      concurrency: options.concurrency ?? 8,
      ...workerLockOptions(syncLockMs),
    },
  );
  worker.on("error", (error) => log.error({ err: error }, "notify worker error"));
  return worker;
}
