import { type Deployment, endedBack } from "../../domain/deployment.js";
import { describeState } from "../../domain/deployment-state.js";
import type { RestoreAnswer, RestorePlan, RestoreRefusal } from "../../engine/restore-request.js";
import { VIEW_IDS } from "../action-ids.js";
import { type Block, codeTail, escapeMrkdwn, fitMessage, requester, type SlackMessage, section } from "./blocks.js";
import { sectionBlocks, validationSummary } from "./checklist-items.js";
import { rollbackAnswerText } from "./request-answer.js";

/*
 * Restore from backup in words: the refusals of `/rollback … --restore`, the
 * dialog that confirms it, and how the restore went, in the root message and
 * in the thread. A restore asked after the deployment had ended back on the
 * earlier version (or after a /rollback deployment took the environment
 * back) runs alone, and says so.
 */

/**
 * How a deployment a restore after the end is asked for came back to the
 * earlier version, in words: "ended rolled back after its way back (v1.1.0
 * live again)", or for a /rollback deployment "took vault production back
 * from v1.2.0".
 */
function backWords(d: Deployment): string {
  if (!endedBack(d) && d.rollbackOf !== undefined) {
    return `took ${escapeMrkdwn(d.service)} ${escapeMrkdwn(d.environment)} back from ${escapeMrkdwn(d.rollbackOf)}`;
  }
  const live = d.previousVersion ? ` (${escapeMrkdwn(d.previousVersion)} live again)` : "";
  return `ended ${describeState(d.state).toLowerCase()} after its way back${live}`;
}

/** An already recorded restore, in words for a refusal to restore it again. */
function alreadyRestoredText(d: Deployment): string {
  const restore = d.restore;
  const backup = restore ? `backup \`${escapeMrkdwn(restore.backupId)}\`` : "its backup";
  const by = restore ? `, asked by <@${restore.by}>` : "";
  const how =
    restore?.ok === undefined
      ? `${backup} is being restored${by}; follow it in its thread`
      : restore.ok
        ? `${backup} was restored already${by}`
        : `restoring ${backup} failed${by} (its thread has the restore action's output); Slipway restores a backup once, so restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID=${escapeMrkdwn(restore.backupId)}`;
  return `Not restored again: \`${d.id}\` (${escapeMrkdwn(d.version)}) ${backWords(d)}, and ${how}.`;
}

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
    case "already_restored":
      return alreadyRestoredText(refusal.deployment);
    case "busy": {
      const { deployment: d, holder, restore } = refusal;
      const backup = escapeMrkdwn(restore.backupId);
      const what = holder ? ` (${escapeMrkdwn(holder.version)} by ${requester(holder)})` : "";
      return `Not restored: \`${refusal.holderId}\`${what} started deploying ${escapeMrkdwn(d.service)} to ${escapeMrkdwn(d.environment)} meanwhile, and a restore never runs beside a deployment. Backup \`${backup}\`, taken by \`${restore.takenBy}\`, is left as it was: once \`${refusal.holderId}\` has ended, restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID=${backup}.`;
    }
    case "replaced_unknown": {
      const d = refusal.deployment;
      return `Not restored: \`${d.id}\` (${escapeMrkdwn(d.version)}) ${backWords(d)}, but Slipway no longer keeps the deployment of ${escapeMrkdwn(d.rollbackOf ?? "")} it replaced, so it cannot tell which backup to restore. Restore it by hand with the target's restore action and SLIPWAY_BACKUP_ID set to the backup's id.`;
    }
    case "not_latest": {
      const { latest } = refusal;
      return `Not restored: this dialog was for \`${refusal.deploymentId}\`, but the latest deployment of ${escapeMrkdwn(refusal.service)} ${escapeMrkdwn(refusal.environment)} is now \`${latest.id}\` (${escapeMrkdwn(latest.version)}, ${describeState(latest.state).toLowerCase()}), so nothing was done. To restore for the latest one, ask again: \`/rollback ${escapeMrkdwn(refusal.environment)} ${escapeMrkdwn(refusal.service)} --restore\`.`;
    }
    case "no_backup": {
      const { deployment: d, rolledBackBy: r } = refusal;
      const instead = r
        ? `\`${r.id}\` (${escapeMrkdwn(r.version)}) ${backWords(r)} already.`
        : endedBack(d)
          ? `It ${backWords(d)} already.`
          : `Roll back without it: \`/rollback ${d.environment} ${d.service}\`.`;
      return `Not restored: \`${d.id}\` (${escapeMrkdwn(d.version)}) took no backup (no backup stage printed a \`backup-id: …\` line), so there is nothing to restore. ${instead}`;
    }
    default: {
      const unreachable: never = refusal;
      return unreachable;
    }
  }
}

