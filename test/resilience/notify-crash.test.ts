import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEPLOYER } from "../support/mixed-pipeline.js";
import { REDIS_URL } from "../support/redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";
import { ROOT } from "../support/slipway-process.js";

/*
 * Every state change reaches Slack even when the worker rendering it dies
 * (SPEC C1, C9): one `slipway app` and one `slipway worker`. A deployment
 * fails at its first stage; the stand-in holds the call that would show the
 * failure in the root message, and while it is held the worker is SIGKILLed
 * (its notify job in hand, its per-deployment sync lock taken) and a
 * replacement started. The held call is then answered with a 500, changing
 * nothing. The replacement must take the sync over once the dead worker's
 * lock expires (SLIPWAY_JOB_LOCK_MS): the root shows the failure, and the
 * incident alert is posted, each exactly once.
 */

const LOCK_MS = 3_000;
const CHANNEL = "C0CRASHY";
const INCIDENTS = "C0INCIDENTS";
/** A deadline for the takeover, far above the expected two lock periods, for a busy machine. */
const SETTLE_MS = 60_000;
/** Deadline for the app and the worker to start on a busy machine. */
const START_DEADLINE_MS = 300_000;

const MANIFEST = `service: crashy
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
    strategy: all-at-once
    stages:
      - name: build
        run: [node, -e, "console.error('compile error'); process.exit(3)"]
      - name: deploy
        action: deploy
`;

describe("SIGKILL of the worker rendering a deployment's end", () => {
  let fleet: SlipwayFleet;

  beforeAll(async () => {
    fleet = await SlipwayFleet.start({
      label: "notify-crash",
      manifests: { "crashy.yaml": MANIFEST },
      redisUrl: REDIS_URL,
      workers: 1,
      env: { SLIPWAY_JOB_LOCK_MS: String(LOCK_MS) },
    });
  }, START_DEADLINE_MS);

  afterAll(async () => {
    await closeFleet(fleet);
  });

  it("shows the failure in the root and posts the incident alert, each once, after the replacement takes over", async () => {
    const { slack } = fleet;
    // The first call that would show the failure in the deploy channel (an edit of the root, or its first post).
    const held = slack.holdNext(
      (method, args) =>
        (method === "chat.update" || method === "chat.postMessage") &&
        args.channel === CHANNEL &&
        args.thread_ts === undefined &&
        String(args.text).endsWith(": Failed (0%)"),
    );
    const id = await fleet.deploy(DEPLOYER, CHANNEL, "development v1.0.0 crashy");
    await held.arrived;
    const [worker] = fleet.workers;
    if (!worker) throw new Error("no worker");
    const killedAt = await fleet.signal(worker, "SIGKILL");
    held.release();
    await fleet.addWorker();

    const root = await fleet.chat.rootOf(id, /\*Failed\*/, SETTLE_MS);
    const alert = await slack.waitForMessage((m) => m.channel === INCIDENTS && slack.textOf(m).includes(id), {
      timeoutMs: SETTLE_MS,
    });
    const d = await fleet.store.require(id);
    expect(d.state).toBe("failed");
    expect(slack.textOf(root)).toContain("*Why:* stage build exited with code 3");
    expect(slack.textOf(alert)).toContain("*Why:* stage build exited with code 3");

    // Each once: one root in the channel, one alert in the incident channel, one summary in the thread.
    const mentioning = (channel: string) =>
      slack.messages(channel).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id));
    expect(mentioning(CHANNEL)).toHaveLength(1);
    expect(mentioning(INCIDENTS)).toHaveLength(1);
    // The summary is a reply of its own, posted after the root's edit: wait for it before counting.
    await slack.waitForMessage((m) => m.threadTs === root.ts && /Deployment failed/.test(slack.textOf(m)), {
      timeoutMs: SETTLE_MS,
    });
    const summaries = slack.thread(CHANNEL, root.ts).filter((m) => /Deployment failed/.test(slack.textOf(m)));
    expect(summaries).toHaveLength(1);

    const slackMs = (ts: string) => Math.round(Number(ts) * 1000);
    const rootShown = slack
      .calls("chat.update")
      .filter((c) => c.status === 200 && c.args.ts === root.ts && String(c.args.text).endsWith(": Failed (0%)"))
      .map((c) => c.at);
    console.log(
      JSON.stringify({
        lockMs: LOCK_MS,
        failedAt: d.finishedAt,
        killedAt,
        rootShowsFailureAfterKillMs: (rootShown[0] ?? slackMs(root.ts)) - killedAt,
        alertAfterKillMs: slackMs(alert.ts) - killedAt,
        alertAfterFailureMs: slackMs(alert.ts) - (d.finishedAt ?? 0),
      }),
    );
  }, 120_000);
});
