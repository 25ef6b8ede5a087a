import { type Queue, type RepeatOptions, UnrecoverableError } from "bullmq";
import { z } from "zod";
import { ACTOR_KINDS } from "../domain/actor.js";
import { EXTENDED_WATCH_INDEX } from "../domain/monitoring-windows.js";

/*
 * Every job Slipway queues: its queue, name, payload schema and id. Job data
 * is `unknown` until the schema for its name has parsed it: a job written by
 * an older or newer Slipway, or by hand, is refused with a clear error
 * instead of being half-understood. `enqueue` is the only way a job is
 * added, and `JOB_IDS` the only place ids are made. An id names the state it
 * was queued for (a revision, a sequence number, a stage), never the clock:
 * queuing the same work twice is then a no-op, and a new job for the same
 * deployment needs a new revision or number.
 */

const deploymentRef = z.object({ deploymentId: z.string().min(1).max(64) });
/** A deploy channel's notice about a waiting deployment: which one, and who asked for it. */
const waitingNotice = z.object({
  channel: z.string().min(1),
  service: z.string().min(1),
  environment: z.string().min(1),
  version: z.string().min(1),
  /** The id it starts (or would have started) as. */
  deploymentId: z.string().min(1),
  /** Who asked: a Slack user id, or the push or schedule actor. */
  requester: z.object({ kind: z.enum(ACTOR_KINDS), id: z.string(), name: z.string().optional() }),
});

export const JOBS = {
  pipeline: {
    /** Run the checklist and decide what the deployment waits for next; one it starts runs its steps here, as `advance`. */
    check: deploymentRef,
    /** End a deployment still waiting on people when its time is up. */
    expire: deploymentRef,
    /** Bring traffic back to stable and end a deployment someone aborted; `poll` counts its waits for a running step. */
    abort: deploymentRef.extend({ poll: z.number().int().min(0).default(0) }),
    /** Look for deployments that stopped moving; re-queue lost work, report what is stuck. */
    watchdog: z.object({}),
    /** Measure the new version against the stable one during a hold or monitoring; -1 the immediate window, -2 the extended one. */
    analyse: deploymentRef.extend({
      stageIndex: z.number().int().min(EXTENDED_WATCH_INDEX),
      epoch: z.number().int().min(0).default(0),
    }),
    /** Set a feature flag to the percentage a person asked for after the release flipped it. */
    flag: deploymentRef.extend({ seq: z.number().int().min(1) }),
    /** Run the deployment's next step, and the steps due at once after it; queues what waits after a hold. */
    advance: deploymentRef.extend({ stageIndex: z.number().int().min(0) }),
    /** A schedule's run: deploy the newest version that succeeded in the environment it is fed from. */
    scheduled: z.object({ service: z.string().min(1).max(63), environment: z.string().min(1).max(31) }),
    /** Remind the thread, once, of a post-deployment review nobody has written. */
    remindReview: deploymentRef,
    /** Restore the backup of a deployment that ended back on the earlier version, then validate again. */
    restore: deploymentRef,
    /** Start (or stop) the deployment of a hotfix path that waits for the first one, which has ended. */
    handOff: deploymentRef,
    /** Start the first waiting deployment of a service and environment that may start, if it is free. */
    startWaiting: z.object({ service: z.string().min(1).max(63), environment: z.string().min(1).max(31) }),
  },
  notify: {
    /** Bring the deployment's Slack messages up to date with the store. */
    sync: deploymentRef,
    /** Tell a deploy channel that a scheduled run did not deploy, and why (a code and its data). */
    scheduleSkipped: z.object({
      channel: z.string().min(1),
      service: z.string().min(1),
      environment: z.string().min(1),
      version: z.string().min(1),
      from: z.string().min(1),
      code: z.enum(["locked", "window", "forbidden", "invalid", "unknown_version", "promotion"]),
      /** The lock's owner and reason, or the refusal's reason. */
      owner: z.string().optional(),
      reason: z.string(),
    }),
    /** Tell a deploy channel that a waiting deployment will not start: a newer push replaced it, or its start was refused. */
    waitingDropped: waitingNotice.extend({
      code: z.enum(["replaced", "locked", "window", "forbidden", "invalid", "unknown_version", "promotion"]),
      /** The lock's owner, for `locked`. */
      owner: z.string().optional(),
      /** The refusal's reason, or the version that replaced it. */
      reason: z.string(),
    }),
    /** Tell a deploy channel that a waiting deployment whose window had closed when its turn came waits for its next opening. */
    waitingRescheduled: waitingNotice.extend({
      /** Why it could not start: the windows or freeze, and when they open. */
      reason: z.string(),
      /** When the window opens and it starts. */
      opensAt: z.number().int().min(0),
    }),
  },
} as const;

