import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS } from "../../src/slack/action-ids.js";
import type { HttpDelivery } from "../../src/standin/app-delivery.js";
import { buildSignedRequest, sendRequest } from "../../src/standin/http-delivery.js";
import { isJsonObject } from "../../src/standin/json.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { keys, keysPattern } from "../../src/store/keys.js";
import { eventually } from "../support/eventually.js";
import { REDIS_URL } from "../support/redis.js";
import { dumpKeys } from "../support/redis-dump.js";
import { closeFleet, FLEET_BOT_TOKEN, FLEET_SIGNING_SECRET, SlipwayFleet } from "../support/slipway-fleet.js";

/*
 * Every forged, stale or replayed Slack request is refused; every
 * unauthorised action is refused and audited; secrets stay out of logs and
 * Redis (SPEC, Quality bars; C12 "pino JSON logs with secrets redacted").
 * One `slipway all` at LOG_LEVEL=debug, so that whatever Slipway or its
 * libraries log at any level is looked at, against a stand-in that signs
 * (or mis-signs) requests on demand.
 */

const SERVICE = "vault";
const CHANNEL = "C0VAULT01";
const DEPLOYER = "U0DEPLOY01";
const APPROVER_A = "U0APPROV01";
const APPROVER_B = "U0APPROV02";
const OUTSIDER = "U0OUTSIDE1";

const MANIFEST = `service: ${SERVICE}
channels:
  deploy: ${CHANNEL}
roles:
  deployers:
    users: [${DEPLOYER}]
  approvers:
    users: [${APPROVER_A}, ${APPROVER_B}]
target:
  type: command
  actions:
    deploy: [node, -e, "console.log('deployed')"]
environments:
  development:
    permissions: { deploy: [deployers], rollback: [deployers], lock: [deployers] }
    stages:
      - name: deploy
        action: deploy
  production:
    approval: { count: 2, approvers: [approvers], expiresAfter: 1h }
    permissions: { deploy: [deployers], rollback: [deployers], lock: [deployers] }
    stages:
      - name: deploy
        action: deploy
`;

