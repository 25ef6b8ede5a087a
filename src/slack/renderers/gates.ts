import { gate } from "../../domain/checklist.js";
import type { Deployment } from "../../domain/deployment.js";
import type { RollbackGap } from "../../domain/on-failure.js";
import { tally } from "../../domain/policy.js";
import { ACTION_IDS } from "../action-ids.js";
import {
  actions,
  type Block,
  button,
  type CheckboxOption,
  context,
  escapeExceptMentions,
  escapeMrkdwn,
  fitMessage,
  fitText,
  requester,
  type SlackMessage,
  section,
  title,
} from "./blocks.js";
import { sectionBlocks } from "./checklist-items.js";
import { goNoGoBlocks } from "./pre-production-review.js";
import { slackTime } from "./slack-time.js";

/** Slack allows at most 10 options in one checkboxes element. */
const OPTIONS_PER_ELEMENT = 10;

/** Value of a manual item's checkbox: which deployment and which item. */
export function tickValue(deploymentId: string, itemId: string): string {
  return `${deploymentId}:${itemId}`;
}

/**
 * The checklist reply: every item with its mark and evidence, grouped by the
 * seed's sections, and checkboxes for the manual items still waiting for a
 * person. Edited in place as results and ticks come in.
 */
export function renderChecklist(d: Deployment): SlackMessage {
  const items = d.checklist ?? [];
  const passed = items.filter((i) => i.status === "passed").length;
  const verdict = gate(items);
  const summary =
    verdict.state === "passed"
      ? `all required items passed (${passed}/${items.length})`
      : verdict.state === "failed"
        ? `blocked by ${verdict.blocking.filter((i) => i.status !== "waiting").length} failed item(s)`
        : `waiting for ${verdict.blocking.map((i) => `_${escapeMrkdwn(i.title)}_`).join(", ")}`;
  const blocks: Block[] = [section(`📋 *Pre-deployment checklist* — ${summary}`), ...sectionBlocks(items)];
  const waiting = items.filter((i) => i.status === "waiting");
  if (waiting.length > 0 && !d.finishedAt && d.state === "checking") {
    const options: CheckboxOption[] = waiting.map((item) => ({
      text: { type: "mrkdwn", text: fitText(escapeMrkdwn(item.title), 150) },
      value: tickValue(d.id, item.id),
    }));
    for (let i = 0; i < options.length; i += OPTIONS_PER_ELEMENT) {
      blocks.push(
        actions(`checklist-${i / OPTIONS_PER_ELEMENT}`, [
          { type: "checkboxes", action_id: ACTION_IDS.tick, options: options.slice(i, i + OPTIONS_PER_ELEMENT) },
        ]),
      );
    }
    blocks.push(context("Tick an item once it is done; the deployment continues when every required item has passed."));
  }
  return fitMessage({ text: `Checklist for ${title(d)}: ${summary}`, blocks });
}

const GAP_WORDS: Readonly<Record<RollbackGap, string>> = {
  "rollback-action": "the target has no rollback action, so Slipway cannot roll this version back by itself",
  "verify-rollback-stage": "no stage checks that the rollback works before this version is deployed",
};

/** The card's warning when the environment's way back is not prepared and tested; undefined when it is. */
function rollbackUnprepared(d: Deployment): string | undefined {
  const gaps = d.failurePolicy?.gaps ?? [];
  if (gaps.length === 0) return undefined;
  const after = gaps.includes("rollback-action")
    ? "If this version fails, undoing it is up to you."
    : "If this version fails, its rollback runs untested.";
  return `⚠️ *Rollback not prepared and tested:* ${gaps.map((gap) => GAP_WORDS[gap]).join("; ")}. ${after}`;
}

/**
 * The approval card: what is asked, who asked, the checklist's verdict, who
 * may approve and by when, every vote so far, and Approve / Reject while the
 * decision is open.
 */
export function renderApprovalCard(d: Deployment): SlackMessage {
  const approval = d.approval;
  if (!approval) return { text: `${title(d)} needs no approval`, blocks: [] };
  const { outcome, approvals, needed, securityApproved } = tally(approval.votes, {
    count: approval.needed,
    allowSelfApproval: approval.allowSelfApproval,
    security: approval.security !== undefined,
  });
  const items = d.checklist ?? [];
  const checklist = items.length
    ? `${items.filter((i) => i.status === "passed").length}/${items.length} checklist items passed`
    : "no checklist";
  const votes = approval.votes.map((v) =>
    v.decision === "approve"
      ? `✅ approved by <@${v.userId}> at ${slackTime(v.at)}`
      : `🚫 rejected by <@${v.userId}> at ${slackTime(v.at)}: ${escapeMrkdwn(v.reason ?? "")}`,
  );
  const open = outcome === "pending" && d.state === "awaiting_approval";
  const headline = open
    ? `✋ *Approval needed*: ${escapeMrkdwn(title(d))}`
    : d.state === "expired"
      ? `⌛ *Approval expired*: ${escapeMrkdwn(title(d))} — nobody decided in time`
      : outcome === "approved"
        ? `✅ *Approved*: ${escapeMrkdwn(title(d))}`
        : outcome === "rejected"
          ? `🚫 *Rejected*: ${escapeMrkdwn(title(d))}`
          : `*Approval closed*: ${escapeMrkdwn(title(d))}`;
  const blocks: Block[] = [
    section(
      [
        headline,
        `Requested by ${requester(d)} · strategy ${d.strategy}${d.hotfix ? " · *hotfix*" : ""} · ${checklist}`,
        `Needs ${needed} approval${needed === 1 ? "" : "s"} (${approvals} so far) from ${escapeExceptMentions(approval.approvers)}${
          approval.allowSelfApproval ? "" : "; the requester cannot approve"
        } · expires ${slackTime(d.expiresAt)}`,
        ...(approval.security
          ? [
              `🔒 *Sensitive:* one approval must also come from ${escapeExceptMentions(approval.security)} — ${
                securityApproved ? "given" : "still missing"
              }; it runs only in the low-traffic window, with the security team on standby`,
            ]
          : []),
        ...votes,
      ].join("\n"),
    ),
    ...goNoGoBlocks(d),
  ];
  const unprepared = rollbackUnprepared(d);
  if (unprepared) blocks.push(section(unprepared));
  if (open) {
    blocks.push(
      actions("approval", [
        button("Approve", ACTION_IDS.approve, d.id, "primary"),
        button("Reject", ACTION_IDS.reject, d.id, "danger"),
      ]),
    );
  }
  return fitMessage({ text: `Approval for ${title(d)}: ${open ? "needed" : outcome}`, blocks });
}
