import type { DeploymentRecord } from "../../../domain/deployment-record.js";
import {
  DEFAULT_STATS_DAYS,
  deploymentStats,
  type HistoryQuery,
  history,
  recordById,
} from "../../../engine/records.js";
import type { SlackMessage } from "../../renderers/blocks.js";
import { renderRecordAnswer } from "../../renderers/deployment-record.js";
import { renderHistory } from "../../renderers/history.js";
import { renderStats } from "../../renderers/stats.js";
import { permalink } from "../../renderers/watch.js";
import type { ListenerDeps } from "../deps.js";

/** Deployments per page of `/deploy history` when `--limit` is not given. */
export const DEFAULT_HISTORY_LIMIT = 10;

/** Each record's thread link, for those whose root message was posted. */
async function threadLinks(deps: ListenerDeps, records: readonly DeploymentRecord[]): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  await Promise.all(
    records.map(async (r) => {
      const root = (await deps.refs.get(r.id)).posted.get("root");
      if (root) links.set(r.id, permalink(r.channel, root.ts));
    }),
  );
  return links;
}

/** `/deploy history`, and each More after it. */
export async function answerHistory(deps: ListenerDeps, query: HistoryQuery): Promise<SlackMessage> {
  const page = await history(deps, query);
  return renderHistory(page, query, await threadLinks(deps, page.records));
}

/** `/deploy stats`. */
export async function answerStats(
  deps: ListenerDeps,
  query: { service?: string; environment?: string; days?: number },
): Promise<SlackMessage> {
  const days = query.days ?? DEFAULT_STATS_DAYS;
  return renderStats(await deploymentStats(deps, { ...query, days }), days);
}

/** `/deploy record <id>`: the record as markdown, linking its incident record when there is one. */
export async function answerRecord(deps: ListenerDeps, deploymentId: string): Promise<string | SlackMessage> {
  const answer = await recordById(deps, deploymentId);
  if (!answer.ok) {
    return answer.reason === "unknown"
      ? `There is no deployment \`${deploymentId}\`. The id is on the deployment's root message, e.g. \`/deploy record d-7k3m9x2q\`.`
      : `\`${deploymentId}\` has not ended yet (${(answer.state ?? "").replace("_", " ")}); its record is written when it ends.`;
  }
  const r = answer.record;
  const incidentTs = (await deps.refs.get(r.id)).posted.get("incident-record")?.ts;
  const incidentChannel = deps.catalog.service(r.service)?.manifest.channels.incidents;
  return renderRecordAnswer(
    r,
    r.incident && incidentTs && incidentChannel ? { incident: permalink(incidentChannel, incidentTs) } : {},
  );
}
