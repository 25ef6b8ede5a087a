import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS, VIEW_IDS } from "../../src/slack/action-ids.js";
import { tickValue } from "../../src/slack/renderers/gates.js";
import { permalink } from "../../src/slack/renderers/watch.js";
import type { Delivery } from "../../src/standin/app-delivery.js";
import { FakeSlack } from "../../src/standin/fake-slack.js";
import { buildSignedRequest, type HttpAnswer, sendRequest } from "../../src/standin/http-delivery.js";
import { isJsonObject } from "../../src/standin/json.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { deleteKeys } from "../../src/store/delete-keys.js";
import { DeploymentStore } from "../../src/store/deployment-store.js";
import { keys } from "../../src/store/keys.js";
import { ChatOps, deploymentIdIn } from "../support/chat-ops.js";
import { countingStage } from "../support/manifest-fixture.js";
import { REDIS_URL, uniquePrefix } from "../support/redis.js";
import { type ServiceWorkspace, serviceWorkspace } from "../support/service-workspace.js";
import { SlipwayProcess } from "../support/slipway-process.js";

/*
 * The gates between `/deploy` and the first stage, end to end: one `slipway
 * all` (HTTP mode) against the Slack stand-in, with test manifests. Every
 * scenario deploys its own service, posting to its own channel, so scenarios
 * never wait on each other's deployments or on each other's Slack pacing, and
 * each service's audit log holds only its own scenario.
 */

const BOT_TOKEN = "xoxb-gates-token";
const SIGNING_SECRET = "gates-signing-secret";

// People. Roles name them by user id; `deployers` also takes a user group.
const DEPLOYER = "U0DEPLOY01";
const LEAD = "U0LEAD0001"; // a deployer who is also an approver
const APPROVER_A = "U0APPROV01";
const APPROVER_B = "U0APPROV02";
const SECURITY = "U0SECURE01";
const RELEASE_MEMBER = "U0RELEASE1"; // a deployer only through the user group
const OUTSIDER = "U0OUTSIDE1";
const RELEASE_GROUP = "S0RELEASE1";

const DEPLOYERS_NEED = `the role deployers (Slack users <@${DEPLOYER}>, <@${LEAD}> or members of <!subteam^${RELEASE_GROUP}>)`;

/* Manifests ---------------------------------------------------------------- */

const ROLES = `roles:
  deployers:
    users: [${DEPLOYER}, ${LEAD}]
    groups: [${RELEASE_GROUP}]
  approvers:
    users: [${APPROVER_A}, ${APPROVER_B}, ${LEAD}]
  security:
    users: [${SECURITY}]
`;

const CHECKLIST = `checklist:
  - id: coverage
    title: Code coverage ≥ 80%
    section: code
    check: { kind: json, file: coverage/coverage-summary.json, path: total.lines.pct, op: ">=", value: 80 }
  - id: unit-tests
    title: Unit tests pass
    section: code
    check: { kind: command, run: [node, -e, "console.log('42 tests passed')"] }
  - id: release-notes
    title: Release notes written
    section: code
    required: false
    check: { kind: tasks, file: TASK-TRACKER.md, fail: open }
  - id: schema-check
    title: Database schema matches
    section: environment
    check: { kind: command, run: [node, -e, "console.error('schema drift in users table'); process.exit(3)"] }
  - id: comms-plan
    title: Communication plan ready
    section: environment
    check: { kind: manual, tickedBy: [security] }
`;

const WORK_FILES = {
  "coverage/coverage-summary.json": JSON.stringify({ total: { lines: { pct: 86.4 } } }),
  "TASK-TRACKER.md": "# Tasks\n\n- [x] Ship the checkout API\n- [ ] Write release notes\n",
};

/**
 * One service: its own channel, the shared roles and checklist, one trivial
 * stage per environment that appends its name to `<service>.stages` in the
 * working directory (see ServiceWorkspace.stagesRun).
 */
function serviceManifest(service: string, channel: string, environments: string): string {
  return `service: ${service}
channels:
  deploy: ${channel}
${ROLES}${CHECKLIST}target:
  type: command
  workdir: ../work
  env:
    COUNT_FILE: ${service}.stages
  actions:
    deploy: [node, -e, "0"]
environments:
${environments}`;
}

/** An environment block: `settings` (YAML at four spaces) and the single stage `deploy`. */
function environment(name: string, settings: string): string {
  return `  ${name}:
${settings}    stages:
${countingStage("deploy")}`;
}

const CONTROLLED = `    permissions:
      deploy: [deployers]
      lock: [deployers]
`;

