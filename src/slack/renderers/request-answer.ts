import type { Deployment } from "../../domain/deployment.js";
import { slackTime } from "../../domain/policy.js";
import type { PlanProblem, RequestOutcome } from "../../engine/request-deployment.js";
import type { RollbackAnswer } from "../../engine/rollback-request.js";
import { requester } from "./blocks.js";

/** Why a request cannot be planned, for the person who asked. */
export function planProblemText(problem: PlanProblem): string {
  switch (problem.kind) {
    case "unknown_service":
      return `unknown service '${problem.service}'; known: ${problem.known.join(", ")}`;
    case "unknown_environment":
      return `${problem.service} has no environment '${problem.environment}'; it deploys to: ${problem.known.join(", ")}`;
    case "strategy_unsupported":
      return `the ${problem.strategy} strategy needs the target's ${problem.needs} action, which ${problem.service} does not declare; choose another strategy, or add target.actions.${problem.needs} to its manifest`;
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
      return `Dry run: ${service} ${outcome.version} → ${environment} (${plan.strategy}) would run: ${plan.steps.map((step) => step.name).join(" → ")}${approvals}. Nothing was queued.`;
    }
    case "invalid":
      return planProblemText(outcome.problem);
    case "forbidden":
      return `Not deployed: ${outcome.reason}.`;
    case "locked": {
      const { lock } = outcome;
      const until = lock.expiresAt === undefined ? "until someone unlocks it" : `until ${slackTime(lock.expiresAt)}`;
      return `${service} ${environment} is locked by <@${lock.owner}> (${lock.reason}) ${until}. Ask them, or \`/deploy unlock ${environment} ${service}\` if you may.`;
    }
    case "window":
      return `Not now: ${outcome.reason}.`;
    case "busy": {
      const { holder } = outcome;
      const who = holder
        ? `${holder.version} by ${requester(holder)}, ${holder.state.replace("_", " ")}`
        : "another deployment";
      return `${service} is already being deployed to ${environment} (\`${outcome.holderId}\`, ${who}). Follow it in its thread or with \`/deploy status\`, and deploy again when it has finished.${threadLink}`;
    }
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

function startedText(d: Deployment): string {
  const bypass = d.bypass ? ` ⚠️ Hotfix: the deployment ${d.bypass} was bypassed, and the audit log says so.` : "";
  return `Queued \`${d.id}\`: ${d.service} ${d.version} → ${d.environment} (${d.strategy}, ${d.stages.length} steps). Follow it in <#${d.channel}>.${bypass}`;
}

/** The answer to /rollback or a Roll back button. */
export function rollbackAnswerText(answer: RollbackAnswer): string {
  return "refused" in answer ? renderRequestAnswer(answer.refused.request, answer.refused.outcome) : answer.message;
}
