import { type DefaultJobOptions, Queue } from "bullmq";
import { keys } from "../store/keys.js";
import type { RedisClient } from "../store/redis.js";
import type { QueueName } from "./jobs.js";

/** Finished jobs are trimmed: the store, not BullMQ, is the record of what happened. */
export const DEFAULT_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: "exponential", delay: 1_000 },
  removeOnComplete: { count: 1_000, age: 24 * 3600 },
  removeOnFail: { count: 5_000, age: 7 * 24 * 3600 },
};

export interface Queues {
  readonly pipeline: Queue;
  readonly notify: Queue;
  close(): Promise<void>;
}

/**
 * Lock and stalled-job settings of every Slipway worker. A dead worker's job
 * is taken over after about two stalled checks, so they run as often as the
 * lock lasts. A stalled job always goes back to a worker, however many times
 * it stalled: BullMQ's stalled limit never fails a job, so a lost worker is
 * never why a deployment fails or a Slack message stays unshown (the pipeline
 * counts a step's lost workers itself and pauses when they keep dying).
 */
export function workerLockOptions(lockDurationMs: number | undefined) {
  return {
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    ...(lockDurationMs ? { lockDuration: lockDurationMs, stalledInterval: lockDurationMs } : {}),
  } as const;
}

/** Options for a Queue, Worker or QueueEvents of `queue` under Slipway's key prefix (each queue in a hash slot of its own). */
export function queueOptions(connection: RedisClient, keyPrefix: string, queue: QueueName) {
  return { connection, prefix: keys(keyPrefix).queuePrefix(queue), skipWaitingForReady: true } as const;
}

export function createQueues(connection: RedisClient, keyPrefix: string): Queues {
  const make = (name: QueueName) =>
    new Queue(name, { ...queueOptions(connection, keyPrefix, name), defaultJobOptions: DEFAULT_JOB_OPTIONS });
  const pipeline = make("pipeline");
  const notify = make("notify");
  return {
    pipeline,
    notify,
    async close() {
      await Promise.all([pipeline.close(), notify.close()]);
    },
  };
}
