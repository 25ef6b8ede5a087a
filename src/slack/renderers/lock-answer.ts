import type { LockOutcome, UnlockOutcome } from "../../engine/lock-environment.js";
import { planProblemText } from "./request-answer.js";
import { slackTime } from "./slack-time.js";

/** The answer to `/deploy lock`. */
export function renderLockAnswer(service: string, environment: string, outcome: LockOutcome): string {
  switch (outcome.code) {
    case "locked": {
      const { lock } = outcome;
      const until = lock.expiresAt === undefined ? "until someone unlocks it" : `until ${slackTime(lock.expiresAt)}`;
      return `🔒 Locked ${service} ${environment} ${until}: ${lock.reason}. No new deployment starts there meanwhile; \`/deploy unlock ${environment} ${service}\` lifts it.`;
    }
    case "already_locked":
      return `${service} ${environment} is already locked by <@${outcome.held.owner}> (${outcome.held.reason}) since ${slackTime(outcome.held.at)}.`;
    case "invalid":
      return planProblemText(outcome.problem);
    case "forbidden":
      return `Not locked: ${outcome.reason}.`;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}

/** The answer to `/deploy unlock`. */
export function renderUnlockAnswer(service: string, environment: string, outcome: UnlockOutcome): string {
  switch (outcome.code) {
    case "unlocked":
      return `🔓 Unlocked ${service} ${environment}.`;
    case "not_locked":
      return `${service} ${environment} was not locked; nothing changed.`;
    case "forbidden":
      return `Not unlocked: ${outcome.reason}.`;
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}