/** Each scenario's service, its channel and its one environment. */
const SERVICES = {
  checks: {
    channel: "C0CHECKS01",
    env: "development",
    settings: "    checklist: [coverage, unit-tests, release-notes]\n",
  },
  broken: { channel: "C0BROKEN01", env: "development", settings: "    checklist: [coverage, schema-check]\n" },
  manual: { channel: "C0MANUAL01", env: "staging", settings: `    checklist: [coverage, comms-plan]\n${CONTROLLED}` },
  selfie: {
    channel: "C0SELFIE01",
    env: "production",
    settings: `    checklist: []\n    approval: { count: 2, approvers: [approvers], expiresAfter: 1h }\n${CONTROLLED}`,
  },
  quorum: {
    channel: "C0QUORUM01",
    env: "production",
    settings: `    checklist: []\n    approval: { count: 2, approvers: [approvers], expiresAfter: 1h }\n${CONTROLLED}`,
  },
  doubled: {
    channel: "C0DOUBLE01",
    env: "production",
    settings: `    checklist: []\n    approval: { count: 2, approvers: [approvers], expiresAfter: 1h }\n${CONTROLLED}`,
  },
  rejected: {
    channel: "C0REJECT01",
    env: "production",
    settings: `    checklist: []\n    approval: { approvers: [approvers] }\n${CONTROLLED}`,
  },
  expiring: {
    channel: "C0EXPIRE01",
    env: "production",
    settings: `    checklist: []\n    approval: { expiresAfter: 3s }\n${CONTROLLED}`,
  },
  busy: {
    channel: "C0BUSY0001",
    env: "production",
    settings: `    checklist: []\n    approval: { approvers: [approvers] }\n${CONTROLLED}`,
  },
  ledger: { channel: "C0LEDGER01", env: "staging", settings: `    checklist: []\n${CONTROLLED}` },
  guarded: { channel: "C0GUARD001", env: "production", settings: `    checklist: []\n${CONTROLLED}` },
  typed: {
    channel: "C0TYPED001",
    env: "production",
    settings: `    checklist: []\n    approval: { approvers: [approvers] }\n${CONTROLLED}`,
  },
  retried: {
    channel: "C0RETRY001",
    env: "production",
    settings: `    checklist: []\n    permissions: { deploy: [deployers], lock: [deployers], rollback: [deployers] }\n`,
  },
  audited: {
    channel: "C0AUDIT001",
    env: "production",
    settings: `    checklist: [comms-plan]\n    approval: { approvers: [approvers] }\n${CONTROLLED}`,
  },
} as const;

type Service = keyof typeof SERVICES;

/* The run ------------------------------------------------------------------ */

