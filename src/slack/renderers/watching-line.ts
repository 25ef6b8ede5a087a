import type { Deployment } from "../../domain/deployment.js";
import { type Block, escapeMrkdwn, section, title } from "./blocks.js";
import { slackTime } from "./slack-time.js";
import { permalink } from "./watch.js";

/*
 * Succeeded deployments whose extended window still watches them, as
 * /deploy status and the Home tab list them: they hold nothing, but their
 * metrics are still measured and a trip still rolls them back.
 */

/** A watched deployment, with its root message's ts once posted (its thread is linked then). */
export interface WatchedDeployment {
  readonly deployment: Deployment;
  readonly rootTs?: string;
}

/** How many watched deployments a status message or the Home tab lists. */
const MAX_WATCHED_SHOWN = 10;

/** One section per watched deployment under a heading; nothing when none is watched. */
export function watchingLineBlocks(watched: readonly WatchedDeployment[]): Block[] {
  if (watched.length === 0) return [];
  const shown = watched.slice(0, MAX_WATCHED_SHOWN);
  const blocks: Block[] = [
    section(
      `*Watching after success (${watched.length})* — the extended window still measures these and can roll them back`,
    ),
  ];
  for (const { deployment: d, rootTs } of shown) {
    const until = d.extendedWatch ? ` until ${slackTime(d.extendedWatch.until)}` : "";
    const thread = rootTs ? ` · <${permalink(d.channel, rootTs)}|thread>` : "";
    blocks.push(section(`👀 \`${d.id}\` ${escapeMrkdwn(title(d))} — succeeded, watched${until}${thread}`));
  }
  if (watched.length > shown.length) {
    blocks.push(
      section(`…and ${watched.length - shown.length} more; \`/deploy status <service> <environment>\` narrows it.`),
    );
  }
  return blocks;
}
