import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Deployment } from "../../src/domain/deployment.js";
import { listSchedules, SCHEDULE_ID_PREFIX } from "../../src/engine/jobs.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { eventually } from "../support/eventually.js";
import { countingStage } from "../support/manifest-fixture.js";
import { REDIS_URL } from "../support/redis.js";
import { SlipwayFleet } from "../support/slipway-fleet.js";
import type { LogLine } from "../support/slipway-process.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Deploy on a schedule, end to end: `slipway all` with manifests whose
 * staging is fed from development by a cron every two seconds (seconds
 * first), so runs come by themselves while the test watches. Each scenario
 * has its own service and channel.
 */

const DEPLOYER = "U0NIGHTLY1";

function manifest(service: string, channel: string): string {
  return `service: ${service}
channels:
  deploy: ${channel}
target:
  type: command
  env:
    COUNT_FILE: ${service}.stages
  actions:
    deploy: [node, -e, "0"]
environments:
  development:
    stages:
${countingStage("deploy")}  staging:
    schedule: { cron: "*/2 * * * * *", timezone: Europe/Berlin, from: development }
    permissions: { deploy: [schedule], lock: anyone }
    stages:
${countingStage("deploy")}`;
}

const NIGHTLY = { service: "nightly", channel: "C0NIGHTLY1" };
const HELD = { service: "held", channel: "C0HELDDEP1" };

let scene: SlipwayScene;

beforeAll(async () => {
  scene = await SlipwayScene.start({
    label: "schedules",
    manifests: {
      "nightly.yaml": manifest(NIGHTLY.service, NIGHTLY.channel),
      "held.yaml": manifest(HELD.service, HELD.channel),
    },
  });
}, 60_000);

afterAll(async () => {
  expect(await scene?.close()).toBe(0);
});

async function deploymentsTo(service: string, environment: string): Promise<Deployment[]> {
  return (await scene.store.recent(200)).filter((d) => d.service === service && d.environment === environment);
}

/** Scheduled runs of a service logged so far. */
function runs(service: string): LogLine[] {
  return scene.slipway.logs.filter(
    (l) => l.service === service && (l.msg === "scheduled run" || l.msg === "scheduled run: nothing new to deploy"),
  );
}

/** Resolves once `count` more scheduled runs of the service have been logged. */
async function moreRuns(service: string, count: number): Promise<void> {
  const target = runs(service).length + count;
  await scene.slipway.waitForLog(() => runs(service).length >= target, 30_000);
}

describe("scheduled deployments", () => {
  it("deploys the newest development success to staging, then stays quiet with nothing new", async () => {
    const { service, channel } = NIGHTLY;
    await moreRuns(service, 1); // nothing has succeeded in development yet: a run says nothing
    expect(scene.slack.messages(channel)).toEqual([]);

    const first = await scene.deploy(DEPLOYER, channel, `development v1.2.0 ${service}`);
    await scene.ended(first, "succeeded");
    const second = await scene.deploy(DEPLOYER, channel, `development v1.3.0 ${service}`);
    await scene.ended(second, "succeeded");

    // A run between the two successes may have taken v1.2.0 first; the newest, v1.3.0, follows it.
    const staged = await eventually("v1.3.0 scheduled to staging", async () => {
      const found = (await deploymentsTo(service, "staging")).find((d) => d.version === "v1.3.0");
      return found ?? new Error("not yet");
    });
    expect(staged).toMatchObject({ source: "schedule", requestedBy: "schedule" });
    await scene.ended(staged.id, "succeeded");

    const deployments = (await deploymentsTo(service, "staging")).length;
    const messages = scene.slack.messages(channel).length;
    await moreRuns(service, 3);
    expect(await deploymentsTo(service, "staging")).toHaveLength(deployments);
    expect(scene.slack.messages(channel)).toHaveLength(messages);

    const audit = await new AuditLog(scene.redis, scene.prefix).recent(service, 20, "staging");
    expect(audit.find((e) => e.deploymentId === staged.id)).toMatchObject({
      actor: "schedule",
      source: "schedule",
      via: "schedule",
      action: "deploy",
      outcome: "ok",
    });
  });

  it("reports a lock on staging once, and deploys once it is lifted", async () => {
    const { service, channel } = HELD;
    const locked = await scene.chat.command(DEPLOYER, channel, "/deploy", `lock staging ${service} database migration`);
    expect(locked).toContain("Locked");
    const dev = await scene.deploy(DEPLOYER, channel, `development v2.0.0 ${service}`);
    await scene.ended(dev, "succeeded");

    const skipped = (m: { text?: string }) => (m.text ?? "").startsWith("⏰ Scheduled deployment skipped");
    await eventually("the lock to be reported", async () =>
      scene.slack.messages(channel).some(skipped) ? true : new Error("not yet"),
    );
    await moreRuns(service, 3);
    const notices = scene.slack.messages(channel).filter(skipped);
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain(`${service} v2.0.0 → staging`);
    expect(notices[0]?.text).toContain(`is locked by <@${DEPLOYER}> (database migration)`);
    expect(await deploymentsTo(service, "staging")).toEqual([]);

    await scene.chat.command(DEPLOYER, channel, "/deploy", `unlock staging ${service}`);
    const staged = await eventually("a scheduled staging deployment after the unlock", async () => {
      const found = await deploymentsTo(service, "staging");
      return found[0] ?? new Error("none yet");
    });
    expect(staged).toMatchObject({ version: "v2.0.0", source: "schedule" });
    await scene.ended(staged.id, "succeeded");
  });
});

describe("worker processes starting together", () => {
  it("make one job scheduler per scheduled environment", async () => {
    const fleet = await SlipwayFleet.start({
      label: "schedules-fleet",
      manifests: { "nightly.yaml": manifest(NIGHTLY.service, NIGHTLY.channel) },
      redisUrl: REDIS_URL,
      workers: 0,
      role: "app",
    });
    const queue = fleet.queue("pipeline");
    try {
      const workers = await Promise.all([fleet.addWorker(), fleet.addWorker(), fleet.addWorker()]);
      expect(workers).toHaveLength(3);
      expect(await listSchedules(queue, SCHEDULE_ID_PREFIX)).toEqual([
        { id: `${SCHEDULE_ID_PREFIX}nightly.staging`, pattern: "*/2 * * * * *", tz: "Europe/Berlin" },
      ]);
    } finally {
      await queue.close();
      const codes = await fleet.close();
      expect(codes.map((c) => c.code)).toEqual([0, 0, 0, 0]);
    }
  }, 120_000);
});
