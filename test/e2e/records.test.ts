import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACTION_IDS, VIEW_IDS } from "../../src/slack/action-ids.js";
import { REVIEW_INPUT } from "../../src/slack/renderers/review.js";
import type { StoredMessage } from "../../src/standin/message-store.js";
import { deploymentIdIn } from "../support/chat-ops.js";
import { ROOT } from "../support/slipway-process.js";
import { SlipwayScene } from "../support/slipway-scene.js";

/*
 * Deployment records end to end: one `slipway all` with a production
 * environment whose first stage runs the example service's real unit tests
 * and writes a JUnit report. A sequence of success, failure, /rollback and
 * hotfix ends in records, /deploy history, /deploy stats, the /metrics
 * gauges and a post-deployment review written in the modal.
 */

const SERVICE = "ledger";
const CHANNEL = "C0LEDGER01";
const INCIDENTS = "C0LEDGERIN";
const DEPLOYER = "U0DEPLOY01";
const REVIEWER = "U0REVIEW01";

const MANIFEST = `service: ${SERVICE}
channels:
  deploy: ${CHANNEL}
  incidents: ${INCIDENTS}
checklist:
  - { id: users-can-access, title: Users can access system, section: validation, check: { kind: command, run: [node, -e, "console.log('200 OK')"] } }
target:
  type: command
  workdir: "${ROOT}"
  actions:
    deploy: [node, -e, "process.exit(process.env.SLIPWAY_VERSION.includes('bad') ? 1 : 0)"]
environments:
  production:
    approval: { required: false }
    review: { remindAfter: 2s }
    stages:
      - name: unit-tests
        run: [node, examples/stages/run-tests.mjs, unit]
        report: { file: "examples/.reports/{deployment}-unit.xml" }
      - { name: deploy, action: deploy }
`;

let scene: SlipwayScene;
const ids: Record<string, string> = {};

beforeAll(async () => {
  scene = await SlipwayScene.start({ label: "records", manifests: { [`${SERVICE}.yaml`]: MANIFEST } });
});

afterAll(async () => {
  expect(await scene.close(), scene.slipway.describe()).toBe(0);
});

const text = (m: StoredMessage) => scene.slack.textOf(m);

/** The thread's closing reply (the record), once it reads as `matching`. */
function recordReply(id: string, matching: RegExp = /./): Promise<StoredMessage> {
  return scene.chat.replyOf(id, [/\*Deployment record\*/, matching], 30_000);
}

function command(name: string, args: string, user = DEPLOYER): Promise<string> {
  return scene.chat.command(user, CHANNEL, name, args);
}