describe("gates end to end: checklist, approvals, locks, permissions, audit", () => {
  let workspace: ServiceWorkspace;
  let slack: FakeSlack;
  let slipway: SlipwayProcess;
  let redis: Redis;
  let prefix: string;
  let store: DeploymentStore;
  let chat: ChatOps;

  beforeAll(async () => {
    const manifests = Object.fromEntries(
      Object.entries(SERVICES).map(([service, s]) => [
        `${service}.yaml`,
        serviceManifest(service, s.channel, environment(s.env, s.settings)),
      ]),
    );
    workspace = await serviceWorkspace({ manifests, work: WORK_FILES });
    redis = new Redis(REDIS_URL);
    prefix = uniquePrefix("e2e-gates");
    store = new DeploymentStore(redis, prefix);
    slack = await FakeSlack.start({
      botToken: BOT_TOKEN,
      signingSecret: SIGNING_SECRET,
      mode: "http",
      usergroups: { [RELEASE_GROUP]: [RELEASE_MEMBER] },
      users: {
        [DEPLOYER]: "dana",
        [LEAD]: "lee",
        [APPROVER_A]: "ada",
        [APPROVER_B]: "bo",
        [SECURITY]: "sec",
        [RELEASE_MEMBER]: "rel",
        [OUTSIDER]: "otto",
      },
      channels: Object.entries(SERVICES).map(([service, s]) => ({ id: s.channel, name: `deploys-${service}` })),
    });
    slipway = await SlipwayProcess.start("all", {
      SLACK_BOT_TOKEN: BOT_TOKEN,
      SLACK_API_URL: slack.apiUrl,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      REDIS_URL,
      SLIPWAY_KEY_PREFIX: prefix,
      SLIPWAY_MANIFESTS: workspace.manifestsDir,
    });
    slack.setEventsUrl(slipway.eventsUrl);
    chat = new ChatOps(slack);
  });

  afterAll(async () => {
    const code = await slipway?.stop();
    await slack?.close();
    if (redis) {
      await deleteKeys(redis, prefix);
      await redis.quit();
    }
    await workspace?.remove();
    if (slipway) expect(code, slipway.describe()).toBe(0);
  });

  /* Helpers --------------------------------------------------------------- */

  /** `/deploy <env> <version> <service>` typed by `userId` in the service's channel; Slipway's answer. */
  function deploy(service: Service, userId: string, version = "v1.0.0"): Promise<string> {
    const { channel, env } = SERVICES[service];
    return chat.command(userId, channel, "/deploy", `${env} ${version} ${service}`);
  }

  /** A deployment that must be queued; resolves with its id. */
  async function deployed(service: Service, userId: string, version = "v1.0.0"): Promise<string> {
    const answer = await deploy(service, userId, version);
    expect(answer).toMatch(new RegExp(`^Queued \`d-[a-z0-9]+\`: ${service} ${version.replaceAll(".", "\\.")} → `));
    return deploymentIdIn(answer);
  }

  /** Any other slash command in the service's channel. */
  function command(service: Service, userId: string, name: "/deploy" | "/approve", text: string): Promise<string> {
    return chat.command(userId, SERVICES[service].channel, name, text);
  }

  /** The approval card of a deployment, once it reads as `matching`. */
  function approvalCardOf(id: string, matching?: RegExp): Promise<StoredMessage> {
    return chat.approvalCardOf(id, matching);
  }

  /** `userId` clicks Approve on the deployment's card; what Slipway told them. */
  async function clickApprove(id: string, userId: string): Promise<string> {
    return chat.clickApprove(await approvalCardOf(id), userId);
  }

  async function stateOf(id: string) {
    const d = await store.get(id);
    if (!d) throw new Error(`no deployment ${id} under ${prefix}`);
    return d;
  }

  async function deploymentCount(): Promise<number> {
    return redis.zcard(keys(prefix).deploymentIndex);
  }

  function text(message: StoredMessage): string {
    return slack.textOf(message);
  }

  function approvalsBy(card: StoredMessage, userId: string): number {
    return text(card)
      .split("\n")
      .filter((line) => line.startsWith(`✅ approved by <@${userId}>`)).length;
  }

  /* Checklist ------------------------------------------------------------- */

  it("posts the checklist in the thread with the evidence of each automatic check", async () => {
    const id = await deployed("checks", DEPLOYER);
    const checklist = await chat.checklistOf(id, /all required items passed/);
    const shown = text(checklist);
    expect(shown).toContain("all required items passed (2/3)");
    expect(shown).toContain("*Code readiness*");
    expect(shown).toContain("✅ Code coverage ≥ 80% — 86.4 ≥ 80");
    expect(shown).toContain("✅ Unit tests pass — exit 0: 42 tests passed");
    expect(shown).toContain("❌ Release notes written _(advisory)_ — open: - [ ] Write release notes");
    expect(shown).not.toContain("Ship the checkout API");

    const { root } = await chat.finished(id, "Succeeded");
    expect(text(root)).toContain("✅ deploy");
    expect(await workspace.stagesRun("checks")).toEqual(["deploy"]);
    const replies = (await chat.repliesOf(id)).map(text);
    expect(replies[0]).toContain("Pre-deployment checklist");
    expect(replies.at(-1)).toContain("Deployment succeeded");
  });

  it("ends a deployment failed before any stage when a required automatic item fails", async () => {
    const id = await deployed("broken", DEPLOYER);
    const { root, summary } = await chat.finished(id, "Failed");
    const checklist = await chat.checklistOf(id);
    expect(text(checklist)).toContain("blocked by 1 failed item(s)");
    expect(text(checklist)).toContain("❌ Database schema matches — exit 3: schema drift in users table");
    expect(text(checklist)).toContain("✅ Code coverage ≥ 80% — 86.4 ≥ 80");
    expect(text(root)).toContain("*Why:* checklist failed: Database schema matches");
    expect(text(root)).toContain("⏳ deploy");
    expect(text(summary)).toContain("stages: 0/1 succeeded");
    expect(await workspace.stagesRun("broken")).toEqual([]);
    const d = await stateOf(id);
    expect(d.state).toBe("failed");
    expect(d.stages.map((s) => s.status)).toEqual(["pending"]);
  });

  it("holds the deployment on a required manual item until someone allowed ticks it", async () => {
    const id = await deployed("manual", DEPLOYER);
    const waiting = await chat.checklistOf(id, /waiting for _Communication plan ready_/);
    expect(text(waiting)).toContain("⏳ Communication plan ready — waiting for someone in security to tick it");
    expect(text(waiting)).toContain("☐ Communication plan ready");
    await chat.rootOf(id, /\*Running checklist\*/);
    const before = await stateOf(id);
    expect(before.state).toBe("checking");
    expect(await workspace.stagesRun("manual")).toEqual([]);

    // A deployer who is not in `security` may not tick it: refused with the role needed, nothing changes.
    const value = tickValue(id, "comms-plan");
    const refused = await chat.responseText(await chat.tick(waiting, DEPLOYER, [value]));
    expect(refused).toBe(
      `Not ticked: ticking 'Communication plan ready' needs the role security (Slack user <@${SECURITY}>); ask one of them to tick it.`,
    );
    const unchanged = await stateOf(id);
    expect(unchanged.rev).toBe(before.rev);
    expect(unchanged.state).toBe("checking");
    expect(unchanged.checklist?.find((i) => i.id === "comms-plan")?.status).toBe("waiting");

    // Someone in `security` ticks it: the checklist passes and the deployment runs.
    const ticked = await chat.tick(waiting, SECURITY, [value]);
    expect(ticked.status).toBe(200);
    const done = await chat.checklistOf(id, /all required items passed \(2\/2\)/);
    expect(text(done)).toContain(`✅ Communication plan ready — ticked by <@${SECURITY}>`);
    expect(text(done)).not.toContain("☐");
    await chat.finished(id, "Succeeded");
    expect(await workspace.stagesRun("manual")).toEqual(["deploy"]);
  });

  /* Approval -------------------------------------------------------------- */

  it("refuses self-approval (and a non-approver) with an ephemeral answer", async () => {
    const id = await deployed("selfie", LEAD);
    const card = await approvalCardOf(id, /Approval needed/);
    expect(text(card)).toContain("the requester cannot approve");
    const answer = await chat.clickApprove(card, LEAD);
    expect(answer).toBe(
      "Not counted: you requested this deployment, so you cannot approve it yourself; ask another approver (self-approval is off for this environment).",
    );
    const ephemeral = slack.ephemerals(SERVICES.selfie.channel).find((e) => e.user === LEAD && e.text === answer);
    expect(ephemeral?.threadTs).toBe(card.threadTs);
    // Someone who is not an approver is refused too, with the role needed.
    expect(await chat.clickApprove(card, OUTSIDER)).toBe(
      `Not counted: approving deployments to production needs the role approvers (Slack users <@${APPROVER_A}>, <@${APPROVER_B}>, <@${LEAD}>); ask one of them, or ask to be added to the role in the service manifest.`,
    );
    const d = await stateOf(id);
    expect(d.state).toBe("awaiting_approval");
    expect(d.approval?.votes).toEqual([]);
    expect(text(await approvalCardOf(id))).toContain("(0 so far)");
  });

  it("needs two different approvers when the quorum is two", async () => {
    const id = await deployed("quorum", DEPLOYER);
    const open = await approvalCardOf(id, /Needs 2 approvals \(0 so far\)/);
    // Who may approve, as mentions: the role's description is Slipway's own mrkdwn, not user text to escape.
    expect(text(open)).toContain(
      `Needs 2 approvals (0 so far) from the role approvers (Slack users <@${APPROVER_A}>, <@${APPROVER_B}>, <@${LEAD}>); the requester cannot approve`,
    );

    expect(await clickApprove(id, APPROVER_A)).toBe(`Approval counted (1 of 2) for \`${id}\`.`);
    const half = await approvalCardOf(id, /\(1 so far\)/);
    expect(text(half)).toContain("✋ *Approval needed*");
    expect(approvalsBy(half, APPROVER_A)).toBe(1);
    expect(half.blocks.some((b) => b.type === "actions")).toBe(true);
    expect((await stateOf(id)).state).toBe("awaiting_approval");
    expect(await workspace.stagesRun("quorum")).toEqual([]);

    expect(await clickApprove(id, APPROVER_B)).toBe(`Approved; \`${id}\` is starting.`);
    const closed = await approvalCardOf(id, /✅ \*Approved\*/);
    expect(text(closed)).toContain("(2 so far)");
    expect(approvalsBy(closed, APPROVER_A)).toBe(1);
    expect(approvalsBy(closed, APPROVER_B)).toBe(1);
    expect(closed.blocks.some((b) => b.type === "actions")).toBe(false);
    await chat.finished(id, "Succeeded");
    expect(await workspace.stagesRun("quorum")).toEqual(["deploy"]);
  });

  it("counts one approver's double click, concurrent clicks and Slack's retry once", async () => {
    const id = await deployed("doubled", DEPLOYER);
    const card = await approvalCardOf(id, /\(0 so far\)/);

    // Two clicks at once, and Slack retrying the first (as after a slow ack), all racing; then one more click.
    const first = chat.approvePayload(card, APPROVER_A);
    const second = chat.approvePayload(card, APPROVER_A);
    const [a, b, retry] = await Promise.all([
      slack.interact(first),
      slack.interact(second),
      slack.interact(first, { retryNum: 1, retryReason: "http_timeout" }),
    ]);
    expect(retry.mode === "http" && retry.request.headers["X-Slack-Retry-Num"]).toBe("1");
    expect(retry.responseUrl).toBe(a.responseUrl);
    // The retry carries the first click's trigger id: acknowledged, and dropped without a second answer.
    expect(retry.status).toBe(200);
    const answers = [
      await chat.responseText(a, 1),
      await chat.responseText(b, 1),
      await chat.clickApprove(card, APPROVER_A),
    ];
    expect(slack.responsesFor(a.responseUrl ?? "")).toHaveLength(1);
    expect(answers.filter((t) => t === `Approval counted (1 of 2) for \`${id}\`.`)).toHaveLength(1);
    expect(
      answers.filter((t) => /^Not counted: you already approved at <!date\^\d+\^\{time\}\|\d\d:\d\d UTC>/.test(t)),
    ).toHaveLength(2);

    const once = await approvalCardOf(id, /\(1 so far\)/);
    expect(approvalsBy(once, APPROVER_A)).toBe(1);
    const d = await stateOf(id);
    expect(d.state).toBe("awaiting_approval");
    expect(d.approval?.votes.map((v) => v.userId)).toEqual([APPROVER_A]);

    // The second approver completes the quorum; the deployment starts exactly once.
    const [x, y] = await Promise.all([
      slack.interact(chat.approvePayload(once, APPROVER_B)),
      slack.interact(chat.approvePayload(once, APPROVER_B)),
    ]);
    const closing = [await chat.responseText(x), await chat.responseText(y)].sort();
    expect(closing).toHaveLength(2);
    expect(closing.filter((t) => t === `Approved; \`${id}\` is starting.`)).toHaveLength(1);
    await chat.finished(id, "Succeeded");
    const closed = await approvalCardOf(id, /✅ \*Approved\*/);
    expect(approvalsBy(closed, APPROVER_A)).toBe(1);
    expect(approvalsBy(closed, APPROVER_B)).toBe(1);
    expect(await workspace.stagesRun("doubled")).toEqual(["deploy"]);
    const replies = (await chat.repliesOf(id)).map(text);
    expect(replies.filter((t) => t.includes("Deployment succeeded"))).toHaveLength(1);
    expect(replies.filter((t) => /\*deploy\* succeeded in/.test(t))).toHaveLength(1);
  });

  it("asks for a reason in a dialog to reject, refuses an empty one, and shows who rejected and why", async () => {
    const id = await deployed("rejected", DEPLOYER);
    const card = await approvalCardOf(id, /Approval needed/);
    const clicked = await slack.click({
      actionId: ACTION_IDS.reject,
      userId: APPROVER_A,
      channelId: card.channel,
      messageTs: card.ts,
    });
    expect(clicked.status).toBe(200);
    const opened = await slack.waitFor((call) => call.method === "views.open");
    expect(opened.response.ok).toBe(true);
    const dialog = slack.views().find((v) => v.method === "views.open" && v.view.callback_id === VIEW_IDS.rejectReason);
    expect(JSON.stringify(dialog?.view)).toContain(id);

    const reasonOf = (value: string) => ({ reason: { reason: { type: "plain_text_input", value } } });
    const empty = await slack.interact(
      slack.viewSubmission({ userId: APPROVER_A, callbackId: VIEW_IDS.rejectReason, values: reasonOf("   ") }),
    );
    expect(empty.json).toEqual({
      response_action: "errors",
      errors: { reason: "Say why, so the requester knows what to fix." },
    });
    expect((await stateOf(id)).state).toBe("awaiting_approval");

    const submitted = await slack.interact(
      slack.viewSubmission({
        userId: APPROVER_A,
        callbackId: VIEW_IDS.rejectReason,
        values: reasonOf("Canary error rate is 4%"),
      }),
    );
    expect(submitted.status).toBe(200);
    expect(submitted.body).toBe("");
    const told = await slack.waitFor(
      (call) =>
        call.method === "chat.postEphemeral" && call.args.user === APPROVER_A && call.args.channel === card.channel,
    );
    expect(told.args.text).toBe(`Rejected \`${id}\`; the requester has been told why.`);

    const { root, summary } = await chat.finished(id, "Rejected");
    const rejectedCard = await approvalCardOf(id, /🚫 \*Rejected\*/);
    expect(text(rejectedCard)).toMatch(
      new RegExp(`🚫 rejected by <@${APPROVER_A}> at <!date\\^\\d+\\^\\{time\\}\\|[^>]+>: Canary error rate is 4%`),
    );
    expect(rejectedCard.blocks.some((b) => b.type === "actions")).toBe(false);
    // Who rejected, as a mention, and why.
    expect(text(summary)).toContain(`Why: rejected by <@${APPROVER_A}>: Canary error rate is 4%`);
    expect(text(root)).toContain(`*Why:* rejected by <@${APPROVER_A}>: Canary error rate is 4%`);
    expect(await workspace.stagesRun("rejected")).toEqual([]);
    expect((await stateOf(id)).state).toBe("rejected");
  });

  it("expires a deployment nobody approved in time", async () => {
    const id = await deployed("expiring", DEPLOYER);
    await approvalCardOf(id, /Approval needed/);
    const { summary } = await chat.finished(id, "Expired", 15_000);
    expect(text(summary)).toContain("not enough approvals before the approval expired");
    const card = await approvalCardOf(id, /⌛ \*Approval expired\*/);
    expect(text(card)).toContain("nobody decided in time");
    expect(card.blocks.some((b) => b.type === "actions")).toBe(false);
    expect((await stateOf(id)).state).toBe("expired");
    expect(await workspace.stagesRun("expiring")).toEqual([]);

    // A late click changes nothing.
    const late = await chat.answerTo(
      slack.blockAction({
        actionId: ACTION_IDS.approve,
        value: id,
        userId: APPROVER_A,
        channelId: card.channel,
        messageTs: card.ts,
      }),
    );
    expect(late).toBe(`\`${id}\` has already ended (expired); there is nothing left to approve.`);
  });

  /* Concurrency, locks, permissions --------------------------------------- */

  it("refuses a second /deploy to the same service and environment, naming who holds it and its id", async () => {
    // Two people at once: exactly one is queued, the other is told which deployment holds it.
    const before = await deploymentCount();
    const raced = await Promise.all([deploy("busy", DEPLOYER), deploy("busy", LEAD, "v0.9.9")]);
    const queuedAnswers = raced.filter((answer) => answer.startsWith("Queued `"));
    expect(queuedAnswers, raced.join("\n")).toHaveLength(1);
    const id = deploymentIdIn(queuedAnswers[0] ?? "");
    const winner =
      raced[0] === queuedAnswers[0] ? { user: DEPLOYER, version: "v1.0.0" } : { user: LEAD, version: "v0.9.9" };
    const loser = raced.find((answer) => answer !== queuedAnswers[0]);
    expect(loser).toMatch(
      new RegExp(
        `^busy is already being deployed to production \\(\`${id}\`, ${winner.version.replaceAll(".", "\\.")} by <@${winner.user}>, (requested|checking|awaiting approval)\\)\\.`,
      ),
    );
    expect(await deploymentCount()).toBe(before + 1);

    // Later, while it waits for approval: the answer links the holder's thread.
    await approvalCardOf(id, /Approval needed/);
    const root = await chat.rootOf(id);
    const count = await deploymentCount();
    const answer = await deploy("busy", RELEASE_MEMBER, "v1.0.1");
    expect(answer).toBe(
      `busy is already being deployed to production (\`${id}\`, ${winner.version} by <@${winner.user}>, awaiting approval). Follow it in its thread or with \`/deploy status\`; Queue it (or deploy with \`--queue\`) to start yours by itself when it has finished. Its thread: <${permalink(root.channel, root.ts)}|${id}>\n[Queue it]`,
    );
    expect(await deploymentCount()).toBe(count);
    expect(slack.messages(SERVICES.busy.channel).filter((m) => m.threadTs === undefined)).toHaveLength(1);
  });

  it("locks an environment, refuses deployments while locked, unlocks, and refuses an unauthorised lock", async () => {
    const lock = await command("ledger", RELEASE_MEMBER, "/deploy", "lock staging ledger database migration --for 1h");
    expect(lock).toMatch(
      /^🔒 Locked ledger staging until <!date\^\d+\^\{time\}\|[^>]+>: database migration\. No new deployment starts there meanwhile; `\/deploy unlock staging ledger` lifts it\.$/,
    );
    const count = await deploymentCount();
    const refused = await deploy("ledger", DEPLOYER);
    expect(refused).toMatch(
      new RegExp(
        `^ledger staging is locked by <@${RELEASE_MEMBER}> \\(database migration\\) until <!date\\^\\d+\\^\\{time\\}\\|[^>]+>\\. Ask them, or \`/deploy unlock staging ledger\` if you may\\.$`,
      ),
    );
    expect(await deploymentCount()).toBe(count);

    expect(await command("ledger", RELEASE_MEMBER, "/deploy", "unlock staging ledger")).toBe(
      "🔓 Unlocked ledger staging.",
    );
    const id = await deployed("ledger", RELEASE_MEMBER);
    await chat.finished(id, "Succeeded");
    expect(await workspace.stagesRun("ledger")).toEqual(["deploy"]);

    const unauthorised = await command("ledger", OUTSIDER, "/deploy", "lock staging ledger my turn --for 1h");
    expect(unauthorised).toBe(
      `Not locked: locking staging needs ${DEPLOYERS_NEED}; ask one of them, or ask to be added to the role in the service manifest.`,
    );
    expect(await redis.exists(keys(prefix).lock("ledger", "staging"))).toBe(0);
  });

  it("refuses /deploy from someone without the role, naming the role, and queues nothing", async () => {
    const count = await deploymentCount();
    const answer = await deploy("guarded", OUTSIDER);
    expect(answer).toBe(
      `Not deployed: deploying to production needs ${DEPLOYERS_NEED}; ask one of them, or ask to be added to the role in the service manifest.`,
    );
    expect(await deploymentCount()).toBe(count);
    expect(await redis.exists(keys(prefix).active("guarded", "production"))).toBe(0);
    expect(slack.messages(SERVICES.guarded.channel).filter((m) => m.threadTs === undefined)).toEqual([]);
    // Membership of the user group was asked of Slack (or is cached from an earlier look-up).
    const lookedUp = slack.calls("usergroups.users.list").some((c) => c.args.usergroup === RELEASE_GROUP);
    const cached = (await redis.exists(keys(prefix).userGroups(RELEASE_GROUP))) === 1;
    expect(lookedUp || cached).toBe(true);
  });

  it("approves with /approve <id> like the button", async () => {
    const id = await deployed("typed", DEPLOYER);
    await approvalCardOf(id, /Approval needed/);
    expect(await command("typed", APPROVER_B, "/approve", id)).toBe(`Approved; \`${id}\` is starting.`);
    const closed = await approvalCardOf(id, /✅ \*Approved\*/);
    expect(approvalsBy(closed, APPROVER_B)).toBe(1);
    await chat.finished(id, "Succeeded");
    expect(await workspace.stagesRun("typed")).toEqual(["deploy"]);
    expect(await command("typed", APPROVER_A, "/approve", id)).toBe(
      `\`${id}\` has already ended (succeeded); there is nothing left to approve.`,
    );
  });

  /** Slack's retry of a request it thinks timed out: the same body, signed again, with `X-Slack-Retry-Num: 1`. */
  function retryOf(first: Delivery): Promise<HttpAnswer> {
    if (first.mode !== "http") throw new Error("expected an HTTP delivery");
    const { url, body, headers } = first.request;
    const retry = { retryNum: 1, retryReason: "http_timeout" };
    const now = Math.floor(Date.now() / 1000);
    const signed = buildSignedRequest(url, body, headers["Content-Type"] ?? "", SIGNING_SECRET, now, retry);
    return sendRequest(signed, 5_000, Date.now);
  }

  it("audits a refused /deploy or /rollback once when Slack retries it, and answers the retry", async () => {
    const svc = "retried";
    const { channel } = SERVICES[svc];
    const shown = (answer: { json: unknown; body: string }) =>
      isJsonObject(answer.json) ? slack.textOf(answer.json) : answer.body;
    /** The command typed, then Slack's retry of it: what each was answered. */
    const typed = async (userId: string, name: "/deploy" | "/rollback", text: string) => {
      const first = await slack.command({ command: name, text, userId, channelId: channel });
      const retry = await retryOf(first);
      expect(retry.status).toBe(200);
      return { first: shown(first), retry: shown(retry) };
    };
    const repeated = "Slipway has already received this request (a retry or a replay of it); its first answer stands.";

    const forbidden = await typed(OUTSIDER, "/deploy", `production v1.0.0 ${svc}`);
    expect(forbidden.first).toMatch(/^Not deployed: deploying to production needs the role deployers/);
    expect(forbidden.retry).toBe(repeated);

    expect(await command(svc, DEPLOYER, "/deploy", `lock production ${svc} schema change`)).toMatch(/^🔒 Locked/);
    const locked = await typed(DEPLOYER, "/deploy", `production v1.0.0 ${svc}`);
    expect(locked.first).toMatch(/is locked by/);
    expect(locked.retry).toBe(repeated);

    // /rollback (like /approve) claims its trigger id first: the retry is acknowledged and dropped.
    const rollback = await typed(OUTSIDER, "/rollback", `production ${svc}`);
    expect(rollback.first).toMatch(/^Not rolled back: rolling back production needs the role deployers/);
    expect(rollback.retry).toBe("");

    const log = await command(svc, DEPLOYER, "/deploy", `audit ${svc}`);
    const entries = log
      .split("\n")
      .filter((line) => /^(•|⛔) /.test(line))
      .reverse()
      .map(parseAuditLine);
    expect(entries.map(({ actor, action, outcome }) => ({ actor, action, outcome }))).toEqual([
      { actor: OUTSIDER, action: "deploy", outcome: "refused" },
      { actor: DEPLOYER, action: "lock", outcome: "ok" },
      { actor: DEPLOYER, action: "deploy", outcome: "refused" },
      { actor: OUTSIDER, action: "rollback", outcome: "refused" },
    ]);
    expect(await redis.exists(keys(prefix).active(svc, "production"))).toBe(0);
  });

  /* Audit ----------------------------------------------------------------- */

  it("records every event in the audit log, in order, with who and the outcome", async () => {
    const svc = "audited";
    expect(await command(svc, RELEASE_MEMBER, "/deploy", "lock production audited change freeze")).toMatch(
      /^🔒 Locked/,
    );
    expect(await deploy(svc, DEPLOYER, "v3.1.0")).toMatch(/is locked by/);
    expect(await command(svc, OUTSIDER, "/deploy", "lock production audited my turn")).toMatch(/^Not locked/);
    expect(await command(svc, RELEASE_MEMBER, "/deploy", "unlock production audited")).toMatch(/^🔓 Unlocked/);
    expect(await deploy(svc, OUTSIDER, "v3.1.0")).toMatch(/^Not deployed/);
    const id = await deployed(svc, LEAD, "v3.1.0");

    const checklist = await chat.checklistOf(id, /waiting for/);
    const value = tickValue(id, "comms-plan");
    expect(await chat.responseText(await chat.tick(checklist, OUTSIDER, [value]))).toMatch(/^Not ticked/);
    await chat.tick(checklist, SECURITY, [value]);
    await approvalCardOf(id, /Approval needed/);
    expect(await clickApprove(id, LEAD)).toMatch(/^Not counted: you requested this deployment/);
    const card = await approvalCardOf(id);
    const outsiderReject = await slack.click({
      actionId: ACTION_IDS.reject,
      userId: OUTSIDER,
      channelId: card.channel,
      messageTs: card.ts,
    });
    expect(await chat.responseText(outsiderReject)).toMatch(/^Not counted: /);
    expect(await clickApprove(id, APPROVER_A)).toBe(`Approved; \`${id}\` is starting.`);
    await chat.finished(id, "Succeeded");

    const log = await command(svc, DEPLOYER, "/deploy", "audit audited");
    const lines = log.split("\n").filter((line) => /^(•|⛔) /.test(line));
    const entries = lines.reverse().map(parseAuditLine);
    // Every one of these came from Slack, and the log says so.
    expect(entries.map((entry) => entry.source)).toEqual(entries.map(() => "slack"));
    expect(entries.map(({ actor, action, outcome, via }) => ({ actor, action, outcome, via }))).toEqual([
      { actor: RELEASE_MEMBER, action: "lock", outcome: "ok", via: "slash_command" },
      { actor: DEPLOYER, action: "deploy", outcome: "refused", via: "slash_command" },
      { actor: OUTSIDER, action: "lock", outcome: "refused", via: "slash_command" },
      { actor: RELEASE_MEMBER, action: "unlock", outcome: "ok", via: "slash_command" },
      { actor: OUTSIDER, action: "deploy", outcome: "refused", via: "slash_command" },
      { actor: LEAD, action: "deploy", outcome: "ok", via: "slash_command" },
      { actor: OUTSIDER, action: "tick", outcome: "refused", via: "checkbox" },
      { actor: SECURITY, action: "tick", outcome: "ok", via: "checkbox" },
      { actor: LEAD, action: "approve", outcome: "refused", via: "button" },
      // A refused Reject is audited as what was tried, although it needs the approve permission.
      { actor: OUTSIDER, action: "reject", outcome: "refused", via: "button" },
      { actor: APPROVER_A, action: "approve", outcome: "ok", via: "button" },
    ]);
    const [
      lockOk,
      lockedOut,
      lockRefused,
      unlock,
      roleRefused,
      deployOk,
      tickRefused,
      tickOk,
      selfApproval,
      ,
      approval,
    ] = entries;
    expect(lockOk?.detail).toBe("change freeze");
    expect(lockedOut?.detail).toMatch(/^v3\.1\.0: audited production is locked by/);
    expect(lockRefused?.detail).toMatch(/^locking production needs the role deployers/);
    expect(unlock?.detail).toBe(`lock by <@${RELEASE_MEMBER}>: change freeze`);
    // The refusal names the role's members as mentions.
    expect(roleRefused?.detail).toBe(
      `deploying to production needs ${DEPLOYERS_NEED}; ask one of them, or ask to be added to the role in the service manifest`,
    );
    expect(deployOk?.detail).toBe("v3.1.0");
    expect(tickRefused?.detail).toMatch(
      /^comms-plan: Not ticked: ticking 'Communication plan ready' needs the role security/,
    );
    expect(tickOk?.detail).toBe("comms-plan");
    expect(selfApproval?.detail).toMatch(/you cannot approve it yourself/);
    for (const entry of [deployOk, tickRefused, tickOk, selfApproval, approval]) expect(entry?.where).toContain(id);
    for (const entry of [lockOk, lockedOut, lockRefused, unlock, roleRefused]) expect(entry?.where).toBe("production");
  });
});

interface AuditLine {
  actor: string;
  action: string;
  outcome: "ok" | "refused";
  where: string;
  via: string;
  /** Where the action came from: slack, push or schedule; none for what Slipway did on its own. */
  source: string | undefined;
  detail: string | undefined;
}

/** One line of `/deploy audit`: `• <time> <@U…> *deploy* (refused) production `d-…` via slash_command — detail`. */
function parseAuditLine(line: string): AuditLine {
  const match =
    /^(•|⛔) <!date\^\d+\^\{time\}\|[^>]+> (?:<@(\w+)>|(Slipway)) \*([\w-]+)\* (\(refused\) )?(.*?) via (\w+)(?: \((slack|push|schedule)\))?(?: — (.*))?$/.exec(
      line,
    );
  if (!match) throw new Error(`not an audit line: ${line}`);
  const [, mark, user, engine, action = "", refused, where = "", via = "", source, detail] = match;
  expect(mark === "⛔").toBe(refused !== undefined);
  return {
    actor: user ?? engine ?? "",
    action,
    outcome: refused === undefined ? "ok" : "refused",
    where,
    via,
    source,
    detail,
  };
}