describe("forged, stale, replayed and unauthorised Slack requests", () => {
  let fleet: SlipwayFleet;

  beforeAll(async () => {
    fleet = await SlipwayFleet.start({
      label: "security",
      manifests: { [`${SERVICE}.yaml`]: MANIFEST },
      redisUrl: REDIS_URL,
      workers: 0,
      env: { LOG_LEVEL: "debug" },
      slack: {
        users: { [DEPLOYER]: "dana", [APPROVER_A]: "ada", [APPROVER_B]: "bo", [OUTSIDER]: "otto" },
        channels: [{ id: CHANNEL, name: "vault-deploys" }],
      },
    });
  });

  afterAll(async () => {
    await closeFleet(fleet);
  });

  /** Deployments recorded and pipeline jobs ever queued (the watchdog's schedule aside). */
  async function queued(): Promise<{ deployments: number; jobs: number }> {
    const k = keys(fleet.prefix);
    const pipeline = fleet.queue("pipeline");
    try {
      const jobs = await pipeline.getJobs(
        ["active", "waiting", "delayed", "completed", "failed", "prioritized", "waiting-children"],
        0,
        1_000,
      );
      return {
        deployments: await fleet.redis.zcard(k.deploymentIndex),
        jobs: jobs.filter((j) => j.name !== "watchdog").length,
      };
    } finally {
      await pipeline.close();
    }
  }

  function ackText(d: { json: unknown; body: string }): string {
    return isJsonObject(d.json) && typeof d.json.text === "string" ? d.json.text : d.body;
  }

  function deployCommand(userId: string, text: string) {
    return { command: "/deploy", text, userId, channelId: CHANNEL };
  }

  /** The approval card of a deployment, once the notifier has posted it. */
  async function approvalCard(id: string): Promise<StoredMessage> {
    const { slack } = fleet;
    const root = await slack.waitForMessage((m) => m.threadTs === undefined && slack.textOf(m).includes(id), {
      timeoutMs: 15_000,
    });
    return slack.waitForMessage((m) => m.threadTs === root.ts && /Approval needed/.test(slack.textOf(m)), {
      timeoutMs: 15_000,
    });
  }

  it("refuses forged, tampered, unsigned and stale requests with 401, and queues nothing", async () => {
    const { slack } = fleet;
    const before = await queued();
    const postsBefore = slack.calls("chat.postMessage").length;
    const now = Math.floor(Date.now() / 1000);
    const command = deployCommand(DEPLOYER, "development v1.0.0 vault");
    const refused = [
      await slack.command(command, { corruptSignature: true }),
      await slack.command(command, { signingSecret: "not-the-signing-secret" }),
      await slack.command(command, { omitHeaders: true }),
      await slack.command(command, { omitHeaders: ["signature"] }),
      await slack.command(command, { omitHeaders: ["timestamp"] }),
      await slack.command(command, { timestamp: now - 6 * 60 }),
      await slack.command(command, { timestamp: now - 60 * 60 * 24 }),
    ];
    // A captured request changed after signing: the body, or the timestamp header.
    const genuine = (await slack.command(deployCommand(DEPLOYER, "help"))) as HttpDelivery;
    expect(genuine.status).toBe(200);
    const tamperedBody = await sendRequest(
      {
        ...genuine.request,
        body: genuine.request.body.replace("help", encodeURIComponent("development v1.0.0 vault")),
      },
      5_000,
      Date.now,
    );
    // One second later than it was signed (not a fixed clock reading, which a slow run can make the same).
    const signedAt = Number(genuine.request.headers["X-Slack-Request-Timestamp"]);
    const tamperedTime = await sendRequest(
      {
        ...genuine.request,
        headers: { ...genuine.request.headers, "X-Slack-Request-Timestamp": String(signedAt + 1) },
      },
      5_000,
      Date.now,
    );
    // An Approve click forged the same ways.
    const click = slack.blockAction({
      actionId: ACTION_IDS.approve,
      value: "d-7k3m9x2q",
      userId: APPROVER_A,
      channelId: CHANNEL,
      messageTs: "1700000000.000100",
    });
    const refusedClicks = [
      await slack.interact(click, { corruptSignature: true }),
      await slack.interact(click, { omitHeaders: true }),
      await slack.interact(click, { timestamp: now - 6 * 60 }),
    ];

    expect(refused.map((d) => d.status)).toEqual(refused.map(() => 401));
    expect([tamperedBody.status, tamperedTime.status]).toEqual([401, 401]);
    expect(refusedClicks.map((d) => d.status)).toEqual([401, 401, 401]);
    expect(refusedClicks.every((d) => d.responseUrl && slack.responsesFor(d.responseUrl).length === 0)).toBe(true);
    expect(await queued()).toEqual(before);
    expect(slack.calls("chat.postMessage")).toHaveLength(postsBefore);
  });

  it("acts once on a /deploy replayed byte for byte within five minutes, and on Slack's retries of it", async () => {
    const { slack } = fleet;
    const before = await queued();
    const original = (await slack.command(deployCommand(DEPLOYER, "development v1.1.0 vault"))) as HttpDelivery;
    expect(ackText(original)).toMatch(/^Queued `d-[a-z0-9]+`/);

    // An attacker replays the captured request; Slack retries it (same body, new signature, Retry-Num).
    const replays = await Promise.all([slack.replay(original), slack.replay(original)]);
    const retries = await Promise.all(
      [1, 2].map((n) =>
        sendRequest(
          buildSignedRequest(
            original.request.url,
            original.request.body,
            "application/x-www-form-urlencoded",
            FLEET_SIGNING_SECRET,
            Math.floor(Date.now() / 1000),
            { retryNum: n, retryReason: "http_timeout" },
          ),
          5_000,
          Date.now,
        ),
      ),
    );
    for (const answer of [...replays, ...retries]) {
      expect(answer.status === 401 || answer.status === 200, `answered ${answer.status}`).toBe(true);
      expect(answer.body).not.toMatch(/Queued/);
    }
    const after = await queued();
    expect(after.deployments).toBe(before.deployments + 1);

    // Slack retrying a first delivery it thinks timed out, concurrently with it: still one deployment.
    const fresh = slack.command(deployCommand(DEPLOYER, "production v1.1.0 vault"));
    const raced = (await fresh) as HttpDelivery;
    const racedRetry = await sendRequest(
      buildSignedRequest(
        raced.request.url,
        raced.request.body,
        "application/x-www-form-urlencoded",
        FLEET_SIGNING_SECRET,
        Math.floor(Date.now() / 1000),
        { retryNum: 1, retryReason: "http_timeout" },
      ),
      5_000,
      Date.now,
    );
    expect(racedRetry.body).not.toMatch(/Queued/);
    expect((await queued()).deployments).toBe(before.deployments + 2);
    const id = /`(d-[a-z0-9]+)`/.exec(ackText(raced))?.[1];
    expect(id).toBeDefined();

    // A replayed Approve click counts once: the quorum of two is not met by one approver twice.
    const card = await approvalCard(id as string);
    const clicked = (await slack.interact(fleet.chat.approvePayload(card, APPROVER_A))) as HttpDelivery;
    expect(await fleet.chat.responseText(clicked)).toBe(`Approval counted (1 of 2) for \`${id}\`.`);
    await slack.replay(clicked);
    await sendRequest(
      buildSignedRequest(
        clicked.request.url,
        clicked.request.body,
        "application/x-www-form-urlencoded",
        FLEET_SIGNING_SECRET,
        Math.floor(Date.now() / 1000),
        { retryNum: 1, retryReason: "http_timeout" },
      ),
      5_000,
      Date.now,
    );
    const d = await fleet.store.require(id as string);
    expect(d.state).toBe("awaiting_approval");
    expect(d.approval?.votes.map((v) => v.userId)).toEqual([APPROVER_A]);

    // The audit log has one deploy per request that acted.
    const log = await fleet.chat.command(DEPLOYER, CHANNEL, "/deploy", `audit ${SERVICE}`);
    expect(log.split("\n").filter((l) => /^• .* \*deploy\* /.test(l) && l.includes("v1.1.0"))).toHaveLength(2);
    expect(log.split("\n").filter((l) => /^• .* \*approve\* /.test(l))).toHaveLength(1);
  });

  it("refuses unauthorised deploy, approve, rollback and lock, changes nothing, and audits every refusal", async () => {
    const { slack, chat } = fleet;
    const before = await queued();
    const waiting = (await fleet.store.recent(10)).find((d) => d.state === "awaiting_approval");
    expect(waiting, "the production deployment of the previous test").toBeDefined();
    const id = waiting?.id as string;
    const rev = waiting?.rev;

    const answers = {
      deploy: await chat.command(OUTSIDER, CHANNEL, "/deploy", "development v9.9.9 vault"),
      approveCommand: await chat.command(OUTSIDER, CHANNEL, "/approve", id),
      approveButton: await chat.clickApprove(await approvalCard(id), OUTSIDER),
      rollback: await chat.command(OUTSIDER, CHANNEL, "/rollback", "production vault"),
      lock: await chat.command(OUTSIDER, CHANNEL, "/deploy", "lock production vault my turn"),
      unlock: await chat.command(OUTSIDER, CHANNEL, "/deploy", "unlock production vault"),
      abort: await fleet.chat.responseText(
        await slack.click({
          actionId: ACTION_IDS.abort,
          value: id,
          userId: OUTSIDER,
          channelId: CHANNEL,
          messageTs: (await chat.rootOf(id)).ts,
        }),
      ),
    };
    expect(answers.deploy).toMatch(/^Not deployed: deploying to development needs the role deployers/);
    expect(answers.approveCommand).toMatch(
      /^Not counted: approving deployments to production needs the role approvers/,
    );
    expect(answers.approveButton).toMatch(/^Not counted: approving deployments to production needs the role approvers/);
    expect(answers.rollback).toMatch(/^Not rolled back: rolling back production needs the role deployers/);
    expect(answers.lock).toMatch(/^Not locked: locking production needs the role deployers/);
    expect(answers.unlock).toMatch(/^Not unlocked: /);
    expect(answers.abort).toMatch(/^Not done: /);

    // Nothing changed.
    expect(await queued()).toEqual(before);
    const after = await fleet.store.require(id);
    expect(after.rev).toBe(rev);
    expect(after.approval?.votes.map((v) => v.userId)).toEqual([APPROVER_A]);
    expect(await fleet.redis.exists(keys(fleet.prefix).lock(SERVICE, "production"))).toBe(0);

    // Every refusal is in the audit log, with who tried and how.
    const log = await chat.command(DEPLOYER, CHANNEL, "/deploy", `audit ${SERVICE}`);
    const refusals = log
      .split("\n")
      .filter((l) => l.startsWith("⛔ ") && l.includes(`<@${OUTSIDER}>`))
      .map((l) => /\*([\w-]+)\* \(refused\) .* via (\w+)/.exec(l)?.slice(1, 3).join(" via "));
    expect(refusals.sort()).toEqual(
      [
        "deploy via slash_command",
        "approve via slash_command",
        "approve via button",
        "rollback via slash_command",
        "lock via slash_command",
        "lock via slash_command", // unlock needs the lock permission
        "abort via button", // audited as what was tried, though Abort needs the rollback permission
      ].sort(),
    );
  });

  it("never writes the bot token or the signing secret to its logs or to Redis, even when Slack fails", async () => {
    const { slack } = fleet;
    // Make Slack fail every way the notifier sees: an error answer, a 500, then no Slack at all.
    slack.failNext("chat.postMessage", "invalid_auth");
    slack.failNext("chat.update", "not_authed");
    const id = /`(d-[a-z0-9]+)`/.exec(
      await fleet.chat.command(DEPLOYER, CHANNEL, "/deploy", "lock development vault secrets test --for 1m"),
    );
    expect(id).toBeNull();
    await fleet.chat.command(DEPLOYER, CHANNEL, "/deploy", "unlock development vault");
    const queuedAnswer = await fleet.chat.command(DEPLOYER, CHANNEL, "/deploy", "development v2.0.0 vault");
    expect(queuedAnswer).toMatch(/^Queued/);
    slack.injectFaults({ rate5xx: 0.5, seed: 3 });
    await fleet.app.waitForLog((l) => l.msg === "Slack call failed; will retry", 30_000);
    await slack.close();
    const before = fleet.app.logs.length;
    await fleet.chat.command(DEPLOYER, CHANNEL, "/deploy", "development v2.0.1 vault").catch(() => undefined);
    await eventually(
      "the notifier to log a failed call to an unreachable Slack",
      () => fleet.app.logs.slice(before).some((l) => l.msg === "Slack call failed; will retry"),
      30_000,
    );

    const secrets = {
      "bot token": FLEET_BOT_TOKEN,
      "bot token (its unique part)": FLEET_BOT_TOKEN.slice("xoxb-".length),
      "signing secret": FLEET_SIGNING_SECRET,
      "signing secret (its unique part)": FLEET_SIGNING_SECRET.slice(-6),
    };
    const stdout = [...fleet.app.logs.map((l) => JSON.stringify(l)), ...fleet.app.output];
    const leaks: string[] = [];
    for (const [name, secret] of Object.entries(secrets)) {
      for (const line of stdout) if (line.includes(secret)) leaks.push(`log: ${name} in ${line.slice(0, 300)}`);
    }
    const dump = await dumpKeys(fleet.redis, keysPattern(fleet.prefix));
    expect(dump.size).toBeGreaterThan(10);
    for (const [key, value] of dump) {
      for (const [name, secret] of Object.entries(secrets))
        if (value.includes(secret)) leaks.push(`redis: ${name} in ${key}`);
    }
    expect(leaks).toEqual([]);
  });
});
