import { type Deployment, restoringAfterEnd } from "../../domain/deployment.js";
import { describeState } from "../../domain/deployment-state.js";
import { formatDuration } from "../../domain/progress.js";
import type { PromotionRefusal } from "../../domain/promotion.js";
import { SECURITY_ROLE, type SensitiveNeed } from "../../domain/sensitive.js";
import type { PlanProblem, RequestOutcome } from "../../engine/request-deployment.js";
import type { RollbackAnswer } from "../../engine/rollback-request.js";
import { ACTION_IDS } from "../action-ids.js";
import { encodeRequest } from "../waiting-buttons.js";
import { actions, button, escapeMrkdwn, requester, type SlackMessage, section } from "./blocks.js";
import { hotfixPathStarted } from "./hotfix-path.js";
import { answerText } from "./operation-answer.js";
import { slackDateTime, slackTime } from "./slack-time.js";
import { cancelButton, waitingAnswerText } from "./waiting-line.js";

/**
 * The deployment whose backup `d` (which holds its environment while it is
 * restored) restores, in words: "`d-1` (v1.2.0, rolled back)", or, for a
 * /rollback deployment, "`d-1` (v1.2.0, taken back by `d-2`)".
 */
function backupSourceWords(d: Deployment, takenBy: string): string {
  return takenBy === d.id || d.rollbackOf === undefined
    ? `\`${takenBy}\` (${escapeMrkdwn(d.version)}, ${describeState(d.state).toLowerCase()})`
    : `\`${takenBy}\` (${escapeMrkdwn(d.rollbackOf)}, taken back by \`${d.id}\`)`;
}

/** What a manifest must add before a sensitive deployment can run. */
const SENSITIVE_NEEDS: Readonly<Record<SensitiveNeed, string>> = {
  "security-role": `a '${SECURITY_ROLE}' role (roles.${SECURITY_ROLE}) whose members approve it`,
  "incident-channel": "an incident channel (channels.incidents) for the security team's heads-ups",
  "low-traffic-window": "a low-traffic window (windows.lowTraffic) to run in",
};

/** Why a request cannot be planned, for the person who asked. */
export function planProblemText(problem: PlanProblem): string {
  switch (problem.kind) {
    case "unknown_service":
      return `unknown service '${problem.service}'; known: ${problem.known.join(", ")}`;
    case "unknown_environment":
      return `${problem.service} has no environment '${problem.environment}'; it deploys to: ${problem.known.join(", ")}`;
    case "strategy_unsupported":
      return `the ${problem.strategy} strategy needs the target's ${problem.needs} action, which ${problem.service} does not declare; choose another strategy, or add target.actions.${problem.needs} to its manifest`;
    case "hotfix_not_allowed":
      return `${problem.environment} of ${problem.service} takes no hotfixes (hotfix.allowed is false in its manifest); deploy without --hotfix, through the usual path`;
    case "sensitive_unprepared":
      return `a sensitive deployment of ${problem.service} to ${problem.environment} needs ${problem.missing.map((need) => SENSITIVE_NEEDS[need]).join(", and ")}; add it to the manifest (\`slipway validate\` shows how), or deploy without --sensitive`;
    default: {
      const unreachable: never = problem;
      return unreachable;
    }
  }
}

