import type { Deployment } from "../src/domain/deployment.js";
import { isFinal } from "../src/domain/deployment-state.js";
import { SLACK_PACE } from "../src/runtime.js";
import {
  changesFor,
  drive,
  expectedThread,
  rootShows,
  rootsOf,
  startNotifierRig,
  synced,
  threadOf,
} from "../test/support/notifier-rig.js";
import { type LatencySummary, summarize } from "./stats.js";

/*
 * Fifty deployments started together in one channel, each run straight to
 * its end, against the Slack stand-in enforcing Slack's own limits (one post
 * a second per channel after a burst of three; 50 edits a minute) and the
 * notifier paced as in production. Measures, for each deployment, the time
 * from the save of its final state to its root message in the stand-in
 * showing it; and how many notify jobs ran per state change (one per
 * revision before syncs were coalesced).
 */

export interface FiftyResult {
  readonly deployments: number;
  readonly stagesEach: number;
  /** Saves the notifier was told of: each creation and each change. */
  readonly stateChanges: number;
  /** Notify jobs that ran, each counted once. */
  readonly notifyJobs: number;
  readonly notifyJobsPerStateChange: number;
  /** From the save of a deployment's final state to its root message showing it. */
  readonly rootDelayMs: LatencySummary;
  /** From the first creation until Slack showed every thread in full. */
  readonly secondsUntilAllShown: number;
  readonly posts: number;
  readonly edits: number;
  /** Calls the stand-in refused with 429; each was waited out and made again. */
  readonly answered429: number;
  /** Every thread exactly as its record says, each root once. */
  readonly threadsCorrect: boolean;
}

export async function measureFiftyInOneChannel(options: {
  readonly deployments: number;
  readonly stages: number;
  readonly timeoutMs: number;
}): Promise<FiftyResult> {
  const rig = await startNotifierRig("bench-fifty", { pace: SLACK_PACE, slack: { enforceRateLimits: true } });
  try {
    const stages = Array.from({ length: options.stages }, (_, i) => `stage-${i}`);
    const plans = Array.from({ length: options.deployments }, (_, i) => ({
      id: `d-fifty-${i}`,
      service: `svc-${i}`,
      stages,
    }));
    const delays: number[] = [];
    const started = performance.now();
    const finished = await Promise.all(
      plans.map(async (plan) => {
        let finalAt = 0;
        const d: Deployment = await drive(rig, plan, async (current) => {
          if (isFinal(current.state)) finalAt = performance.now();
        });
        await rootShows(rig, d, options.timeoutMs);
        delays.push(performance.now() - finalAt);
        return d;
      }),
    );
    await synced(rig, finished, options.timeoutMs);
    const secondsUntilAllShown = (performance.now() - started) / 1000;
    const threadsCorrect = finished.every((d) => {
      if (rootsOf(rig, d.id).length !== 1) return false;
      return JSON.stringify(threadOf(rig, d.id)) === JSON.stringify(expectedThread(rig, d));
    });
    const stateChanges = plans.reduce((sum, plan) => sum + 1 + changesFor(plan).length, 0);
    const ok = (method: string) => rig.slack.calls(method).filter((c) => c.response.ok === true).length;
    return {
      deployments: options.deployments,
      stagesEach: options.stages,
      stateChanges,
      notifyJobs: rig.jobsRun(),
      notifyJobsPerStateChange: rig.jobsRun() / stateChanges,
      rootDelayMs: summarize(delays),
      secondsUntilAllShown,
      posts: ok("chat.postMessage"),
      edits: ok("chat.update"),
      answered429: rig.slack.calls().filter((c) => c.status === 429).length,
      threadsCorrect,
    };
  } finally {
    await rig.close();
  }
}
