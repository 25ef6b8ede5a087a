import type { Deployment, FlagChange } from "../../domain/deployment.js";
import { FLAG_PERCENTS, type FlagStanding, flagState } from "../../domain/feature-flag.js";
import { formatDuration } from "../../domain/progress.js";
import { flagActionId } from "../action-ids.js";
import {
  actions,
  type Block,
  button,
  codeTail,
  escapeMrkdwn,
  fitMessage,
  type SlackMessage,
  section,
} from "./blocks.js";
import { flagRefusalText } from "./operation-answer.js";
import { slackTime } from "./slack-time.js";

/** Where a deployment stands when nothing but itself decides whether its flag may move. */
export const LIVE: FlagStanding = { code: "live" };

/**
 * The root message's line about the flag: where it stands, where it is
 * going, and, while the restore of a backup holds the environment
 * (`standing`), that it stays put until that is done.
 */
export function flagLine(d: Deployment, standing: FlagStanding = LIVE): string | undefined {
  const flag = flagState(d);
  if (!flag) return undefined;
  const at =
    flag.percent === undefined
      ? "not flipped yet (dark)"
      : flag.percent === 0
        ? "off (0%)"
        : `${flag.percent}% of requests`;
  const going = flag.pending ? ` → ${flag.pending.percent}% being set` : "";
  const held = restoreHold(d, standing);
  const stays = held
    ? ` — stays put while backup \`${escapeMrkdwn(held.backupId)}\` of \`${held.restoringId}\` is being restored`
    : "";
  return `*Feature flag:* \`${escapeMrkdwn(flag.name)}\` ${at}${going}${stays}`;
}

/** The restore that holds the environment of `d`, a succeeded release still live there, when one does. */
function restoreHold(d: Deployment, standing: FlagStanding) {
  return d.state === "succeeded" && standing.code === "restoring" ? standing : undefined;
}

/**
 * Buttons that move the flag, once the release flipped it and while it is
 * still this deployment's to move: none while the restore of a backup holds
 * the environment (a change would be refused until it is done; the root is
 * rendered again as the restore starts and ends, see
 * engine/restore-after-end.ts). A deployment a newer one replaced keeps
 * them, as its root is not rendered again then: a click says it is no
 * longer the live one.
 */
export function flagControls(d: Deployment, standing: FlagStanding = LIVE): Block[] {
  const flag = flagState(d);
  const flipped = d.stages.some((s) => s.step.action === "setFlag" && s.status === "succeeded");
  const steerable = d.state === "running" || d.state === "monitoring" || d.state === "succeeded";
  if (!flag || !flipped || !steerable || d.abort || flag.pending || restoreHold(d, standing)) return [];
  const choices = FLAG_PERCENTS.filter((percent) => percent !== flag.percent);
  return [
    actions(
      "flag",
      choices.map((percent) =>
        percent === 0
          ? button("Flag off", flagActionId(percent), d.id, "danger", {
              title: `Turn ${flag.name} off?`,
              text: `Every request goes back to the code path without ${escapeMrkdwn(flag.name)}.`,
              yes: "Turn off",
            })
          : button(`Flag ${percent}%`, flagActionId(percent), d.id, percent === 100 ? "primary" : undefined),
      ),
    ),
  ];
}

const CHANGE_MARK: Record<FlagChange["status"], string> = { pending: "⏳", done: "✅", failed: "❌" };

/** The thread reply of one flag change, edited from pending to its outcome. */
export function renderFlagChange(d: Deployment, change: FlagChange): SlackMessage {
  const name = flagState(d)?.name ?? "flag";
  const outcome =
    change.status === "pending"
      ? "being set"
      : `${change.status === "done" ? "set" : "not set"} in ${formatDuration((change.finishedAt ?? change.at) - change.at)}`;
  const blocks: Block[] = [
    section(
      `${CHANGE_MARK[change.status]} 🚩 *${escapeMrkdwn(name)}* → ${change.percent}% ${outcome} · asked by <@${change.by}> at ${slackTime(change.at)}`,
    ),
  ];
  if (change.blocked) blocks.push(section(`Not made: ${flagRefusalText(change.blocked)}`));
  else if (change.status === "failed" && change.output) blocks.push(section(codeTail(change.output)));
  return fitMessage({ text: `${name} → ${change.percent}%: ${outcome}`, blocks });
}
