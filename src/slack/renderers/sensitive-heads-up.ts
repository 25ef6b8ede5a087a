import type { Deployment } from "../../domain/deployment.js";
import { describeState } from "../../domain/deployment-state.js";
import { type Block, context, escapeMrkdwn, fitMessage, type SlackMessage, section, title } from "./blocks.js";
import { slackTime } from "./slack-time.js";
import { permalink } from "./watch.js";

/** Whether a sensitive deployment has started running: its heads-up goes out then, not while it waits for approval. */
export function sensitiveStarted(d: Deployment): boolean {
  return d.sensitive === true && d.stages.some((s) => s.status !== "pending");
}

/**
 * The incident channel's heads-up when a sensitive deployment starts and
 * when it ends (the seed: security team on standby, incident response ready).
 */
export function renderSensitiveHeadsUp(
  d: Deployment,
  phase: "start" | "end",
  rootTs: string | undefined,
): SlackMessage {
  const where = `${escapeMrkdwn(d.service)} in ${escapeMrkdwn(d.environment)}`;
  const thread = rootTs ? ` · <${permalink(d.channel, rootTs)}|thread>` : "";
  const good = d.state === "succeeded";
  const headline =
    phase === "start"
      ? `🔒 *Sensitive deployment starting:* ${escapeMrkdwn(title(d))} — ${where}. Security team on standby; incident response ready.`
      : `🔒 *Sensitive deployment ended:* ${escapeMrkdwn(title(d))} — ${describeState(d.state)}. ${
          good ? "The security team may stand down." : "Security team: stay on; see the thread."
        }`;
  const blocks: Block[] = [
    section(headline),
    context(
      `\`${d.id}\` · ${phase === "start" ? "started" : "ended"} ${slackTime(d.finishedAt ?? d.updatedAt)}${thread}`,
    ),
  ];
  return fitMessage({ text: `Sensitive deployment ${phase === "start" ? "starting" : "ended"}: ${title(d)}`, blocks });
}