describe("deployment records, history, stats and the review", () => {
  it("a deployment ends and its record is in the thread with the real test counts", async () => {
    ids.first = await scene.deploy(DEPLOYER, CHANNEL, `production v1.0.0 ${SERVICE}`);
    await scene.ended(ids.first, "succeeded");
    const record = text(await recordReply(ids.first));
    expect(record).toContain("Environment: Production");
    expect(record).toContain(`Deployer: <@${DEPLOYER}>`);
    // The example's unit suite has six tests; the count comes from the JUnit file its run wrote.
    expect(record).toContain("• Unit Tests: PASS (6 tests)");
    expect(record).toContain("• Rollback Required: No");
    expect(record).toContain("• None listed");

    const markdown = await command("/deploy", `record ${ids.first}`);
    expect(markdown).toContain("## Deployment: v1.0.0\nDate: ");
    expect(markdown).toContain(
      "### Test Results\n- Unit Tests: PASS (6 tests)\n\n### Deployment Metrics\n- Downtime: 0 seconds",
    );
  });

  it("a failure asks for the review; the modal's answers are stored and shown under Lessons Learned", async () => {
    ids.failed = await scene.deploy(DEPLOYER, CHANNEL, `production v1.1.0-bad ${SERVICE}`);
    await scene.ended(ids.failed, "failed");
    const request = await scene.chat.replyOf(ids.failed, [/Post-deployment review/, /What went well\?/]);
    for (const question of ["What took longer than expected?", "Were there any surprises?", "How can we improve?"]) {
      expect(text(request)).toContain(question);
    }

    const clicked = await scene.slack.click({
      actionId: ACTION_IDS.writeReview,
      userId: REVIEWER,
      channelId: request.channel,
      messageTs: request.ts,
    });
    expect(clicked.status).toBe(200);
    await scene.slack.waitFor(
      (call) => call.method === "views.open" && JSON.stringify(call.args).includes(ids.failed ?? ""),
    );
    const answer = (value: string) => ({ [REVIEW_INPUT]: { type: "plain_text_input", value } });
    const submitted = await scene.slack.interact(
      scene.slack.viewSubmission({
        userId: REVIEWER,
        callbackId: VIEW_IDS.reviewForm,
        values: {
          wentWell: answer("The failed deploy never reached traffic"),
          improve: answer("Run the deploy script in staging first"),
        },
      }),
    );
    expect(submitted.status).toBe(200);
    const told = await scene.slack.waitFor(
      (call) => call.method === "chat.postEphemeral" && call.args.user === REVIEWER,
    );
    expect(told.args.text).toBe(
      `Saved the post-deployment review of \`${ids.failed}\`; it is in its deployment record under Lessons Learned.`,
    );

    // The thread's record is edited to carry the answers, and /deploy record gives them as markdown.
    await recordReply(ids.failed, /What went well: The failed deploy never reached traffic/);
    const markdown = await command("/deploy", `record ${ids.failed}`);
    expect(markdown).toContain(
      "### Lessons Learned\n- What went well: The failed deploy never reached traffic\n- How we can improve: Run the deploy script in staging first",
    );
    expect(markdown).toContain("- Issues Found: stage deploy exited with code 1");
    await scene.chat.replyOf(ids.failed, [/Post-deployment review/, new RegExp(`Written by <@${REVIEWER}>`)]);
  });

  it("after success, failure, /rollback and a hotfix, stats, history and /metrics show the figures", async () => {
    ids.taken = await scene.deploy(DEPLOYER, CHANNEL, `production v1.1.1 ${SERVICE}`);
    await scene.ended(ids.taken, "succeeded");
    const rollback = await command("/rollback", `production ${SERVICE}`);
    ids.rollback = deploymentIdIn(rollback);
    await scene.ended(ids.rollback, "succeeded");
    // A /rollback in production is an incident: an alert in the incident channel, the incident record with
    // its timeline in the alert's thread, and the rollback's deployment record links it.
    const rollbackId = ids.rollback;
    const alert = await scene.slack.waitForMessage(
      (m) => m.channel === INCIDENTS && m.threadTs === undefined && text(m).includes(rollbackId),
    );
    expect(text(alert)).toContain(`*Why:* <@${DEPLOYER}> rolled production back from v1.1.1 to v1.0.0 (done)`);
    const incidentRecord = await scene.slack.waitForMessage(
      (m) => m.channel === INCIDENTS && m.threadTs === alert.ts && /Post-rollback validation passed/.test(text(m)),
    );
    expect(text(incidentRecord)).toMatch(
      new RegExp(
        [
          `📝 \\*Incident record\\* — ${SERVICE} v1\\.0\\.0 → production`,
          `\\*What happened:\\* v1\\.1\\.1 rolled back to v1\\.0\\.0 by <@${DEPLOYER}>`,
          "\\*Timeline\\*",
          `• <!date[^>]+> Rollback started by <@${DEPLOYER}>: back from v1\\.1\\.1 to v1\\.0\\.0`,
          "• <!date[^>]+> Traffic back on the stable version v1\\.0\\.0",
          "• <!date[^>]+> Post-rollback validation passed \\(1/1\\)",
          "• — Acknowledgement: none asked \\(a person rolled it back\\)",
        ].join("\n"),
      ),
    );
    await recordReply(
      rollbackId,
      /Incident: rolled back \(v1\.1\.1 rolled back to v1\.0\.0 by <@U0DEPLOY01>\) — <[^|>]+\|incident record>/,
    );
    // Nobody reviews the rollback: the one reminder comes after the manifest's 2s.
    await scene.chat.replyOf(ids.rollback, [/Reminder:.*post-deployment review/]);

    ids.hotfixed = await scene.deploy(DEPLOYER, CHANNEL, `production v1.2.0 ${SERVICE}`);
    await scene.ended(ids.hotfixed, "succeeded");
    ids.hotfix = await scene.deploy(DEPLOYER, CHANNEL, `production v1.2.1 ${SERVICE} --hotfix`);
    await scene.ended(ids.hotfix, "succeeded");

    // Changes: v1.0.0, v1.1.0-bad (failed), v1.1.1 (taken back by /rollback), v1.2.0 (needed the hotfix), v1.2.1.
    const stats = await command("/deploy", `stats ${SERVICE} production`);
    expect(stats).toContain(`${SERVICE} · production`);
    expect(stats).toContain("Deployment frequency: 0.9 a week (4 successful) — *Medium*");
    expect(stats).toContain("Change failure rate: 60% (3 of 5 failed, rolled back or hotfixed) — *Low*");
    expect(stats).toMatch(
      /Lead time for changes: \S+.* median \(0 of 4 from git, the rest from the request\) — \*Elite\*/,
    );
    expect(stats).toMatch(/Time to restore: \S+.* median — \*Elite\*/);
    expect(stats).toMatch(/Deployment duration: median \S+.*, p90 /);

    const metrics = await (await fetch(`http://127.0.0.1:${scene.slipway.port}/metrics`)).text();
    const scope = `service="${SERVICE}",environment="production"`;
    expect(metrics).toContain(`slipway_dora_change_failure_rate{${scope}} 0.6`);
    expect(metrics).toMatch(new RegExp(`slipway_dora_deployments_per_day\\{${scope}\\} 0\\.1333`));
    expect(metrics).toMatch(new RegExp(`slipway_dora_time_to_restore_seconds\\{${scope}\\} \\d`));
    expect(metrics).toMatch(new RegExp(`slipway_deployment_duration_seconds\\{${scope},quantile="0\\.9"\\} \\d`));
    expect(metrics).toContain(`slipway_dora_level{${scope},key="changeFailureRate"} 1`);

    // Newest first, two a page, each linking its thread; More shows the next two.
    const history = await command("/deploy", `history ${SERVICE} production --limit=2`);
    expect(history).toContain("(1–2, newest first)");
    const first = history.indexOf(ids.hotfix);
    expect(first).toBeGreaterThan(-1);
    expect(history.indexOf(ids.hotfixed)).toBeGreaterThan(first);
    expect(history).toContain("(hotfix)");
    expect(history).toContain("|thread>");
    expect(history).toContain("[More]");
    const answered = await scene.slack.command({
      command: "/deploy",
      text: `history ${SERVICE} --limit 2`,
      userId: DEPLOYER,
      channelId: CHANNEL,
    });
    type Blocks = { blocks?: { elements?: { action_id?: string; value?: string }[] }[] };
    const more = ((answered.json as Blocks).blocks ?? [])
      .flatMap((block) => block.elements ?? [])
      .find((element) => element.action_id === ACTION_IDS.historyMore)?.value;
    expect(more).toBeDefined();
    const page2 = await scene.chat.answerTo(
      scene.slack.blockAction({
        actionId: ACTION_IDS.historyMore,
        value: more ?? "",
        userId: DEPLOYER,
        channelId: CHANNEL,
        messageTs: "1.000000",
      }),
    );
    expect(page2).toContain("(3–4, newest first)");
    expect(page2).toContain(ids.rollback);
    expect(page2).toContain("(rollback)");
    expect(page2).toContain(ids.taken);

    expect(await command("/deploy", "history --limit 0")).toContain(
      "--limit '0' is not a whole number from 1 to 40, e.g. --limit 10",
    );
  });
});
