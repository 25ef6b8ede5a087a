import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { moveTo } from "../../src/domain/deployment.js";
import type { ApiCall } from "../../src/standin/call-log.js";
import { channelOf, DEPLOYER, mixedService } from "../support/mixed-pipeline.js";
import { REDIS_URL } from "../support/redis.js";
import { closeFleet, SlipwayFleet } from "../support/slipway-fleet.js";

/*
 * Crashes in the narrow windows between two writes that belong together,
 * made deterministic. Both were first seen in kill-workers.test.ts, where
 * random kills hit them now and then.
 *
 * 1. A worker killed between a Slack call and recording it. The notifier keeps
 * what it posted in Redis "call by call, so a retried sync never posts twice
 * what it already posted" (src/slack/notifier.ts) — but a SIGKILL after
 * chat.postMessage reached Slack and before its ts was recorded leaves no
 * record. Before the fix the sync that took over posted the root message
 * again: the deployment got two root messages, the first one frozen forever.
 * Now the post is marked pending first and carries metadata naming the
 * deployment and the message, so the sync that takes over finds it with
 * conversations.history and keeps it.
 *
 * The kill is made deterministic by the stand-in's `call` event, which fires
 * as Slack answers: the only worker is SIGKILLed the moment its root message
 * is stored, before it can read the answer. (In kill-workers.test.ts a
 * random kill left a production deployment with two roots and its approval
 * card under the second; in redis-restart.test.ts a Redis outage does the
 * same to stage replies.)
 *
 * 2. A worker killed after its `check` job recorded the deployment as
 * `running` and before it queued the first step. The retried check job
 * finds the deployment no longer checking and returns; nothing queues the
 * step, and only the watchdog, after 2 minutes without a change, starts it.
 * (In kill-workers.test.ts one deployment waited 2 min 24 s this way.) The
 * crash is reproduced by recording what the dead worker would have
 * recorded, with no worker running, before one starts.
 */

const SERVICE = "svc-01";
const CHANNEL = channelOf(SERVICE);
/** Lock expiry (≤ 30 s) and a stalled-job check (≤ 30 s), then the work. */
const TAKEOVER_MS = 90_000;

describe("notifier: a worker killed right after posting a root message", () => {
  let fleet: SlipwayFleet;

  beforeAll(async () => {
    fleet = await SlipwayFleet.start({
      label: "crash-window-slack",
      manifests: { [`${SERVICE}.yaml`]: mixedService(SERVICE, { production: true }) },
      redisUrl: REDIS_URL,
      workers: 1,
      workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "100" },
    });
  });

  afterAll(async () => {
    await closeFleet(fleet);
  });

  it(
    "keeps one root message per deployment when the worker dies before recording the post",
    async () => {
      const { slack } = fleet;
      const worker = fleet.workers[0];
      if (!worker?.child.pid) throw new Error("no worker");
      const pid = worker.child.pid;
      let killedAt: number | undefined;
      const onCall = (call: ApiCall) => {
        if (killedAt !== undefined || call.method !== "chat.postMessage" || call.status !== 200) return;
        if (call.args.channel !== CHANNEL || call.args.thread_ts !== undefined) return;
        killedAt = Date.now();
        process.kill(pid, "SIGKILL");
      };
      slack.on("call", onCall);

      // Production waits for an approval, so the kill finds no pipeline step half-queued.
      const id = await fleet.deploy(DEPLOYER, CHANNEL, `production v3.0.0 ${SERVICE}`);
      await worker.exited;
      slack.off("call", onCall);
      expect(killedAt).toBeDefined();
      await fleet.addWorker();

      // The replacement takes the stalled sync over and posts the approval card.
      await slack.waitForMessage((m) => m.channel === CHANNEL && /Approval needed/.test(slack.textOf(m)), {
        timeoutMs: TAKEOVER_MS,
      });
      const answer = await fleet.chat.command("U0APPROVE1", CHANNEL, "/approve", id);
      expect(answer).toBe(`Approved; \`${id}\` is starting.`);
      const done = await fleet.allFinal([id], 30_000);
      expect(done[0]?.state).toBe("succeeded");
      await slack.waitForMessage(
        (m) => m.channel === CHANNEL && m.threadTs === undefined && /\*Succeeded\*/.test(slack.textOf(m)),
        { timeoutMs: 30_000 },
      );

      const roots = slack.messages(CHANNEL).filter((m) => m.threadTs === undefined && slack.textOf(m).includes(id));
      expect(
        roots.map((m) => slack.textOf(m).split("\n")[1]),
        "root messages of the deployment (their status line)",
      ).toEqual(["*Status:* ✅ *Succeeded*"]);
      // The replacement found the root in Slack by its metadata, rather than posting it again.
      expect(roots[0]?.metadata).toEqual({
        event_type: "slipway_message",
        event_payload: expect.objectContaining({ deploymentId: id, name: "root" }),
      });
      const lookups = slack
        .calls("conversations.history")
        .filter(
          (c) => c.args.channel === CHANNEL && String(c.args.include_all_metadata) === "true" && c.response.ok === true,
        );
      expect(lookups.length, "conversations.history calls that looked for the root").toBeGreaterThan(0);
    },
    TAKEOVER_MS + 60_000,
  );
});

describe("pipeline: a worker killed between recording `running` and queuing the first step", () => {
  let fleet: SlipwayFleet;

  beforeAll(async () => {
    fleet = await SlipwayFleet.start({
      label: "crash-window-check",
      manifests: { [`${SERVICE}.yaml`]: mixedService(SERVICE) },
      redisUrl: REDIS_URL,
      workers: 0,
      role: "app",
      workerEnv: { SLIPWAY_EXAMPLE_DELAY_MS: "100" },
    });
  });

  afterAll(async () => {
    await closeFleet(fleet);
  });

  it("starts the first step when the check job runs again after the crash", async () => {
    // No worker yet: the deployment is recorded and its check job waits in the queue.
    const id = await fleet.deploy(DEPLOYER, CHANNEL, `development v6.0.0 ${SERVICE}`);
    // What the check job wrote before its worker died: checking, an empty checklist, running.
    const requested = await fleet.store.require(id);
    const checking = await fleet.store.save(moveTo(requested, "checking", Date.now()));
    const checked = await fleet.store.save({ ...checking, checklist: [], updatedAt: Date.now() });
    await fleet.store.save(moveTo(checked, "running", Date.now()));

    // A worker takes the check job over, as after the dead worker's lock expired.
    await fleet.addWorker();
    const [done] = await fleet.allFinal([id], 20_000);
    expect(done?.state).toBe("succeeded");
  }, 40_000);
});