/** The answer to a confirmed restore. */
export function restoreAnswerText(answer: RestoreAnswer): string {
  if (answer.code === "restoring_after_end") {
    const { deployment: d, takenBy } = answer;
    const backup = `backup \`${escapeMrkdwn(answer.backupId)}\``;
    const which =
      takenBy.id === d.id
        ? `only its backup comes back: ${backup}, which it took,`
        : `only the data comes back: ${backup}, which \`${takenBy.id}\` took before it deployed ${escapeMrkdwn(takenBy.version)},`;
    return `\`${d.id}\` (${escapeMrkdwn(d.version)}) ${backWords(d)}, so ${which} is being restored, then the post-rollback validation is checked again. Follow it in its thread.`;
  }
  if (answer.code !== "restoring") return restoreRefusalText(answer);
  const rollback = rollbackAnswerText(answer.rollback);
  if (!answer.ok) return rollback;
  return `${rollback} Then backup \`${escapeMrkdwn(answer.backupId)}\`, taken by \`${answer.deployment.id}\`, is restored.`;
}

/**
 * What the confirmation dialog carries to its submission, besides the id of
 * the deployment it asks about (its submission acts on that one only).
 */
export interface RestoreDialogState {
  readonly service: string;
  readonly environment: string;
  readonly reason?: string;
  /** Where the command was typed: the answer goes there. */
  readonly channel: string;
}

/** What `/rollback … --restore` answers while its dialog opens. */
export function restoreDialogPrompt(afterEnd: boolean): string {
  return afterEnd ? "Confirm the restore in the dialog." : "Confirm the rollback and the restore in the dialog.";
}

/**
 * The dialog that confirms a restore: what is rolled back, which backup, and
 * what is lost; or, for a deployment already back on the earlier version
 * (`afterEnd`: it ended back, or it is the /rollback deployment that took
 * the environment back), that only the backup is restored.
 */
export function renderRestoreDialog(plan: RestorePlan, state: RestoreDialogState) {
  const { deployment: d, takenBy, backupId } = plan;
  const reason = state.reason ? `\nReason: ${escapeMrkdwn(state.reason)}` : "";
  const back = takenBy.id === d.id ? "That deployment" : `\`${d.id}\` (${escapeMrkdwn(d.version)})`;
  const question = plan.afterEnd
    ? `Restore backup \`${escapeMrkdwn(backupId)}\` of *${escapeMrkdwn(d.service)} ${escapeMrkdwn(d.environment)}*, which \`${takenBy.id}\` took before it deployed ${escapeMrkdwn(takenBy.version)}? ${back} ${backWords(d)}, so only the restore runs, then the post-rollback validation.`
    : `Roll back *${escapeMrkdwn(d.service)} ${escapeMrkdwn(d.environment)}* from ${escapeMrkdwn(d.version)} (\`${d.id}\`), then restore backup \`${escapeMrkdwn(backupId)}\`, which that deployment took before it deployed?`;
  return {
    type: "modal" as const,
    callback_id: VIEW_IDS.restoreConfirm,
    private_metadata: JSON.stringify({ ...state, deploymentId: d.id }),
    title: { type: "plain_text" as const, text: "Restore from backup" },
    submit: { type: "plain_text" as const, text: plan.afterEnd ? "Restore" : "Roll back and restore" },
    close: { type: "plain_text" as const, text: "Cancel" },
    blocks: [section(`${question}${reason}\nAnything written since that backup is lost.`)],
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
  const pending = restore.afterEnd ? "under way" : "after the way back";
  const outcome = restore.ok === undefined ? pending : restore.ok ? "✅ restored" : "❌ failed";
  const validation = restore.validation ? `; validation ${validationSummary(restore.validation)}` : "";
  return `*Restore:* backup \`${escapeMrkdwn(restore.backupId)}\` (taken by \`${restore.takenBy}\`), asked by <@${restore.by}> — ${outcome}${validation}`;
}

/** The restore in the thread: asked, then how it went with the restore action's output. */
export function renderRestoreReply(d: Deployment): SlackMessage {
  const restore = d.restore;
  if (!restore) throw new RangeError(`deployment ${d.id} has no restore`);
  const id = `\`${escapeMrkdwn(restore.backupId)}\``;
  const head =
    restore.ok === undefined
      ? `♻️ *Restore of backup ${id}* (taken by \`${restore.takenBy}\`) asked by <@${restore.by}>: ${
          restore.afterEnd
            ? `${endedBack(d) ? "the deployment ended back" : "the rollback is done"} already, so it runs on its own now`
            : "it runs after the way back"
        }`
      : restore.ok
        ? `♻️ *Backup ${id} restored* (taken by \`${restore.takenBy}\`), asked by <@${restore.by}>`
        : `❌ *Restoring backup ${id} failed* (taken by \`${restore.takenBy}\`), asked by <@${restore.by}>`;
  // A restore after the end checks the post-rollback validation again; its results follow the output.
  const validation: Block[] = restore.validation
    ? [
        section(`🩺 *Post-rollback validation after the restore* — ${validationSummary(restore.validation)}`),
        ...sectionBlocks(restore.validation),
      ]
    : [];
  const blocks = [section(head), ...(restore.output ? [section(codeTail(restore.output))] : []), ...validation];
  return fitMessage({
    text:
      restore.ok === undefined
        ? `Restore of backup ${restore.backupId} asked`
        : `Backup ${restore.backupId} ${restore.ok ? "restored" : "not restored"}`,
    blocks,
  });
}
