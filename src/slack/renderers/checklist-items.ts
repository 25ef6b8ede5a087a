import { gate, type ItemResult, SECTION_TITLES, type Section } from "../../domain/checklist.js";
import { type Deployment, postRollbackChecks } from "../../domain/deployment.js";
import { type Block, escapeMrkdwn, fitMessage, type SlackMessage, section } from "./blocks.js";
import { slackTime } from "./slack-time.js";

/*
 * Checklist results as the thread shows them: each item with its mark and
 * evidence, grouped by the seed's sections. The pre-deployment checklist
 * and the post-rollback validation both read this way.
 */

const ITEM_MARK: Record<ItemResult["status"], string> = {
  passed: "✅",
  failed: "❌",
  error: "⚠️",
  waiting: "⏳",
};

function itemLine(item: ItemResult): string {
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

/** Whether the post-rollback validation passed, in a few words: `✅ passed (5/5)`; undefined before it ran. */
export function validationOutcome(d: Deployment): string | undefined {
  const items = postRollbackChecks(d);
  if (items === undefined) return undefined;
  if (items.length === 0) return "➖ no validation items declared";
  const passed = items.filter((i) => i.status === "passed").length;
  return gate(items).state === "failed"
    ? `❌ failed (${passed}/${items.length} passed)`
    : `✅ passed (${passed}/${items.length})`;
}

/**
 * The post-rollback validation reply: the seed's rollback validation items
 * (previous version running, services healthy, …) with their evidence, as
 * the pre-deployment checklist shows its own, and whether validation passed.
 */
export function renderRollbackValidation(d: Deployment): SlackMessage {
  const items = postRollbackChecks(d) ?? [];
  const outcome = validationOutcome(d) ?? "not run";
  return fitMessage({
    text: `Post-rollback validation of ${d.service} ${d.version}: ${outcome}`,
    blocks: [section(`🩺 *Post-rollback validation* — ${outcome}`), ...sectionBlocks(items)],
  });
}
