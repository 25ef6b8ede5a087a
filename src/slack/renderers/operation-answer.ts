import type { FlagBlock } from "../../domain/deployment.js";
import { isFinal } from "../../domain/deployment-state.js";
import type { FlagRefusal } from "../../domain/feature-flag.js";
import type { VoteRefusal } from "../../domain/policy.js";
import type { Answer, RefusedAnswer } from "../../engine/answers.js";
import { escapeMrkdwn } from "./blocks.js";
import { slackTime } from "./slack-time.js";

/*
 * The words of the engine's answers to a vote, a tick, a control, a flag
 * change, an acknowledgement or a rollback: what the person who clicked or
 * typed is told, and what the audit log shows of a refusal.
 */

/** How a refusal for a lack of permission begins, by what was attempted. */
const NOT_DONE: Readonly<Record<Extract<RefusedAnswer, { code: "forbidden" }>["attempted"], string>> = {
  vote: "Not counted",
  tick: "Not ticked",
  control: "Not done",
  flag: "Flag not changed",
  rollback: "Not rolled back",
};

function spoken(state: string): string {
  return state.replace("_", " ");
}

/** A vote that was not counted, after "Not counted: ". */
export function voteRefusalText(refusal: VoteRefusal): string {
  switch (refusal.code) {
    case "not_approver":
      return refusal.reason ?? "you are not one of the approvers of this environment; ask one of them to review it";
    case "decided":
      return `this deployment is already ${refusal.outcome}; nothing changed`;
    case "already_voted": {
      const change = refusal.changed ? "; a vote cannot be changed" : "";
      return `you already ${refusal.decision === "approve" ? "approved" : "rejected"} at ${slackTime(refusal.at)}${change}`;
    }
    case "self_approval":
      return "you requested this deployment, so you cannot approve it yourself; ask another approver (self-approval is off for this environment)";
    case "no_reason":
      return "a rejection needs a reason, so the requester knows what to fix; reject again and say why";
    default: {
      const unreachable: never = refusal;
      return unreachable;
    }
  }
}

/** Why a flag cannot move (or did not when its turn came), as a sentence. */
export function flagRefusalText(refusal: FlagRefusal | FlagBlock): string {
  switch (refusal.code) {
    case "no_flag":
      return `\`${refusal.deploymentId}\` is not a feature-flag deployment; it has no flag to set.`;
    case "not_flipped":
      return `\`${refusal.deploymentId}\` has not flipped ${refusal.flag} yet; wait for its flag step.`;
    case "not_steerable":
      return `\`${refusal.deploymentId}\` is ${spoken(refusal.state)}; its flag is no longer Slipway's to change.`;
    case "not_live":
      return `\`${refusal.deploymentId}\` is no longer the live deployment of ${refusal.service} ${refusal.environment}; change the flag from the live one.`;
    case "being_aborted":
      return `\`${refusal.deploymentId}\` is being aborted.`;
    case "restoring":
      return `\`${refusal.deploymentId}\` is still the live deployment of ${refusal.service} ${refusal.environment}, but backup \`${refusal.backupId}\` of \`${refusal.restoringId}\` is being restored there, then the post-rollback validation checked, and nothing changes the environment meanwhile. Follow it in that deployment's thread, and move the flag once it is done.`;
    case "not_a_percentage":
      return `${refusal.percent} is not a percentage; choose one from 0 to 100.`;
    case "paused":
      return `\`${refusal.deploymentId}\` is paused${refusal.reason ? ` (${refusal.reason})` : ""}: ${refusal.flag} may only go down meanwhile. Resume it first to raise the flag.`;
    case "pending":
      return `${refusal.flag} is still being set to ${refusal.percent}%; try again when that is done.`;
    case "already_at":
      return `${refusal.flag} is already at ${refusal.percent}%.`;
    default: {
      const unreachable: never = refusal;
      return unreachable;
    }
  }
}

/** The answer in words, for the person who asked (and, for a refusal, the audit log). */
export function answerText(answer: Answer): string {
  switch (answer.code) {
    case "approved":
      return `Approved; \`${answer.deploymentId}\` is starting.`;
    case "rejected":
      return `Rejected \`${answer.deploymentId}\`; the requester has been told why.`;
    case "approval_counted":
      return `Approval counted (${answer.approvals} of ${answer.needed}) for \`${answer.deploymentId}\`.`;
    case "ticked":
      return `Ticked '${answer.title}'.`;
    case "paused":
      return `Paused \`${answer.deploymentId}\`. The current step finishes; nothing new starts until someone resumes.`;
    case "resumed":
      return `Resumed \`${answer.deploymentId}\`.`;
    case "promoting":
      return `Promoting \`${answer.deploymentId}\`: skipped ${answer.skipped.join(", ")}; going to 100%.`;
    case "aborting":
      return `Aborting \`${answer.deploymentId}\`: traffic goes back to the stable version, then it is rolled back.`;
    case "cancelled":
      return `Cancelled \`${answer.deploymentId}\`; nothing of ${answer.version} had been deployed.`;
    case "flag_setting":
      return `Setting ${answer.flag ?? "the flag"} to ${answer.percent}% for \`${answer.deploymentId}\`; the thread says when it is done.`;
    case "acknowledged":
      return `Acknowledged the incident of \`${answer.deploymentId}\`.`;
    case "rolling_back":
      return `Rolling back \`${answer.deploymentId}\` (${answer.version}) to ${answer.to ?? "the previous version"}. Follow it in its thread.`;
    case "rollback_started":
      return `Rolling ${answer.service} ${answer.environment} back from ${answer.from} to ${answer.to} as \`${answer.deploymentId}\`. Follow it in <#${answer.channel}>.`;
    default:
      return refusalText(answer);
  }
}

