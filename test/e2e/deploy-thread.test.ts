import { Redis } from "ioredis";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { deleteKeys } from "../../src/store/delete-keys.js";
import { keys } from "../../src/store/keys.js";
import { REDIS_URL, uniquePrefix } from "../support/redis.js";
import { SlipwayProcess } from "../support/slipway-process.js";

const BOT_TOKEN = "xoxb-e2e-token";
const APP_TOKEN = "xapp-e2e-token";
const SIGNING_SECRET = "e2e-signing-secret";
const CHANNEL = "C0DEPLOYS";
const USER = "U0ENGINEER";

function deploymentIdIn(ack: string): string {
  const id = /`(d-[a-z0-9]+)`/.exec(ack)?.[1];
  if (!id) throw new Error(`no deployment id in the answer: ${ack}`);
  return id;
}

function ackText(json: unknown): string {
  return json && typeof json === "object" && "text" in json && typeof json.text === "string" ? json.text : "";
}

describe.each(["http", "socket"] as const)("/deploy end to end (%s mode)", (mode) => {
  let slack: FakeSlack;
  let slipway: SlipwayProcess;
  let redis: Redis;
  let prefix: string;

  beforeAll(async () => {
    redis = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    await redis.quit();
  });

  beforeEach(async () => {
    prefix = uniquePrefix(`e2e-${mode}`);
    slack = await FakeSlack.start({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      ...(mode === "socket" ? { appToken: APP_TOKEN } : {}),
      mode,
      channels: [{ id: CHANNEL, name: "deploys" }],
    });
    slipway = await SlipwayProcess.start("all", {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      REDIS_URL,
      SLIPWAY_KEY_PREFIX: prefix,
      ...(mode === "socket" ? { SLACK_APP_TOKEN: APP_TOKEN } : { SLACK_SIGNING_SECRET: SIGNING_SECRET }),
    });
    if (mode === "http") slack.setEventsUrl(slipway.eventsUrl);
    else await slack.socketConnected({ timeoutMs: 15_000 });
  });

  afterEach(async () => {
    const code = await slipway.stop();
    expect(code, slipway.describe()).toBe(0);
    await slack.close();
    await deleteKeys(redis, prefix);
  });

  /** How many deployments exist and how many pipeline jobs were ever queued, under this test's prefix. */
  async function queued(): Promise<{ deployments: number; jobs: number }> {
    const k = keys(prefix);
    const deployments = await redis.zcard(k.deploymentIndex);
    // Every job about a deployment carries its id; the watchdog's own schedule does not.
    const jobs = (await redis.keys(`${k.queuePrefix("pipeline")}:pipeline:*.d-*`)).length;
    return { deployments, jobs };
  }

  async function deploy(text: string) {
    const answer = await slack.command({ command: "/deploy", text, userId: USER, channelId: CHANNEL });
    expect(answer.status).toBe(200);
    return ackText(answer.json);
  }

  async function finishedThread(deploymentId: string): Promise<{ root: StoredMessage; replies: StoredMessage[] }> {
    const root = await slack.waitForMessage((m) => m.threadTs === undefined && slack.textOf(m).includes(deploymentId));
    const summary = await slack.waitForMessage(
      (m) => m.threadTs === root.ts && /Deployment (succeeded|failed)/.test(slack.textOf(m)),
      { timeoutMs: 30_000 },
    );
    // The last edit of the root message follows the final state closely.
    await slack.waitForMessage((m) => m.ts === root.ts && /\b(Succeeded|Failed)\b/.test(slack.textOf(m)));
    const replies = slack.thread(CHANNEL, root.ts).filter((m) => m.ts !== root.ts);
    expect(replies.at(-1)?.ts).toBe(summary.ts);
    return { root: slack.message(CHANNEL, root.ts) ?? root, replies };
  }

  it("acknowledges at once and follows a good deployment to success in one thread", async () => {
    const ack = await deploy("development v1.2.0");
    expect(ack).toMatch(/^Queued `d-[a-z0-9]+`: example v1\.2\.0 → development/);
    const id = deploymentIdIn(ack);

    const { root, replies } = await finishedThread(id);
    const rootText = slack.textOf(root);
    expect(rootText).toContain("example v1.2.0 → development");
    expect(rootText).toContain("██████████ 100%");
    for (const stage of ["unit-tests", "build", "deploy", "smoke-tests"]) expect(rootText).toContain(`✅ ${stage}`);
    expect(root.edits.length).toBeGreaterThan(0);

    const replyTexts = replies.map((r) => slack.textOf(r));
    expect(replyTexts).toHaveLength(7);
    expect(replyTexts[0]).toContain("Pre-deployment checklist");
    expect(replyTexts[0]).toContain("all required items passed (2/2)");
    expect(replyTexts.slice(1, 5).map((t) => /\*(.+?)\* succeeded in/.exec(t)?.[1])).toEqual([
      "unit-tests",
      "build",
      "deploy",
      "smoke-tests",
    ]);
    // After the last step, the seed's dev deployment validation, each item with its evidence.
    expect(replyTexts[5]).toContain("🩺 *Deployment validation* — ✅ passed (4/4)");
    expect(replyTexts[5]).toMatch(/✅ No errors in logs — 0 error lines since \S+ \(at most 0\)/);
    expect(rootText).toContain("*Deployment validation:* ✅ passed (4/4)");
    expect(replyTexts[6]).toContain("Deployment succeeded");
    expect(slack.messages(CHANNEL).filter((m) => m.threadTs === undefined)).toHaveLength(1);
  });

  it("ends failed at a failing stage and shows the tail of its output", async () => {
    const ack = await deploy("development v1.3.0-bad");
    const id = deploymentIdIn(ack);
    const { root, replies } = await finishedThread(id);
    expect(slack.textOf(root)).toContain("Failed");
    expect(slack.textOf(root)).toContain("❌ smoke-tests");
    const failed = replies
      .map((r) => slack.textOf(r))
      .find((t) => t.includes("smoke-tests") && t.includes("exited with code 1"));
    expect(failed).toContain("smoke test failed: POST /checkout returned 500");
    expect(replies.map((r) => slack.textOf(r)).at(-1)).toContain("Deployment failed");
  });

  it("answers malformed input with what was wrong and the correct form, and queues nothing", async () => {
    for (const [text, expected] of [
      ["staging 1.2;rm -rf /", /semicolon/],
      ["prod v1.2.0", /unknown environment 'prod'.*production/s],
      ["development v1.2.0 billing", /unknown service 'billing'/],
      ["development", /version/i],
      ["development v1.2.0 --strategy=yolo", /strategy/],
    ] as const) {
      const answer = await deploy(text);
      expect(answer).toMatch(expected);
      expect(answer).toContain("/deploy &lt;environment&gt; &lt;version&gt;");
    }
    expect(await queued()).toEqual({ deployments: 0, jobs: 0 });
  });

  it("shows help and status", async () => {
    expect(await deploy("help")).toContain("/deploy <environment> <version>");
    expect(await deploy("status")).toMatch(/No deployments yet/);
    const ack = await deploy("development v1.2.0");
    const id = deploymentIdIn(ack);
    await finishedThread(id);
    const status = await slack.command({ command: "/deploy", text: "status", userId: USER, channelId: CHANNEL });
    expect(JSON.stringify(status.json)).toContain(id);
  });

  if (mode === "http") {
    it("refuses a request with a bad signature or a stale timestamp with 401 and queues nothing", async () => {
      const forged = await slack.command(
        { command: "/deploy", text: "development v1.2.0", userId: USER, channelId: CHANNEL },
        { corruptSignature: true },
      );
      expect(forged.status).toBe(401);
      const wrongSecret = await slack.command(
        { command: "/deploy", text: "development v1.2.0", userId: USER, channelId: CHANNEL },
        { signingSecret: "not-the-secret" },
      );
      expect(wrongSecret.status).toBe(401);
      const stale = await slack.command(
        { command: "/deploy", text: "development v1.2.0", userId: USER, channelId: CHANNEL },
        { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 },
      );
      expect(stale.status).toBe(401);
      expect(await queued()).toEqual({ deployments: 0, jobs: 0 });
      expect(slack.calls("chat.postMessage")).toHaveLength(0);
    });
  }
});
