import type { Deployment } from "../../domain/deployment.js";
import { describeState } from "../../domain/deployment-state.js";
import type { RestoreAnswer, RestoreRefusal } from "../../engine/restore-request.js";
import { VIEW_IDS } from "../action-ids.js";
import { codeTail, escapeMrkdwn, fitMessage, type SlackMessage, section } from "./blocks.js";
import { rollbackAnswerText } from "./request-answer.js";

/*
 * Restore from backup in words: the refusals of `/rollback … --restore`, the
 * dialog that confirms it, and how the restore went, in the root message and
 * in the thread.
 */

/** Why a restore was refused, and what to do instead. */
export function restoreRefusalText(refusal: RestoreRefusal): string {
  switch (refusal.code) {
    case "forbidden":
      return `Not restored: ${refusal.reason}.`;
    case "no_restore_action":
      return `Not restored: the target of ${refusal.service} declares no restore action, so Slipway cannot restore a backup. Add target.actions.restore to its manifest, or roll back without --restore.`;
    case "nothing_live": {
      const { last } = refusal;
      const why = last
        ? `the last deployment of ${refusal.service} ${refusal.environment}, \`${last.id}\` (${escapeMrkdwn(last.version)}), ended ${describeState(last.state).toLowerCase()} with nothing of it live`
        : `Slipway has deployed nothing of ${refusal.service} to ${refusal.environment} yet`;
      return `Not restored: ${why}, so there is no deployment to roll back and restore.`;
    }
    case "no_backup": {
      const d = refusal.deployment;
      return `Not restored: \`${d.id}\` (${escapeMrkdwn(d.version)}) took no backup (no backup stage printed a \`backup-id: …\` line), so there is nothing to restore. Roll back without it: \`/rollback ${d.environment} ${d.service}\`.`;
    }
    default: {
      const unreachable: never = refusal;
      return unreachable;
    }
  }
}

/** The answer to a confirmed restore. */
export function restoreAnswerText(answer: RestoreAnswer): string {
  if (answer.code !== "restoring") return restoreRefusalText(answer);
  const rollback = rollbackAnswerText(answer.rollback);
  if (!answer.ok) return rollback;
  return `${rollback} Then backup \`${escapeMrkdwn(answer.backupId)}\`, taken by \`${answer.deployment.id}\`, is restored.`;
}

/** What the confirmation dialog carries to its submission. */
export interface RestoreDialogState {
  readonly service: string;
  readonly environment: string;
  readonly reason?: string;
  /** Where the command was typed: the answer goes there. */
  readonly channel: string;
}

/** The dialog that confirms a restore: what is rolled back, which backup, and what is lost. */
export function renderRestoreDialog(d: Deployment, backupId: string, state: RestoreDialogState) {
  const reason = state.reason ? `\nReason: ${escapeMrkdwn(state.reason)}` : "";
  return {
    type: "modal" as const,
    callback_id: VIEW_IDS.restoreConfirm,
    private_metadata: JSON.stringify(state),
    title: { type: "plain_text" as const, text: "Restore from backup" },
    submit: { type: "plain_text" as const, text: "Roll back and restore" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [
      section(
        `Roll back *${escapeMrkdwn(d.service)} ${escapeMrkdwn(d.environment)}* from ${escapeMrkdwn(d.version)} (\`${d.id}\`), then restore backup \`${escapeMrkdwn(backupId)}\`, which that deployment took before it deployed?${reason}\nAnything written since that backup is lost.`,
      ),
    ],
  };
}

/** What a submission of a dialog Slipway can no longer read shows instead. */
export function renderOutdatedRestoreDialog() {
  return {
    type: "modal" as const,
    title: { type: "plain_text" as const, text: "Restore from backup" },
    close: { type: "plain_text" as const, text: "Close" },
    blocks: [
      section("This dialog is out of date and nothing was done; type `/rollback <environment> --restore` again."),
    ],
  };
}

/** The restore, in one line of the root message. */
export function restoreLine(d: Deployment): string | undefined {
  const restore = d.restore;
  if (!restore) return undefined;
  const outcome = restore.ok === undefined ? "after the way back" : restore.ok ? "✅ restored" : "❌ failed";
  return `*Restore:* backup \`${escapeMrkdwn(restore.backupId)}\` (taken by \`${restore.takenBy}\`), asked by <@${restore.by}> — ${outcome}`;
}

/** The restore in the thread: asked, then how it went with the restore action's output. */
export function renderRestoreReply(d: Deployment): SlackMessage {
  const restore = d.restore;
  if (!restore) throw new RangeError(`deployment ${d.id} has no restore`);
  const id = `\`${escapeMrkdwn(restore.backupId)}\``;
  const head =
    restore.ok === undefined
      ? `♻️ *Restore of backup ${id}* (taken by \`${restore.takenBy}\`) asked by <@${restore.by}>: it runs after the way back`
      : restore.ok
        ? `♻️ *Backup ${id} restored* (taken by \`${restore.takenBy}\`), asked by <@${restore.by}>`
        : `❌ *Restoring backup ${id} failed* (taken by \`${restore.takenBy}\`), asked by <@${restore.by}>`;
  const blocks = [section(head), ...(restore.output ? [section(codeTail(restore.output))] : [])];
  return fitMessage({
    text:
      restore.ok === undefined
        ? `Restore of backup ${restore.backupId} asked`
        : `Backup ${restore.backupId} ${restore.ok ? "restored" : "not restored"}`,
    blocks,
  });
}
