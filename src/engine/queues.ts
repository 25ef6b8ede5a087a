import { type DefaultJobOptions, Queue } from "bullmq";
import type { Redis } from "ioredis";
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

export function queueOptions(connection: Redis, bullPrefix: string) {
  return { connection, prefix: bullPrefix, skipWaitingForReady: true } as const;
}

export function createQueues(connection: Redis, bullPrefix: string): Queues {
  const make = (name: QueueName) =>
    new Queue(name, { ...queueOptions(connection, bullPrefix), defaultJobOptions: DEFAULT_JOB_OPTIONS });
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
