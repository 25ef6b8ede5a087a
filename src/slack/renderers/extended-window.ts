import type { WatchEnd, WatchRollback } from "../../domain/monitoring-windows.js";
import { escapeMrkdwn } from "./blocks.js";

/*
 * How a succeeded deployment's extended window ended, in words: for its
 * root message (times as Slack date tokens) and its deployment record
 * (times as plain UTC, also in markdown).
 */

/** How an extended window ended, in words, with `time` writing its times. */
export function watchEndWords(ended: WatchEnd, time: (at: number) => string): string {
  switch (ended.outcome) {
    case "passed":
      return `✅ passed, ended ${time(ended.at)}`;
    case "no_data":
      return `❔ stopped ${time(ended.at)}, its metrics had no data: ${escapeMrkdwn(ended.summary)}`;
    case "superseded":
      return `ended ${time(ended.at)}: \`${ended.by}\` has since changed what runs here`;
    case "tripped":
      return `🚨 tripped ${time(ended.at)}: ${escapeMrkdwn(ended.summary)} — ${watchRollbackWords(ended.rollback)}`;
    default: {
      const unreachable: never = ended;
      return unreachable;
    }
  }
}

function watchRollbackWords(rollback: WatchRollback | undefined): string {
  if (rollback === undefined) return "Slipway is rolling it back";
  if (rollback.started) return `Slipway rolls it back to ${escapeMrkdwn(rollback.to)} in \`${rollback.deploymentId}\``;
  const newer = rollback.newer ? ` (\`${rollback.newer}\`)` : "";
  switch (rollback.code) {
    case "not_latest":
    case "busy":
      return `not rolled back: a newer deployment${newer} is under way here; Abort or /rollback it if it is the same code`;
    case "locked":
      return "not rolled back: the environment is locked; unlock it and /rollback";
    default:
      return `not rolled back (${escapeMrkdwn(rollback.code)}); /rollback takes it back`;
  }
}
