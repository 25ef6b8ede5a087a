import type { Deployment } from "../../domain/deployment.js";
import { context, escapeMrkdwn, fitMessage, type SlackMessage, section, title } from "./blocks.js";
import { slackTime } from "./slack-time.js";

type Stuck = NonNullable<Deployment["stuck"]>;

/** What is stuck and what Slipway will do about it, as the root message, the thread and the incident alert say it. */
export function stuckWords(stuck: Stuck): string {
  return `*Stuck:* ${escapeMrkdwn(stuck.what)}. ${escapeMrkdwn(stuck.suggestion)}.`;
}

/** The thread's reply when a deployment is reported stuck: posted once, the root message keeping the line while it lasts. */
export function renderStuckReport(d: Deployment & { stuck: Stuck }): SlackMessage {
  return fitMessage({
    text: `Stuck: ${title(d)}: ${d.stuck.what}`,
    blocks: [section(`⚠️ ${stuckWords(d.stuck)}`), context(`Reported ${slackTime(d.stuck.at)} · \`${d.id}\``)],
  });
}