function refusalText(answer: RefusedAnswer): string {
  switch (answer.code) {
    case "not_a_deployment_id":
      return "That is not a deployment id (they look like `d-7k3m9x2q`); nothing changed.";
    case "no_such_deployment":
      return `There is no deployment \`${answer.deploymentId}\`; \`/deploy status\` lists them.`;
    case "forbidden":
      return `${NOT_DONE[answer.attempted]}: ${answer.reason}.`;
    case "lookup_failed":
      return answer.message;
    case "not_waiting":
      return isFinal(answer.state)
        ? `\`${answer.deploymentId}\` has already ended (${spoken(answer.state)}); there is nothing left to ${answer.what}.`
        : `\`${answer.deploymentId}\` is not waiting for that (it is ${spoken(answer.state)}); nothing changed.`;
    case "expired":
      return answer.what === "approval"
        ? `Not counted: the approval of \`${answer.deploymentId}\` expired at ${slackTime(answer.expiredAt)}; deploy again to ask anew.`
        : `Not ticked: the checklist of \`${answer.deploymentId}\` expired at ${slackTime(answer.expiredAt)}.`;
    case "vote_refused":
      return `Not counted: ${voteRefusalText(answer.refusal)}.`;
    case "locked": {
      const { lock } = answer;
      return `Not counted: ${lock.service} ${lock.environment} is locked by <@${lock.owner}> (${lock.reason}); approve again once it is unlocked.`;
    }
    case "closed":
      return `Not counted: ${answer.reason}; approve again then.`;
    case "no_item":
      return `\`${answer.deploymentId}\` has no checklist item '${answer.itemId}'.`;
    case "already_ticked":
      return `'${answer.title}' is already ${answer.status}${answer.by ? ` by <@${answer.by}>` : ""}; nothing changed.`;
    case "ended":
      return `\`${answer.deploymentId}\` has already ended (${spoken(answer.state)}); nothing to ${answer.control}.`;
    case "already_rolling_back":
      return `\`${answer.deploymentId}\` is already on its way back; nothing changed.`;
    case "not_running":
      return answer.control === "pause"
        ? `Only a running deployment can be paused; \`${answer.deploymentId}\` is ${spoken(answer.state)}.`
        : `Only a running rollout can be promoted; \`${answer.deploymentId}\` is ${spoken(answer.state)}.`;
    case "already_paused":
      return `Already paused by <@${answer.by}>.`;
    case "not_paused":
      return `\`${answer.deploymentId}\` is not paused; nothing changed.`;
    case "nothing_to_skip":
      return `\`${answer.deploymentId}\` has no traffic steps left to skip.`;
    case "flag_refused":
      return flagRefusalText(answer.refusal);
    case "no_incident":
      return `\`${answer.deploymentId}\` has no incident to acknowledge.`;
    case "already_acknowledged":
      return `Already acknowledged by <@${answer.by}>.`;
    case "just_ended":
      return `\`${answer.deploymentId}\` has just ended; try again.`;
    case "restoring":
      return `Backup \`${escapeMrkdwn(answer.backupId)}\` of \`${answer.deploymentId}\` is being restored, then the post-rollback validation checked, and nothing else changes the environment meanwhile; follow it in that deployment's thread, and ask again once it is done.`;
    case "no_good_version":
      return `${answer.service} has no successful deployment in ${answer.environment} yet, so there is nothing to roll back to.`;
    case "only_one_good":
      return `${answer.service} ${answer.environment} has had only one good version (${answer.current}); there is no earlier one to roll back to. Deploy a fix instead, or name a version: \`/rollback ${answer.environment} ${answer.service} v1.2.3\`.`;
    case "already_runs":
      return `${answer.service} ${answer.environment} already runs ${answer.current}; nothing to roll back.`;
    case "not_good":
      return `${answer.target} never succeeded in ${answer.service} ${answer.environment} (or was rolled back), so Slipway will not go back to it. Good versions: ${answer.good.slice(0, 8).join(", ")}.`;
    default: {
      const unreachable: never = answer;
      return unreachable;
    }
  }
}
