import type { JobData } from "../../engine/jobs.js";
import { escapeMrkdwn, type SlackMessage, section } from "./blocks.js";

export type ScheduleSkipped = JobData<"notify", "scheduleSkipped">;

/** The deploy channel's one notice that a scheduled run could not deploy a version, and what would let it. */
export function renderScheduleSkipped(n: ScheduleSkipped): SlackMessage {
  const what = `${escapeMrkdwn(n.service)} ${escapeMrkdwn(n.version)} → ${escapeMrkdwn(n.environment)}`;
  const why = (() => {
    switch (n.code) {
      case "locked":
        return `${escapeMrkdwn(n.environment)} is locked by <@${n.owner ?? "unknown"}> (${escapeMrkdwn(n.reason)}). The schedule tries again at each run; \`/deploy unlock ${escapeMrkdwn(n.environment)} ${escapeMrkdwn(n.service)}\` lets it through.`;
      case "window":
        return `not now: ${escapeMrkdwn(n.reason)}. The schedule tries again at each run.`;
      case "forbidden":
        return `${escapeMrkdwn(n.reason)}.`;
      case "unknown_version":
        return `it is not a tag or commit in ${escapeMrkdwn(n.reason)}.`;
      case "promotion":
        return `the promotion gate holds it (${escapeMrkdwn(n.reason)}); the schedule tries again at each run.`;
      case "invalid":
        return `the manifest cannot deploy it (${escapeMrkdwn(n.reason)}); run \`slipway validate\`.`;
      default: {
        const unreachable: never = n.code;
        return unreachable;
      }
    }
  })();
  const text = `⏰ Scheduled deployment skipped: ${what} (newest success in ${escapeMrkdwn(n.from)}): ${why}`;
  return { text, blocks: [section(text)] };
}
