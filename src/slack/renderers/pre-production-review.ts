import type { ItemResult } from "../../domain/checklist.js";
import type { Deployment } from "../../domain/deployment.js";
import type { PreProductionReview, Proof, RollbackPlan } from "../../domain/pre-production.js";
import { testLine } from "../../domain/test-counts.js";
import { type Block, escapeExceptMentions, escapeMrkdwn, fitText, section } from "./blocks.js";
import { type ChangesRoom, whatChangedText } from "./changes.js";
import { durationWords, performanceWords, utcMinute } from "./deployment-record.js";

/*
 * The go/no-go material on the approval card, in the order of the seed's
 * pre-production review: test results and performance where the version
 * was proven (staging), the checklist and its security items, the rollback
 * plan, and what changed. One block each, so the card stays well within
 * Slack's limits whatever the release holds.
 */

/** Room for the card's list of changes: it shares the card with the rest of the material. */
const CARD_CHANGES: ChangesRoom = { maxChanges: 12, maxChars: 1_500 };

/** Longest evidence shown after a checklist item on the card. */
const EVIDENCE_CHARS = 120;

const MARK: Readonly<Record<ItemResult["status"], string>> = {
  passed: "✅",
  failed: "❌",
  error: "⚠️",
  waiting: "⏳",
};

function itemLine(item: ItemResult): string {
  const evidence = item.evidence ? ` — ${escapeMrkdwn(fitText(item.evidence, EVIDENCE_CHARS))}` : "";
  return `${MARK[item.status]} ${escapeMrkdwn(item.title)}${evidence}`;
}

function proofText(review: PreProductionReview, version: string): string {
  const where = review.provenIn;
  if (where === undefined) return "*Proven before:* no earlier environment to prove it in";
  const proof: Proof | undefined = review.proof;
  if (proof === undefined) {
    return `*Proven in ${escapeMrkdwn(where)}:* ${escapeMrkdwn(version)} has no successful ${escapeMrkdwn(where)} run on record`;
  }
  const tests = proof.tests.length > 0 ? proof.tests.map((t) => escapeMrkdwn(testLine(t))) : ["No test reports"];
  return [
    `*Proven in ${escapeMrkdwn(where)}:* \`${proof.deploymentId}\` succeeded ${utcMinute(proof.finishedAt)}, ran ${durationWords(proof.durationMs)}`,
    `• Tests: ${tests.join(" · ")}`,
    `• Performance: ${performanceWords(proof.performance)}`,
    `• Downtime: ${durationWords(proof.downtimeMs)} · Issues: ${
      proof.issues.length > 0 ? escapeExceptMentions(fitText(proof.issues.join("; "), 400)) : "None"
    }`,
  ].join("\n");
}

/** At most this many items listed under each heading; the rest are counted. */
const ITEMS_LISTED = 8;

function listed(items: readonly ItemResult[]): string[] {
  const lines = items.slice(0, ITEMS_LISTED).map((i) => `• ${itemLine(i)}${i.required ? "" : " (advisory)"}`);
  return items.length > ITEMS_LISTED ? [...lines, `…and ${items.length - ITEMS_LISTED} more`] : lines;
}

function checklistText(items: readonly ItemResult[]): string {
  const passed = items.filter((i) => i.status === "passed").length;
  const notPassed = items.filter((i) => i.status !== "passed" && i.section !== "security");
  if (items.length === 0) return "*Checklist:* none for this environment";
  return [`*Checklist:* ${passed}/${items.length} passed`, ...listed(notPassed)].join("\n");
}

function securityText(items: readonly ItemResult[]): string {
  const security = items.filter((i) => i.section === "security");
  if (security.length === 0) return "*Security:* no security items in this environment's checklist";
  return [`*Security:*`, ...listed(security)].join("\n");
}

/** The environment's way back in plain words. */
export function rollbackPlanText(plan: RollbackPlan): string {
  const steps = [
    plan.trafficFirst ? "traffic back to the stable version" : undefined,
    plan.rollbackAction ? "the target's rollback action" : undefined,
    plan.validation.length > 0
      ? `${plan.validation.length} validation check${plan.validation.length === 1 ? "" : "s"} (${escapeMrkdwn(
          fitText(plan.validation.join(", "), 300),
        )})`
      : undefined,
  ].filter((step): step is string => step !== undefined);
  const to = plan.toVersion ? `back to ${escapeMrkdwn(plan.toVersion)}` : "no earlier version to go back to";
  return [
    `*Rollback plan:* ${to}${steps.length > 0 ? `: ${steps.join(", then ")}` : ": no way back is configured"}`,
    // Without one, the card's rollback-readiness warning says so.
    plan.verifiedBy.length > 0
      ? `• Verified before deploying by ${plan.verifiedBy.map((s) => `_${escapeMrkdwn(s)}_`).join(", ")}`
      : undefined,
    plan.automatic
      ? "• Automatic when a metric trigger trips; `/rollback` or Roll back at any time"
      : "• No metrics to trigger it: `/rollback` or Roll back by hand",
  ]
    .filter((line): line is string => line !== undefined)
    .join("\n");
}

/** The card's go/no-go blocks: what the approvers decide on besides the request itself. */
export function goNoGoBlocks(d: Deployment): Block[] {
  const review = d.preProduction;
  return [
    ...(review
      ? [
          section(`🧭 *Pre-production review*\n${proofText(review, d.version)}`),
          section(checklistText(d.checklist ?? [])),
          section(securityText(d.checklist ?? [])),
          section(rollbackPlanText(review.rollbackPlan)),
        ]
      : []),
    ...(d.whatChanged ? [section(whatChangedText(d.whatChanged, d.version, CARD_CHANGES))] : []),
  ];
}
