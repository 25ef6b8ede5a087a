import { describe, expect, it } from "vitest";
import { type FlagChange, newDeployment } from "../../../src/domain/deployment.js";
import { type Answer, refusedAnswerSchema } from "../../../src/engine/answers.js";
import { renderAuditLog } from "../../../src/slack/renderers/audit.js";
import { renderFlagChange } from "../../../src/slack/renderers/feature-flag.js";
import { answerText } from "../../../src/slack/renderers/operation-answer.js";
import type { AuditEntry } from "../../../src/store/audit-log.js";

/*
 * Every code the engine answers a vote, tick, control, flag change,
 * acknowledgement or rollback with, in words: the sentence each person is
 * told, with times as Slack date tokens.
 */

const ID = "d-7k3m9x2q";
const AT = Date.UTC(2026, 11, 7, 14, 2);
const TOKEN = `<!date^${AT / 1000}^{time}|14:02 UTC>`;
const LOCK = { service: "shop", environment: "production", owner: "U0OWNER01", reason: "db migration" };
const WHERE = { service: "shop", environment: "production" };

const cases: readonly (readonly [Answer, string])[] = [
  [{ ok: true, code: "approved", deploymentId: ID }, `Approved; \`${ID}\` is starting.`],
  [{ ok: true, code: "rejected", deploymentId: ID }, `Rejected \`${ID}\`; the requester has been told why.`],
  [
    { ok: true, code: "approval_counted", deploymentId: ID, approvals: 1, needed: 2 },
    `Approval counted (1 of 2) for \`${ID}\`.`,
  ],
  [{ ok: true, code: "ticked", deploymentId: ID, title: "Comms plan" }, "Ticked 'Comms plan'."],
  [
    { ok: true, code: "paused", deploymentId: ID },
    `Paused \`${ID}\`. The current step finishes; nothing new starts until someone resumes.`,
  ],
  [{ ok: true, code: "resumed", deploymentId: ID }, `Resumed \`${ID}\`.`],
  [
    { ok: true, code: "promoting", deploymentId: ID, skipped: ["canary-25%", "canary-50%"] },
    `Promoting \`${ID}\`: skipped canary-25%, canary-50%; going to 100%.`,
  ],
  [
    { ok: true, code: "aborting", deploymentId: ID },
    `Aborting \`${ID}\`: traffic goes back to the stable version, then it is rolled back.`,
  ],
  [
    { ok: true, code: "cancelled", deploymentId: ID, version: "v1.2.0" },
    `Cancelled \`${ID}\`; nothing of v1.2.0 had been deployed.`,
  ],
  [
    { ok: true, code: "flag_setting", deploymentId: ID, flag: "new-checkout", percent: 25, seq: 1 },
    `Setting new-checkout to 25% for \`${ID}\`; the thread says when it is done.`,
  ],
  [{ ok: true, code: "acknowledged", deploymentId: ID }, `Acknowledged the incident of \`${ID}\`.`],
  [
    { ok: true, code: "rolling_back", deploymentId: ID, version: "v1.3.0", to: undefined },
    `Rolling back \`${ID}\` (v1.3.0) to the previous version. Follow it in its thread.`,
  ],
  [
    {
      ok: true,
      code: "rollback_started",
      ...WHERE,
      from: "v1.3.0",
      to: "v1.2.0",
      deploymentId: ID,
      channel: "C0DEPLOY01",
    },
    `Rolling shop production back from v1.3.0 to v1.2.0 as \`${ID}\`. Follow it in <#C0DEPLOY01>.`,
  ],
  [
    { ok: false, code: "not_a_deployment_id" },
    "That is not a deployment id (they look like `d-7k3m9x2q`); nothing changed.",
  ],
  [
    { ok: false, code: "no_such_deployment", deploymentId: ID },
    `There is no deployment \`${ID}\`; \`/deploy status\` lists them.`,
  ],
  [
    { ok: false, code: "forbidden", attempted: "control", reason: "pausing needs the role deployers" },
    "Not done: pausing needs the role deployers.",
  ],
  [
    { ok: false, code: "lookup_failed", message: "Slipway could not look up <!subteam^S0X>." },
    "Slipway could not look up <!subteam^S0X>.",
  ],
  [
    { ok: false, code: "not_waiting", deploymentId: ID, state: "succeeded", what: "approve" },
    `\`${ID}\` has already ended (succeeded); there is nothing left to approve.`,
  ],
  [
    { ok: false, code: "expired", deploymentId: ID, what: "approval", expiredAt: AT },
    `Not counted: the approval of \`${ID}\` expired at ${TOKEN}; deploy again to ask anew.`,
  ],
  [
    { ok: false, code: "vote_refused", refusal: { code: "self_approval" } },
    "Not counted: you requested this deployment, so you cannot approve it yourself; ask another approver (self-approval is off for this environment).",
  ],
  [
    { ok: false, code: "locked", lock: LOCK },
    "Not counted: shop production is locked by <@U0OWNER01> (db migration); approve again once it is unlocked.",
  ],
  [
    { ok: false, code: "closed", reason: "a sensitive deployment runs only in the low-traffic window" },
    "Not counted: a sensitive deployment runs only in the low-traffic window; approve again then.",
  ],
  [{ ok: false, code: "no_item", deploymentId: ID, itemId: "nope" }, `\`${ID}\` has no checklist item 'nope'.`],
  [
    { ok: false, code: "already_ticked", title: "Comms plan", status: "passed", by: "U0LEAD01" },
    "'Comms plan' is already passed by <@U0LEAD01>; nothing changed.",
  ],
  [
    { ok: false, code: "ended", deploymentId: ID, state: "rolled_back", control: "abort" },
    `\`${ID}\` has already ended (rolled back); nothing to abort.`,
  ],
  [
    { ok: false, code: "already_rolling_back", deploymentId: ID },
    `\`${ID}\` is already on its way back; nothing changed.`,
  ],
  [
    { ok: false, code: "not_running", deploymentId: ID, state: "awaiting_approval", control: "pause" },
    `Only a running deployment can be paused; \`${ID}\` is awaiting approval.`,
  ],
  [{ ok: false, code: "already_paused", by: "U0ONCALL1" }, "Already paused by <@U0ONCALL1>."],
  [{ ok: false, code: "not_paused", deploymentId: ID }, `\`${ID}\` is not paused; nothing changed.`],
  [{ ok: false, code: "nothing_to_skip", deploymentId: ID }, `\`${ID}\` has no traffic steps left to skip.`],
  [
    { ok: false, code: "flag_refused", refusal: { code: "pending", flag: "new-checkout", percent: 50 } },
    "new-checkout is still being set to 50%; try again when that is done.",
  ],
  [{ ok: false, code: "no_incident", deploymentId: ID }, `\`${ID}\` has no incident to acknowledge.`],
  [{ ok: false, code: "already_acknowledged", by: "U0ONCALL1" }, "Already acknowledged by <@U0ONCALL1>."],
  [{ ok: false, code: "just_ended", deploymentId: ID }, `\`${ID}\` has just ended; try again.`],
  [
    { ok: false, code: "restoring", deploymentId: ID, backupId: "shop-production-1" },
    `Backup \`shop-production-1\` of \`${ID}\` is being restored, then the post-rollback validation checked, and nothing else changes the environment meanwhile; follow it in that deployment's thread, and ask again once it is done.`,
  ],
  [
    { ok: false, code: "no_good_version", ...WHERE },
    "shop has no successful deployment in production yet, so there is nothing to roll back to.",
  ],
  [
    { ok: false, code: "only_one_good", ...WHERE, current: "v1.0.0" },
    "shop production has had only one good version (v1.0.0); there is no earlier one to roll back to. Deploy a fix instead, or name a version: `/rollback production shop v1.2.3`.",
  ],
  [
    { ok: false, code: "already_runs", ...WHERE, current: "v1.0.0" },
    "shop production already runs v1.0.0; nothing to roll back.",
  ],
  [
    {
      ok: false,
      code: "not_good",
      ...WHERE,
      target: "v0.9.0",
      good: ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9"],
    },
    "v0.9.0 never succeeded in shop production (or was rolled back), so Slipway will not go back to it. Good versions: v1, v2, v3, v4, v5, v6, v7, v8.",
  ],
];

