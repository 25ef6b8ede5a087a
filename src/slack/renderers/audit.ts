import type { AuditEntry } from "../../store/audit-log.js";
import { escapeExceptMentions, escapeMrkdwn, fitMessage, type SlackMessage, section } from "./blocks.js";
import { answerText } from "./operation-answer.js";
import { slackTime } from "./slack-time.js";

/** `/deploy audit`: the newest entries first, one line each. */
export function renderAuditLog(
  service: string,
  environment: string | undefined,
  entries: readonly AuditEntry[],
): SlackMessage {
  const scope = environment ? `${service} ${environment}` : service;
  if (entries.length === 0) return { text: `No audit entries for ${scope} yet.`, blocks: [] };
  const lines = entries.map((e) => {
    const mark = e.outcome === "ok" ? "•" : "⛔";
    const who =
      e.actor === "slipway" ? "Slipway" : e.source === "slack" || !e.source ? `<@${e.actor}>` : escapeMrkdwn(e.actor);
    const where = [e.environment, e.deploymentId ? `\`${e.deploymentId}\`` : undefined].filter(Boolean).join(" ");
    // What was given (a reason, an item) and, for a refusal kept as the engine's answer, why it was refused.
    const said = [e.detail, e.answer ? answerText(e.answer) : undefined].filter((part) => part !== undefined);
    const detail = said.length > 0 ? ` — ${escapeExceptMentions(said.join(": "))}` : "";
    const source = e.source ? ` (${e.source})` : "";
    return `${mark} ${slackTime(e.at)} ${who} *${e.action}* ${e.outcome === "refused" ? "(refused) " : ""}${where} via ${e.via}${source}${detail}`;
  });
  return fitMessage({
    text: `Audit log for ${scope}: ${entries.length} entries`,
    blocks: [
      section(`*Audit log — ${escapeMrkdwn(scope)}* (newest first)`),
      ...chunk(lines, 12).map((group) => section(group.join("\n"))),
    ],
  });
}

function chunk<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let i = 0; i < items.length; i += size) groups.push(items.slice(i, i + size));
  return groups;
}