export type QueueName = keyof typeof JOBS;
export type JobName<Q extends QueueName> = keyof (typeof JOBS)[Q] & string;
export type JobData<Q extends QueueName, N extends JobName<Q>> = z.infer<(typeof JOBS)[Q][N]>;

type Schemas = (typeof JOBS)["pipeline"] & (typeof JOBS)["notify"];
/** Every job name, across queues (names are unique across queues). */
export type AnyJobName = keyof Schemas & string;
/** What a job of this name is queued with (fields with a default may be left out). */
export type Payload<N extends AnyJobName> = z.input<Schemas[N]>;
/** The queue a job of this name goes to. */
export type QueueOf<N extends AnyJobName> = {
  [Q in QueueName]: N extends keyof (typeof JOBS)[Q] ? Q : never;
}[QueueName];

const QUEUE_OF = Object.fromEntries(
  Object.entries(JOBS).flatMap(([queue, jobs]) => Object.keys(jobs).map((name) => [name, queue])),
) as Record<AnyJobName, QueueName>;

/** How the ids of the manifests' schedules start, so the ones no manifest names any more can be found. */
export const SCHEDULE_ID_PREFIX = "schedule.";

/** Job ids, one builder per job: revisions and sequence numbers, never the clock. */
export const JOB_IDS = {
  /** One checklist run per revision of the request (a watchdog re-queue after a change is a new one). */
  check: (deploymentId: string, rev: number) => `check.${deploymentId}.${rev}`,
  /** One expiry per deployment. */
  expire: (deploymentId: string) => `expire.${deploymentId}`,
  /** One abort per revision; each wait for a running step is the next `poll`. */
  abort: (deploymentId: string, rev: number, poll: number, tag?: string) =>
    `abort.${deploymentId}.${rev}.${poll}${tag ? `.${tag}` : ""}`,
  /** One analysis round per revision: each round records its verdict, so the next round has a new revision. */
  analyse: (deploymentId: string, stageIndex: number, epoch: number, rev: number) =>
    `analyse.${deploymentId}.${stageIndex}.${epoch}.${rev}`,
  /** One job per flag change; `retry` names the revision a lost change was queued again at. */
  flag: (deploymentId: string, seq: number, retry?: number) =>
    `flag.${deploymentId}.${seq}${retry === undefined ? "" : `.retry${retry}`}`,
  /**
   * One job per step a job is queued to start from (it goes on to the steps
   * due after it); `tag` (a control or hold's end with the revision it was
   * decided at) makes a fresh job where one for the same step may already exist.
   */
  advance: (deploymentId: string, stageIndex: number, tag?: string) =>
    `advance.${deploymentId}.${stageIndex}${tag ? `.${tag}` : ""}`,
  /**
   * At most one waiting Slack sync per deployment (used as `onePending`): it
   * renders whatever the store holds when it runs, so every change made while
   * it waits is shown by it.
   */
  sync: (deploymentId: string) => `sync.${deploymentId}`,
  /** The one reminder of a deployment's post-deployment review. */
  remindReview: (deploymentId: string) => `remind-review.${deploymentId}`,
  /** One restore after the end per deployment: a deployment's backup is restored once. */
  restore: (deploymentId: string) => `restore.${deploymentId}`,
  /** One hand-off per waiting deployment of a hotfix path: its first leg ends once. */
  handOff: (deploymentId: string) => `hand-off.${deploymentId}`,
  /**
   * One try at starting what waits in a service and environment per cause:
   * the end of the deployment it waited behind (`after.<id>`), or a waiting
   * deployment joining the line or reaching its window (its own id).
   */
  startWaiting: (service: string, environment: string, cause: string) =>
    `start-waiting.${service}.${environment}.${cause}`,
  /** One notice per waiting deployment that will not start. */
  waitingDropped: (deploymentId: string) => `waiting-dropped.${deploymentId}`,
  /** One notice per waiting deployment and window opening it was moved to. */
  waitingRescheduled: (deploymentId: string, opensAt: number) => `waiting-rescheduled.${deploymentId}.${opensAt}`,
  /** The one watchdog schedule. */
  watchdog: () => "watchdog",
  /** One job scheduler per scheduled environment (see `SCHEDULE_ID_PREFIX`). */
  scheduled: (service: string, environment: string) => `${SCHEDULE_ID_PREFIX}${service}.${environment}`,
  /** One notice per version and reason a schedule could not deploy it. */
  scheduleSkipped: (service: string, environment: string, version: string, code: string) =>
    `schedule-skipped.${service}.${environment}.${version}.${code}`,
} as const satisfies Record<AnyJobName, (...args: never[]) => string>;

