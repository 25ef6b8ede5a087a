import { UnrecoverableError } from "bullmq";
import { z } from "zod";

/*
 * One typed registry of every queue, job name and payload. Job data is
 * `unknown` until the schema for its name has parsed it: a job written by an
 * older or newer Slipway, or by hand, is refused with a clear error instead
 * of being half-understood.
 */

const deploymentRef = z.object({ deploymentId: z.string().min(1).max(64) });

export const JOBS = {
  pipeline: {
    /** Run the checklist and decide what the deployment waits for next. */
    check: deploymentRef,
    /** End a deployment still waiting on people when its time is up. */
    expire: deploymentRef,
    /** Bring traffic back to stable and end a deployment someone aborted. */
    abort: deploymentRef,
    /** Look for deployments that stopped moving; re-queue lost work, report what is stuck. */
    watchdog: z.object({}),
    /** Measure the new version against the stable one during a hold or monitoring; -1 is post-deployment monitoring. */
    analyse: deploymentRef.extend({ stageIndex: z.number().int().min(-1), epoch: z.number().int().min(0).default(0) }),
    /** Set a feature flag to the percentage a person asked for after the release flipped it. */
    flag: deploymentRef.extend({ seq: z.number().int().min(1) }),
    /** Run the deployment's next step; enqueues the one after it. */
    advance: deploymentRef.extend({ stageIndex: z.number().int().min(0) }),
  },
  notify: {
    /** Bring the deployment's Slack messages up to date with the store. */
    sync: deploymentRef,
  },
} as const;

export type QueueName = keyof typeof JOBS;
export type JobName<Q extends QueueName> = keyof (typeof JOBS)[Q] & string;
export type JobData<Q extends QueueName, N extends JobName<Q>> = z.infer<(typeof JOBS)[Q][N]>;

/** Parses a job's data with its schema; malformed data can never succeed, so it is not retried. */
export function parseJobData<T>(schema: z.ZodType<T>, data: unknown, label: string): T {
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    throw new UnrecoverableError(`job ${label} has malformed data: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
