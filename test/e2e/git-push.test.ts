import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deliver } from "../../src/hooks/deliver-push.js";
import { AuditLog } from "../../src/store/audit-log.js";
import { eventually } from "../support/eventually.js";
import { pingExample, pushExample, withHeadCommit } from "../support/github-payloads.js";
import { countingStage } from "../support/manifest-fixture.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Deploy on push, end to end: `slipway all` with a manifest whose
 * development environment is deployed by pushes of `develop` to
 * acme/shop, and GitHub's own example payloads (`@octokit/webhooks-examples`)
 * moved to that repository, signed with the webhook's secret and POSTed to
 * `/hooks/git` as GitHub does.
 */

const SECRET = "shop-webhook-secret";
const REPOSITORY = "acme/shop";
const CHANNEL = "C0SHOPDEP1";

const MANIFEST = `service: shop
channels:
  deploy: ${CHANNEL}
target:
  type: command
  env:
    COUNT_FILE: shop.stages
  actions:
    deploy: [node, -e, "0"]
environments:
  development:
    push: { repository: ${REPOSITORY}, branch: develop, secretEnv: SHOP_WEBHOOK_SECRET }
    stages:
${countingStage("deploy")}`;

// A second service whose development waits for an approval, so a deployment holds it while pushes come.
const BURST = { service: "burst", repository: "acme/burst", channel: "C0BURSTDE1" };
const APPROVER = "U0BURSTAP1";

const BURST_MANIFEST = `service: ${BURST.service}
channels:
  deploy: ${BURST.channel}
roles:
  approvers: { users: [${APPROVER}] }
target:
  type: command
  env:
    COUNT_FILE: burst.stages
  actions:
    deploy: [node, -e, "0"]
environments:
  development:
    push: { repository: ${BURST.repository}, branch: develop, secretEnv: SHOP_WEBHOOK_SECRET }
    approval: { approvers: [approvers], expiresAfter: 1h }
    stages:
${countingStage("deploy")}`;

let scene: SlipwayScene;
let url: string;

beforeAll(async () => {
  scene = await SlipwayScene.start({
    label: "git-push",
    manifests: { "shop.yaml": MANIFEST, "burst.yaml": BURST_MANIFEST },
    env: { SHOP_WEBHOOK_SECRET: SECRET },
  });
  url = `http://127.0.0.1:${scene.slipway.port}`;
}, 60_000);

afterAll(async () => {
  expect(await scene?.close()).toBe(0);
});

async function deploymentCount(): Promise<number> {
  return (await scene.store.recent(100)).length;
}

