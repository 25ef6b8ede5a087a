import { gate, type ItemResult, SECTION_TITLES, type Section } from "../../domain/checklist.js";
import { type Deployment, postRollbackChecks } from "../../domain/deployment.js";
import { type Block, escapeMrkdwn, fitMessage, type SlackMessage, section } from "./blocks.js";
import { slackTime } from "./slack-time.js";

/*
 * Checklist results as the thread shows them: each item with its mark and
 * evidence, grouped by the seed's sections. The pre-deployment checklist,
 * the deployment validation and the post-rollback validation read this way.
 */

const ITEM_MARK: Record<ItemResult["status"], string> = {
  passed: "✅",
  failed: "❌",
  error: "⚠️",
  waiting: "⏳",
};

/** One item with its mark and evidence (or who ticked it): "✅ Application starts — exit 0: GET /healthz 200". */
export function itemLine(item: ItemResult): string {
  const advisory = item.required ? "" : " _(advisory)_";
  const who = item.tickedBy ? ` — ticked by <@${item.tickedBy}>${item.at ? ` at ${slackTime(item.at)}` : ""}` : "";
  const evidence = item.evidence && !item.tickedBy ? ` — ${escapeMrkdwn(item.evidence)}` : "";
  return `${ITEM_MARK[item.status]} ${escapeMrkdwn(item.title)}${advisory}${evidence}${who}`;
}

/** The items grouped by the seed's sections, each with its mark and evidence. */
export function sectionBlocks(items: readonly ItemResult[]): Block[] {
  const sections = [...new Set(items.map((i) => i.section))] as Section[];
  return sections.map((name) =>
    section(
      `*${SECTION_TITLES[name]}*\n${items
        .filter((i) => i.section === name)
        .map(itemLine)
        .join("\n")}`,
    ),
  );
}

/** A validation the thread shows: the deployment's own after its last step, or the way back's after a rollback. */
export type ValidationPhase = "post-deployment" | "post-rollback";

const VALIDATION_TITLES: Readonly<Record<ValidationPhase, string>> = {
  "post-deployment": "Deployment validation",
  "post-rollback": "Post-rollback validation",
};

/** The phase's results, once checked. */
export function validationItems(d: Deployment, phase: ValidationPhase): readonly ItemResult[] | undefined {
  return phase === "post-rollback" ? postRollbackChecks(d) : d.deploymentValidation;
}

/** Whether a validation's items passed, in a few words: "✅ passed (4/4)". */
export function validationSummary(items: readonly ItemResult[]): string {
  if (items.length === 0) return "➖ no validation items declared";
  const passed = items.filter((i) => i.status === "passed").length;
  return gate(items).state === "failed"
    ? `❌ failed (${passed}/${items.length} passed)`
    : `✅ passed (${passed}/${items.length})`;
}

function validationOutcome(d: Deployment, phase: ValidationPhase): string | undefined {
  const items = validationItems(d, phase);
  return items === undefined ? undefined : validationSummary(items);
}

/**
 * Whether each validation that ran passed, in a few words, one line each:
 * `*Deployment validation:* ✅ passed (4/4)` (bold labels with `bold`).
 */
export function validationLines(d: Deployment, bold: boolean): string[] {
  return (Object.keys(VALIDATION_TITLES) as ValidationPhase[]).flatMap((phase) => {
    const outcome = validationOutcome(d, phase);
    const label = bold ? `*${VALIDATION_TITLES[phase]}:*` : `${VALIDATION_TITLES[phase]}:`;
    return outcome === undefined ? [] : [`${label} ${outcome}`];
  });
}

/**
 * A validation's reply: the seed's deployment validation items (application
 * starts, health checks passing, …, no errors in logs) after the last step,
 * or its rollback validation items (previous version running, services
 * healthy, …) after a rollback, each with its evidence, as the
 * pre-deployment checklist shows its own, and whether validation passed.
 */
export function renderValidation(d: Deployment, phase: ValidationPhase): SlackMessage {
  const items = validationItems(d, phase) ?? [];
  const outcome = validationOutcome(d, phase) ?? "not run";
  const name = VALIDATION_TITLES[phase];
  return fitMessage({
    text: `${name} of ${d.service} ${d.version}: ${outcome}`,
    blocks: [section(`🩺 *${name}* — ${outcome}`), ...sectionBlocks(items)],
  });
}
