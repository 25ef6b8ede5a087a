import { describe, expect, it } from "vitest";
import type { FaultOptions } from "../../src/standin/fault-injector.js";
import { eventually } from "../support/eventually.js";
import { channelOf, DEPLOYER, deploymentPlan, mixedManifests } from "../support/mixed-pipeline.js";
import { REDIS_URL } from "../support/redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";

/*
 * A failing Slack never changes a deployment (SPEC C1, Quality bars): the
 * same eight deployments run twice, each time on a fresh `slipway all` and
 * stand-in — first with a healthy Slack, then with the stand-in answering
 * 30% of Web API calls with 429 (Retry-After 1) or 500. Each deployment's
 * final thread, root text and reply texts in order, must be the same in
 * both runs (deployment ids, times and measured durations aside), and the
 * deployments must take as long as without faults, give or take noise.
 */

const SERVICES = 4;
const FAULTS: FaultOptions = {
  rate429: 0.15,
  rate5xx: 0.15,
  retryAfterSeconds: 1,
  seed: Number(process.env.SEED ?? 7),
};
const FINISH_MS = 60_000;
/** With 30% of calls failing and Slack's per-channel pace, the threads need longer than the pipelines. */
const SETTLE_MS = 120_000;

interface Run {
  /** `<service> <environment>` → the final thread: root text, then each reply's text, normalized. */
  readonly threads: Map<string, string[]>;
  /** `<service> <environment>` → createdAt to finishedAt, from the record. */
  readonly durations: Map<string, number>;
  readonly calls: { total: number; ratelimited: number; serverErrors: number };
  readonly refused: string[];
}

/** What differs from run to run by nature: ids, Slack dates, measured durations. */
function normalize(text: string): string {
  return text
    .replace(/\bd-[a-z0-9]{8}\b/g, "d-<id>")
    .replace(/<!date\^\d+\^[^>]*>/g, "<date>")
    .replace(/\b\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC\b/g, "<date>")
    .replace(/\bDuration: \d+ (?:seconds?|minutes?|hours?)\b/g, "Duration: <duration>")
    .replace(/\b\d+(?:ms|s|m \d{2}s|h \d{2}m|d \d{2}h)\b/g, "<duration>");
}

async function run(faults: FaultOptions | undefined): Promise<Run> {
  const { services, manifests } = mixedManifests(SERVICES, 0);
  const fleet = await SlipwayFleet.start({
    label: faults ? "slack-faults" : "slack-healthy",
    manifests,
    redisUrl: REDIS_URL,
    workers: 0,
    workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "300" },
  });
  const notify = fleet.queue("notify");
  try {
    const { slack } = fleet;
    if (faults) slack.injectFaults(faults);
    const plan = deploymentPlan(services, 0);
    const ids = new Map<string, string>();
    for (const { service, environment } of plan) {
      ids.set(
        `${service} ${environment}`,
        await fleet.deploy(DEPLOYER, channelOf(service), `${environment} v5.0.0 ${service}`),
      );
    }
    const finals = await fleet.allFinal([...ids.values()], FINISH_MS);

    // Settled: Slack shows every deployment's end and the notifier has nothing left to do.
    await eventually(
      "every thread to show its deployment's end, with no notification pending",
      async () => {
        for (const d of finals) {
          const root = slack
            .messages(d.channel)
            .find((m) => m.threadTs === undefined && slack.textOf(m).includes(d.id));
          if (!root || !/\*(Succeeded|Failed)\*/.test(slack.textOf(root))) return false;
          if (!slack.thread(d.channel, root.ts).some((m) => /Deployment (succeeded|failed)/.test(slack.textOf(m))))
            return false;
        }
        const pending = await notify.getJobCounts("active", "waiting", "delayed", "prioritized", "waiting-children");
        return Object.values(pending).every((n) => n === 0);
      },
      SETTLE_MS,
      200,
    );

    const threads = new Map<string, string[]>();
    const durations = new Map<string, number>();
    for (const [name, id] of ids) {
      const d = finals.find((x) => x.id === id);
      if (!d) throw new Error(`no record for ${id}`);
      const roots = slack.messages(d.channel).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id));
      const thread = roots.flatMap((root) => slack.thread(d.channel, root.ts));
      threads.set(name, [`(${roots.length} root message(s))`, ...thread.map((m) => normalize(slack.textOf(m)))]);
      durations.set(name, (d.finishedAt ?? 0) - d.createdAt);
    }
    const calls = slack.calls();
    return {
      threads,
      durations,
      calls: {
        total: calls.length,
        ratelimited: calls.filter((c) => c.status === 429).length,
        serverErrors: calls.filter((c) => c.status >= 500).length,
      },
      refused: fleet
        .logs((l) => l.msg === "Slack refused a message; it will not be retried")
        .map(({ line }) => JSON.stringify(line.err)),
    };
  } finally {
    await notify.close();
    await closeFleet(fleet);
  }
}

function stats(values: readonly number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
}

describe("Slack failing 30% of calls with 429 or 500", () => {
  it(
    "leaves every deployment's thread as a healthy Slack shows it, and its duration unchanged",
    async () => {
      const healthy = await run(undefined);
      const faulty = await run(FAULTS);

      const healthyDurations = stats([...healthy.durations.values()]);
      const faultyDurations = stats([...faulty.durations.values()]);
      console.log(
        JSON.stringify(
          {
            healthy: { calls: healthy.calls, durationMs: healthyDurations },
            faulty: { calls: faulty.calls, durationMs: faultyDurations },
            perDeploymentMs: Object.fromEntries(
              [...healthy.durations].map(([name, ms]) => [name, { healthy: ms, faulty: faulty.durations.get(name) }]),
            ),
          },
          null,
          2,
        ),
      );

      // The faults did happen, and none made the notifier give a message up.
      expect(faulty.calls.ratelimited).toBeGreaterThan(0);
      expect(faulty.calls.serverErrors).toBeGreaterThan(0);
      expect(faulty.refused).toEqual([]);

      // The same threads, deployment by deployment.
      expect(healthy.threads.size).toBe(SERVICES * 2);
      for (const [name, thread] of healthy.threads) {
        expect(thread[0], `${name} has one root message`).toBe("(1 root message(s))");
        expect(thread.length, `${name}: root and a reply per stage`).toBeGreaterThanOrEqual(6);
      }
      for (const [name, thread] of healthy.threads) {
        expect(faulty.threads.get(name), `thread of ${name}`).toEqual(thread);
      }

      // Durations: Slack's trouble is not the pipeline's (a generous bound for noise on a busy machine).
      expect(faultyDurations.median).toBeLessThanOrEqual(healthyDurations.median * 1.3 + 1_500);
      expect(faultyDurations.max).toBeLessThanOrEqual(healthyDurations.max * 1.3 + 3_000);
    },
    2 * (FINISH_MS + SETTLE_MS),
  );
});
