import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOST_WORKERS_LIMIT } from "../../src/engine/pipeline.js";
import { eventually } from "../support/eventually.js";
import { DEPLOYER } from "../support/mixed-pipeline.js";
import { REDIS_URL } from "../support/redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import { ROOT } from "../support/slipway-process.js";

/*
 * A step whose workers keep dying pauses the deployment for a person
 * instead of failing it (issue: a crash is never a reason to fail): one
 * `slipway app` and one `slipway worker`. The deployment's `migrate` step
 * runs until its worker dies; each time a worker starts it, the worker is
 * SIGKILLed and a replacement started. After the 5th lost worker the next
 * one to take the step over must not run it again: the deployment pauses,
 * still running, and the root message and the incident channel say "step
 * migrate lost 5 workers in a row".
 */

const LOCK_MS = 3_000;
const CHANNEL = "C0LOSSY01";
const INCIDENTS = "C0LOSSYALERT";
/** Deadline for each takeover (lock expiry, a stalled check, a worker starting) on a busy machine. */
const TAKEOVER_MS = 120_000;
/** Deadline for the app and the worker to start on a busy machine. */
const START_DEADLINE_MS = 300_000;

/**
 * Runs until it is killed. It writes to its output pipe, whose only reader
 * is its worker: once the worker is gone the write fails (EPIPE) and the
 * step ends, so no orphan outlives the test.
 */
const MIGRATE = "console.log('migrating'); setInterval(() => process.stdout.write('.'), 200);";

const MANIFEST = `service: lossy
channels:
  deploy: ${CHANNEL}
  incidents: ${INCIDENTS}
target:
  type: command
  workdir: ${JSON.stringify(ROOT)}
  actions:
    deploy: [node, examples/targets/deploy.mjs]
environments:
  development:
    stages:
      - name: migrate
        run: [node, -e, ${JSON.stringify(MIGRATE)}]
        timeoutSeconds: 600
      - name: deploy
        action: deploy
`;

describe("a step that keeps losing its worker", () => {
  let fleet: SlipwayFleet;

  beforeAll(async () => {
    fleet = await SlipwayFleet.start({
      label: "lost-workers",
      manifests: { "lossy.yaml": MANIFEST },
      redisUrl: REDIS_URL,
      workers: 1,
      env: { SLIPWAY_JOB_LOCK_MS: String(LOCK_MS) },
    });
  }, START_DEADLINE_MS);

  afterAll(async () => {
    await closeFleet(fleet);
  });

  it(`pauses with 'step migrate lost ${LOST_WORKERS_LIMIT} workers in a row' in the thread and the incident channel`, async () => {
    const id = await fleet.deploy(DEPLOYER, CHANNEL, "development v1.2.0 lossy");
    for (let attempt = 1; attempt <= LOST_WORKERS_LIMIT; attempt += 1) {
      // A worker starved of CPU may lose a lock by itself; then the deployment pauses before the 5th kill.
      const victim = await eventually(
        `a worker to start attempt ${attempt} of migrate`,
        async () =>
          (await fleet.store.require(id)).paused
            ? "paused"
            : fleet.workers.find((w) =>
                w.logs.some(
                  (l) =>
                    l.msg === "stage started" &&
                    l.deploymentId === id &&
                    l.stage === "migrate" &&
                    l.attempt === attempt,
                ),
              ),
        TAKEOVER_MS,
        20,
      );
      if (victim === "paused") break;
      await fleet.signal(victim, "SIGKILL");
      await fleet.addWorker();
    }

    const what = `step migrate lost ${LOST_WORKERS_LIMIT} workers in a row`;
    const d = await eventually(
      "the deployment to pause for an operator",
      async () => {
        const current = await fleet.store.require(id);
        return current.paused
          ? current
          : new Error(`${current.state}, migrate attempts ${current.stages[0]?.attempts}`);
      },
      TAKEOVER_MS,
    );
    // Paused, not failed: the step was started 5 times and not a 6th.
    expect(d.state).toBe("running");
    expect(d.failureReason).toBeUndefined();
    expect(d.paused?.by).toBe("slipway");
    expect(d.stuck?.what).toBe(what);
    expect(d.stages[0]).toMatchObject({ name: "migrate", status: "running", attempts: LOST_WORKERS_LIMIT });
    const starts = fleet.logs((l) => l.msg === "stage started" && l.deploymentId === id);
    expect(starts).toHaveLength(LOST_WORKERS_LIMIT);

    const { slack } = fleet;
    const root = await fleet.chat.rootOf(id, new RegExp(`Stuck:\\* ${what}`), 60_000);
    expect(slack.textOf(root)).toContain("paused by Slipway");
    const alert = await slack.waitForMessage(
      (m) => m.channel === INCIDENTS && slack.textOf(m).includes(id) && slack.textOf(m).includes(what),
      { timeoutMs: 60_000 },
    );
    expect(slack.textOf(alert)).toContain(`*Stuck:* ${what}`);
    expect(
      slack.messages(INCIDENTS).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id)),
    ).toHaveLength(1);
  }, 600_000);
});