describe("POST /hooks/git", () => {
  it("answers GitHub's ping with what pushes deploy", async () => {
    const answer = await deliver(url, { event: "ping", payload: pingExample(REPOSITORY), secret: SECRET });
    expect(answer.status).toBe(200);
    expect(answer.message).toMatch(/^Pong \(.+\)\. Pushes deploy: develop → shop development\.$/);
  });

  it("deploys a signed push of develop to development, and the thread names the commit", async () => {
    const push = withHeadCommit(
      pushExample(REPOSITORY, "develop"),
      "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
      "Fix the checkout total\n\nIt rounded twice.",
      "octocat",
    );
    const answer = await deliver(url, { event: "push", payload: push, secret: SECRET });
    expect(answer.status).toBe(202);
    expect(answer.deployments).toEqual([
      expect.objectContaining({ environment: "development", version: "develop-1a2b3c4", outcome: "started" }),
    ]);
    const id = answer.deployments[0]?.deploymentId ?? "";
    const done = await scene.ended(id, "succeeded");
    expect(done).toMatchObject({
      version: "develop-1a2b3c4",
      requestedBy: "push",
      source: "push",
      requesterName: "octocat",
    });
    const root = scene.slack.textOf(await scene.root(id));
    expect(root).toContain(`<${push.compare}|1a2b3c4> Fix the checkout total — octocat on develop`);
    expect(root).not.toContain("It rounded twice");

    const audit = await new AuditLog(scene.redis, scene.prefix).recent("shop", 10, "development");
    expect(audit.find((e) => e.deploymentId === id)).toMatchObject({
      actor: "push",
      source: "push",
      action: "deploy",
      outcome: "ok",
      via: "webhook",
      detail: "develop-1a2b3c4",
    });
  });

  it("acts on a delivery once, however often it is replayed", async () => {
    const push = withHeadCommit(
      pushExample(REPOSITORY, "develop"),
      "2b3c4d5e6f70".padEnd(40, "0"),
      "Replay me",
      "octocat",
    );
    const first = await deliver(url, { event: "push", payload: push, secret: SECRET });
    expect(first.deployments[0]?.outcome).toBe("started");
    await scene.ended(first.deployments[0]?.deploymentId ?? "", "succeeded");
    const before = await deploymentCount();

    for (let i = 0; i < 3; i += 1) {
      const again = await deliver(url, { event: "push", payload: push, secret: SECRET, delivery: first.delivery });
      expect(again).toMatchObject({
        status: 200,
        message: `Delivery ${first.delivery} was already received; nothing more was done.`,
      });
    }
    expect(await deploymentCount()).toBe(before);
  });

  it("refuses a bad or missing signature with 401 and queues nothing", async () => {
    const push = withHeadCommit(
      pushExample(REPOSITORY, "develop"),
      "3c4d5e6f7081".padEnd(40, "0"),
      "Forged",
      "mallory",
    );
    const before = await deploymentCount();
    const cases = [
      await deliver(url, { event: "push", payload: push, secret: "not-the-secret" }),
      await deliver(url, { event: "push", payload: push }),
      await deliver(url, {
        event: "push",
        payload: push,
        secret: SECRET,
        tamper: (b) => b.replace("Forged", "Forgeg"),
      }),
    ];
    for (const refused of cases) {
      expect(refused.status).toBe(401);
      expect(refused.message).toMatch(/^Refused: .*X-Hub-Signature-256/);
    }
    // A refused delivery's id is not remembered: the genuine delivery with that id is still acted on.
    const genuine = await deliver(url, { event: "push", payload: push, secret: SECRET, delivery: cases[0]?.delivery });
    expect(genuine.deployments[0]?.outcome).toBe("started");
    expect(await deploymentCount()).toBe(before + 1);
    await scene.ended(genuine.deployments[0]?.deploymentId ?? "", "succeeded");
  });

  it("answers 2xx to pushes it does not deploy, saying why", async () => {
    const before = await deploymentCount();
    const otherBranch = await deliver(url, { event: "push", payload: pushExample(REPOSITORY, "main"), secret: SECRET });
    expect(otherBranch).toMatchObject({
      status: 202,
      message: "Ignored: pushes of main deploy nothing (develop → development).",
    });
    const otherRepo = await deliver(url, {
      event: "push",
      payload: pushExample("acme/other", "develop"),
      secret: SECRET,
    });
    expect(otherRepo).toMatchObject({ status: 202, message: "Ignored: no environment deploys pushes of acme/other." });
    const tag = await deliver(url, {
      event: "push",
      payload: { ...pushExample(REPOSITORY, "develop"), ref: "refs/tags/v1.2.0" },
      secret: SECRET,
    });
    expect(tag).toMatchObject({
      status: 202,
      message: "Ignored: refs/tags/v1.2.0 is not a branch; Slipway deploys pushes to branches.",
    });
    const issue = await deliver(url, { event: "issues", payload: { action: "opened" }, secret: SECRET });
    expect(issue.status).toBe(202);
    expect(await deploymentCount()).toBe(before);
  });

  it("leaves one queued deployment, the newest, after three quick pushes while development is busy", async () => {
    const push = (n: number) =>
      deliver(url, {
        event: "push",
        payload: withHeadCommit(
          pushExample(BURST.repository, "develop"),
          `${n}abcdef0${n}`.padEnd(40, "0"),
          `Change number ${n}`,
          "octocat",
        ),
        secret: SECRET,
      });
    const first = await push(1);
    expect(first.deployments[0]).toMatchObject({ outcome: "started", version: "develop-1abcdef" });
    const holder = first.deployments[0]?.deploymentId ?? "";

    const burst = [await push(2), await push(3), await push(4)];
    expect(burst.map((b) => b.deployments[0]?.outcome)).toEqual(["queued", "queued", "queued"]);
    const [older, old, newest] = burst.map((b) => b.deployments[0]?.deploymentId ?? "");

    const replaced = (m: { text?: string }) => (m.text ?? "").startsWith("⏭️ Queued deployment replaced");
    await eventually("two replaced pushes told", async () =>
      scene.slack.messages(BURST.channel).filter(replaced).length >= 2 ? true : new Error("not yet"),
    );
    const notices = scene.slack
      .messages(BURST.channel)
      .filter(replaced)
      .map((m) => scene.slack.textOf(m));
    expect(notices).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          `\`${older}\` burst develop-2abcdef → development, asked for by octocat: a newer push, develop-3abcdef, took its place`,
        ),
        expect.stringContaining(
          `\`${old}\` burst develop-3abcdef → development, asked for by octocat: a newer push, develop-4abcdef, took its place`,
        ),
      ]),
    );
    expect(notices).toHaveLength(2);

    await scene.chat.clickApprove(await scene.chat.approvalCardOf(holder), APPROVER);
    await scene.ended(holder, "succeeded");
    const next = await eventually(
      "the newest push to start",
      async () => (await scene.store.get(newest ?? "")) ?? new Error("not yet"),
    );
    expect(next).toMatchObject({
      version: "develop-4abcdef",
      source: "push",
      requestedBy: "push",
      requesterName: "octocat",
    });
    await scene.chat.clickApprove(await scene.chat.approvalCardOf(next.id), APPROVER);
    await scene.ended(next.id, "succeeded");
    expect(await scene.store.get(older ?? "")).toBeUndefined();
    expect(await scene.store.get(old ?? "")).toBeUndefined();
    const deployments = (await scene.store.recent(100)).filter((d) => d.service === BURST.service);
    expect(deployments.map((d) => d.version).sort()).toEqual(["develop-1abcdef", "develop-4abcdef"]);

    const audit = await new AuditLog(scene.redis, scene.prefix).recent(BURST.service, 20, "development");
    expect(audit.find((e) => e.deploymentId === newest && e.action === "queue")).toMatchObject({
      actor: "push",
      source: "push",
      via: "webhook",
      outcome: "ok",
    });
  }, 120_000);
});
