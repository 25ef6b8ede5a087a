import type { DeploymentRecord } from "../../domain/deployment-record.js";
import { describeState } from "../../domain/deployment-state.js";
import { formatDuration } from "../../domain/progress.js";
import type { HistoryQuery } from "../../engine/records.js";
import type { RecordPage } from "../../store/records.js";
import { ACTION_IDS } from "../action-ids.js";
import { actions, button, context, escapeMrkdwn, fitMessage, type SlackMessage, section } from "./blocks.js";
import { STATE_EMOJI, who } from "./deployment-message.js";
import { slackDateTime } from "./slack-time.js";

/** What the More button carries: the query and where the next page starts. */
export interface HistoryCursor {
  readonly s?: string;
  readonly e?: string;
  readonly o: number;
  readonly l: number;
}

function scopeWords(query: Pick<HistoryQuery, "service" | "environment">): string {
  const parts = [query.service, query.environment].filter((p): p is string => p !== undefined);
  return parts.length > 0 ? escapeMrkdwn(parts.join(" · ")) : "all services and environments";
}

function line(r: DeploymentRecord, threadLink: string | undefined): string {
  const thread = threadLink ? ` · <${threadLink}|thread>` : "";
  const kind = r.rollbackOf ? " (rollback)" : r.hotfix ? " (hotfix)" : "";
  return `${STATE_EMOJI[r.state]} *${escapeMrkdwn(r.service)} ${escapeMrkdwn(r.version)}* → ${escapeMrkdwn(r.environment)}${kind} — ${describeState(r.state)} · ${who(r.requestedBy)} · ${slackDateTime(r.finishedAt)} · ${formatDuration(r.durationMs)}${thread} · \`${r.id}\``;
}

/** `/deploy history`: one page, newest first, each linking its thread, and More while older ones remain. */
export function renderHistory(
  page: RecordPage,
  query: HistoryQuery,
  threadLinks: ReadonlyMap<string, string>,
): SlackMessage {
  const scope = scopeWords(query);
  if (page.records.length === 0) {
    return {
      text: query.offset === 0 ? `No deployment of ${scope} has ended yet.` : `No older deployments of ${scope}.`,
      blocks: [],
    };
  }
  const from = query.offset + 1;
  const to = query.offset + page.records.length;
  const cursor: HistoryCursor = {
    ...(query.service ? { s: query.service } : {}),
    ...(query.environment ? { e: query.environment } : {}),
    o: to,
    l: query.limit,
  };
  return fitMessage({
    text: `Deployment history of ${scope}: ${from}–${to}`,
    blocks: [
      section(`*Deployment history* — ${scope} (${from}–${to}, newest first)`),
      ...page.records.map((r) => section(line(r, threadLinks.get(r.id)))),
      ...(page.more
        ? [actions("history", [button("More", ACTION_IDS.historyMore, JSON.stringify(cursor))])]
        : [context("That is all of them.")]),
    ],
  });
}