export type EnqueueOptions = (
  | {
      /** The job's id, from `JOB_IDS`: a job with the same id already queued or kept makes this a no-op. */
      readonly id: string;
    }
  | {
      /**
       * A key from `JOB_IDS`: while a job queued under it still waits, queuing
       * another adds nothing; if it is delayed (its own delay, a retry's
       * backoff), it is brought forward to this one's `delay` from now
       * (BullMQ's `reschedule`). While one runs, one more is kept and queued
       * when it ends (`keepLastIfActive`), so what was asked for after the
       * running job started is not lost.
       */
      readonly onePending: string;
    }
) & {
  /** Held this long (ms) before a worker may take it, without holding a worker. Default 0. */
  readonly delay?: number;
  /** Tries before the job counts as failed. Default the queue's (see `DEFAULT_JOB_OPTIONS`). */
  readonly attempts?: number;
};

/** Queues job `name` with `data`: the one way Slipway adds a job. */
export async function enqueue<N extends AnyJobName>(
  queues: Readonly<Record<QueueOf<N>, Queue>>,
  name: N,
  data: Payload<N>,
  options: EnqueueOptions,
): Promise<void> {
  const queue = (queues as Readonly<Record<QueueName, Queue>>)[QUEUE_OF[name]];
  await queue.add(name, data, {
    ...("id" in options
      ? { jobId: options.id }
      : { deduplication: { id: options.onePending, keepLastIfActive: true, reschedule: true } }),
    ...(options.delay === undefined ? {} : { delay: Math.max(0, options.delay) }),
    ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
  });
}

/**
 * Creates or updates a repeating job (a BullMQ job scheduler): one per `id`,
 * however many processes ask at once; asking again with new timing changes it.
 */
export async function upsertSchedule<N extends AnyJobName>(
  queues: Readonly<Record<QueueOf<N>, Queue>>,
  name: N,
  data: Payload<N>,
  options: { readonly id: string; readonly repeat: Omit<RepeatOptions, "key"> },
): Promise<void> {
  const queue = (queues as Readonly<Record<QueueName, Queue>>)[QUEUE_OF[name]];
  await queue.upsertJobScheduler(options.id, options.repeat, { name, data });
}

/** The ids and cron patterns of the job schedulers on a queue whose ids start with `prefix`. */
export async function listSchedules(
  queue: Queue,
  prefix: string,
): Promise<{ readonly id: string; readonly pattern?: string; readonly tz?: string }[]> {
  const all = await queue.getJobSchedulers(0, -1);
  return all.flatMap((s) =>
    s.key.startsWith(prefix)
      ? [{ id: s.key, ...(s.pattern ? { pattern: s.pattern } : {}), ...(s.tz ? { tz: s.tz } : {}) }]
      : [],
  );
}

/** Removes a job scheduler; its next run is removed with it. */
export async function removeSchedule(queue: Queue, id: string): Promise<void> {
  await queue.removeJobScheduler(id);
}

/** Parses a job's data with its schema; malformed data can never succeed, so it is not retried. */
export function parseJobData<T>(schema: z.ZodType<T>, data: unknown, label: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new UnrecoverableError(`job ${label} has malformed data: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