/** The ephemeral answer to a deployment request. `threadLink` follows a busy refusal (" Its thread: <…>"). */
export function renderRequestAnswer(
  request: { readonly service: string; readonly environment: string },
  outcome: RequestOutcome,
  threadLink = "",
): string {
  const { service, environment } = request;
  switch (outcome.code) {
    case "started":
      return startedText(outcome.deployment);
    case "dry_run": {
      const { plan } = outcome;
      const approvals = plan.approvals > 0 ? `, after ${plan.approvals} approval(s)` : "";
      const steps = (list: readonly { readonly name: string }[]) => list.map((step) => step.name).join(" → ");
      const first = plan.firstLeg
        ? `${plan.firstLeg.environment} first (hotfix path) would run: ${steps(plan.firstLeg.steps)}; then `
        : "";
      return `Dry run: ${service} ${outcome.version} → ${first}${environment} (${plan.strategy}) would run: ${steps(plan.steps)}${approvals}. Nothing was queued.`;
    }
    case "invalid":
      return planProblemText(outcome.problem);
    case "forbidden":
      return `Not deployed: ${outcome.reason}.`;
    case "locked": {
      const { lock } = outcome;
      const until = lock.expiresAt === undefined ? "until someone unlocks it" : `until ${slackTime(lock.expiresAt)}`;
      return `${lock.service} ${lock.environment} is locked by <@${lock.owner}> (${lock.reason}) ${until}. Ask them, or \`/deploy unlock ${lock.environment} ${lock.service}\` if you may.`;
    }
    case "window":
      return `Not now: ${outcome.reason}.`;
    case "unknown_version":
      return `${outcome.version} is not a tag or commit in ${outcome.repository}; Slipway deploys only versions git knows: push the tag (git push origin ${outcome.version}) and deploy again.`;
    case "promotion":
      return promotionRefusalText(outcome.refusal, { version: outcome.version, environment }, outcome.at);
    case "busy": {
      const { holder } = outcome;
      // A hotfix path's first environment is the one held: the path is not queued, it is asked for again.
      const first = firstLegHeld(environment, outcome);
      const where = first ? `The hotfix goes to ${escapeMrkdwn(first)} first, and ` : "";
      if (holder?.restore && restoringAfterEnd(holder)) {
        const { restore } = holder;
        const then = first
          ? "ask for the hotfix again once the restore has finished"
          : "Queue it (or deploy with `--queue`) to start yours by itself when the restore has finished";
        return `${where}${service} ${escapeMrkdwn(holder.environment)} is busy restoring a backup: \`${escapeMrkdwn(restore.backupId)}\`, taken by ${backupSourceWords(holder, restore.takenBy)}, asked by <@${restore.by}>, then the post-rollback validation. Nothing deploys there until it is done; follow it in that deployment's thread${first ? ", and " : ". "}${then}.${threadLink}`;
      }
      const who = holder
        ? `${holder.version} by ${requester(holder)}, ${holder.state.replace("_", " ")}`
        : "another deployment";
      const then = first
        ? "ask for the hotfix again once it has finished"
        : "Queue it (or deploy with `--queue`) to start yours by itself when it has finished";
      return `${where}${service} is already being deployed to ${escapeMrkdwn(first ?? environment)} (\`${outcome.holderId}\`, ${who}). Follow it in its thread or with \`/deploy status\`; ${then}.${threadLink}`;
    }
    case "queued":
    case "scheduled":
      return waitingAnswerText(outcome);
    case "repeated":
      return "Slipway has already received this request (a retry or a replay of it); its first answer stands.";
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/** The first environment of a hotfix path, when that is what a busy refusal found held (not the one asked for). */
function firstLegHeld(environment: string, outcome: Extract<RequestOutcome, { code: "busy" }>): string | undefined {
  const held = outcome.holder?.environment;
  return held !== undefined && held !== environment ? held : undefined;
}

/**
 * The answer to a deployment request as a message: the words, and the
 * button that does what they offer — Queue it for a busy environment,
 * Schedule for the next window outside the windows, Cancel for one now
 * waiting.
 */
export function renderRequestMessage(
  request: Parameters<typeof encodeRequest>[0],
  outcome: RequestOutcome,
  threadLink = "",
): SlackMessage {
  const text = renderRequestAnswer(request, outcome, threadLink);
  const offer = (() => {
    switch (outcome.code) {
      case "busy":
        return firstLegHeld(request.environment, outcome)
          ? undefined
          : button("Queue it", ACTION_IDS.queueIt, encodeRequest(request), "primary");
      case "window":
        return outcome.opensAt === undefined
          ? undefined
          : button("Schedule for the next window", ACTION_IDS.scheduleWindow, encodeRequest(request), "primary");
      case "queued":
      case "scheduled":
        return cancelButton(outcome.waiting);
      default:
        return undefined;
    }
  })();
  return { text, blocks: [section(text), ...(offer ? [actions("request_answer", [offer])] : [])] };
}

/**
 * A promotion refusal in words: what is missing and when the version can go.
 * A hotfix waives the soak, and takes a version that never passed through the
 * required environment first (the hotfix path); a troubled one it cannot fix.
 */
export function promotionRefusalText(
  refusal: PromotionRefusal,
  subject: { readonly version: string; readonly environment: string },
  now: number,
): string {
  const { version, environment } = subject;
  const required = refusal.rule.environment;
  const needs = `${environment} needs ${refusal.rule.soakMs > 0 ? `${formatDuration(refusal.rule.soakMs)} of ${required}` : `a success in ${required}`}`;
  switch (refusal.code) {
    case "never-passed":
      return `${version} has not succeeded in ${required}; ${needs}. Deploy it to ${required} first, or \`--hotfix\` for an urgent fix (${required} first with its short soak, then ${environment} by itself).`;
    case "too-early":
      return `${version} passed ${required} ${formatDuration(now - refusal.passedAt)} ago; ${needs} — from ${slackDateTime(refusal.readyAt)}, or \`--hotfix\` for an urgent fix.`;
    case "troubled": {
      const what = refusal.how === "rolled_back" ? "was rolled back from" : "failed in";
      return `${version} ${what} ${required} at ${slackDateTime(refusal.at)}, after its last success there; ${needs}. Fix it and deploy the fix to ${required} first.`;
    }
    default: {
      const unreachable: never = refusal;
      return unreachable;
    }
  }
}

function startedText(d: Deployment): string {
  const path = hotfixPathStarted(d);
  if (path) return path;
  const bypass = d.bypass ? ` ⚠️ Hotfix: the deployment ${d.bypass} was bypassed, and the audit log says so.` : "";
  return `Queued \`${d.id}\`: ${d.service} ${d.version} → ${d.environment} (${d.strategy}, ${d.stages.length} steps). Follow it in <#${d.channel}>.${bypass}`;
}

/** The answer to /rollback or a Roll back button. */
export function rollbackAnswerText(answer: RollbackAnswer): string {
  switch (answer.code) {
    case "nothing_deployed": {
      const d = answer.from;
      return `Nothing of ${d.version} was deployed by \`${d.id}\`, so there is nothing of it to roll back. To take ${d.environment} back further, ${rollbackInstead(d)}`;
    }
    case "not_latest": {
      const d = answer.from;
      return `\`${d.id}\` is no longer the latest deployment of ${d.service} ${d.environment}${answer.newer ? ` (\`${answer.newer}\` is)` : ""}; ${rollbackInstead(d)}`;
    }
    case "request_refused":
      return renderRequestAnswer(answer.request, answer.outcome);
    default:
      return answerText(answer);
  }
}

function rollbackInstead(d: Deployment): string {
  return `use \`/rollback ${d.environment} ${d.service}\` instead.`;
}