describe("the words of an operation's answer", () => {
  it.each(cases)("words %j", (answer, words) => {
    expect(answerText(answer)).toBe(words);
  });

  it("has a case above for every refusal the audit log can keep", () => {
    const codes = refusedAnswerSchema.options.map((option) => option.shape.code.value);
    expect(new Set(cases.filter(([a]) => !a.ok).map(([a]) => a.code))).toEqual(new Set(codes));
  });

  it("shows an expired checklist's time and an earlier vote's as Slack date tokens", () => {
    expect(answerText({ ok: false, code: "expired", deploymentId: ID, what: "checklist", expiredAt: AT })).toBe(
      `Not ticked: the checklist of \`${ID}\` expired at ${TOKEN}.`,
    );
    const again = { code: "already_voted", decision: "approve", at: AT } as const;
    expect(answerText({ ok: false, code: "vote_refused", refusal: { ...again, changed: false } })).toBe(
      `Not counted: you already approved at ${TOKEN}.`,
    );
    expect(answerText({ ok: false, code: "vote_refused", refusal: { ...again, changed: true } })).toBe(
      `Not counted: you already approved at ${TOKEN}; a vote cannot be changed.`,
    );
  });

  it.each([
    [{ code: "not_approver" }, "you are not one of the approvers of this environment; ask one of them to review it"],
    [{ code: "not_approver", reason: "approving needs the role approvers" }, "approving needs the role approvers"],
    [{ code: "decided", outcome: "rejected" }, "this deployment is already rejected; nothing changed"],
    [{ code: "no_reason" }, "a rejection needs a reason, so the requester knows what to fix; reject again and say why"],
  ] as const)("words the vote refusal %j", (refusal, words) => {
    expect(answerText({ ok: false, code: "vote_refused", refusal })).toBe(`Not counted: ${words}.`);
  });

  it.each([
    [{ code: "no_flag", deploymentId: ID }, `\`${ID}\` is not a feature-flag deployment; it has no flag to set.`],
    [
      { code: "not_flipped", deploymentId: ID, flag: "new-checkout" },
      `\`${ID}\` has not flipped new-checkout yet; wait for its flag step.`,
    ],
    [
      { code: "not_steerable", deploymentId: ID, state: "rolled_back" },
      `\`${ID}\` is rolled back; its flag is no longer Slipway's to change.`,
    ],
    [
      { code: "not_live", deploymentId: ID, ...WHERE },
      `\`${ID}\` is no longer the live deployment of shop production; change the flag from the live one.`,
    ],
    [{ code: "being_aborted", deploymentId: ID }, `\`${ID}\` is being aborted.`],
    [
      { code: "restoring", deploymentId: ID, ...WHERE, restoringId: "d-later001", backupId: "shop-production-1" },
      `\`${ID}\` is still the live deployment of shop production, but backup \`shop-production-1\` of \`d-later001\` is being restored there, then the post-rollback validation checked, and nothing changes the environment meanwhile. Follow it in that deployment's thread, and move the flag once it is done.`,
    ],
    [{ code: "not_a_percentage", percent: 101 }, "101 is not a percentage; choose one from 0 to 100."],
    [
      { code: "paused", deploymentId: ID, flag: "new-checkout", reason: "inconclusive analysis" },
      `\`${ID}\` is paused (inconclusive analysis): new-checkout may only go down meanwhile. Resume it first to raise the flag.`,
    ],
    [{ code: "already_at", flag: "new-checkout", percent: 10 }, "new-checkout is already at 10%."],
  ] as const)("words the flag refusal %j", (refusal, words) => {
    expect(answerText({ ok: false, code: "flag_refused", refusal })).toBe(words);
  });

  it("says in a flag change's reply why a change whose turn came was not made", () => {
    const blocked = { code: "being_aborted", deploymentId: ID } as const;
    const change: FlagChange = { seq: 1, percent: 50, by: "U0DEPLOY1", at: AT, status: "failed", blocked };
    const d = newDeployment(
      {
        id: ID,
        ...WHERE,
        version: "v1.2.0",
        strategy: "feature-flag",
        hotfix: false,
        requestedBy: "U0DEPLOY1",
        source: "slack",
        steps: [{ name: "flag", action: "setFlag", flag: "new-checkout", flagPercent: 10 }],
        channel: "C0DEPLOY01",
        waitLimitMs: 3_600_000,
      },
      AT,
    );
    const message = renderFlagChange({ ...d, flagChanges: [change] }, change);
    expect(JSON.stringify(message.blocks)).toContain(`Not made: \`${ID}\` is being aborted.`);
  });
});

describe("the audit log's words for a refusal", () => {
  const entry = (more: Partial<AuditEntry>): AuditEntry => ({
    at: AT,
    actor: "U0LEAD01",
    source: "slack",
    action: "tick",
    outcome: "refused",
    service: "shop",
    environment: "production",
    deploymentId: ID,
    via: "checkbox",
    ...more,
  });

  it("words a kept answer after what was given, and shows an older entry's words as they were", () => {
    const kept = entry({
      detail: "comms-plan",
      answer: { ok: false, code: "expired", deploymentId: ID, what: "checklist", expiredAt: AT },
    });
    const older = entry({ detail: "comms-plan: Not ticked: the checklist of `d-7k3m9x2q` expired at 14:02 UTC." });
    const lines = renderAuditLog("shop", undefined, [kept, older])
      .blocks.map((b) => JSON.stringify(b))
      .join("\n");
    expect(lines).toContain(`— comms-plan: Not ticked: the checklist of \`${ID}\` expired at ${TOKEN}.`);
    expect(lines).toContain("— comms-plan: Not ticked: the checklist of `d-7k3m9x2q` expired at 14:02 UTC.");
  });
});
