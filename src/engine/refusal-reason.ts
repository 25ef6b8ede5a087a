import type { RequestOutcome } from "./request-deployment.js";

/** The answers of `requestDeployment` that refuse a request for a reason a channel can be told. */
export type Refusal = Extract<
  RequestOutcome,
  { code: "locked" | "window" | "forbidden" | "invalid" | "unknown_version" | "promotion" }
>;

export function isRefusal(outcome: RequestOutcome): outcome is Refusal {
  switch (outcome.code) {
    case "locked":
    case "window":
    case "forbidden":
    case "invalid":
    case "unknown_version":
    case "promotion":
      return true;
    default:
      return false;
  }
}

/** A refusal's data for a channel's notice: the lock's owner and reason, or the refusal's reason. */
export function refusalReason(outcome: Refusal): { owner?: string; reason: string } {
  switch (outcome.code) {
    case "locked":
      return { owner: outcome.lock.owner, reason: outcome.lock.reason };
    case "invalid":
      return { reason: outcome.problem.kind };
    case "unknown_version":
      return { reason: outcome.repository };
    case "promotion":
      return { reason: `${outcome.refusal.code} in ${outcome.refusal.rule.environment}` };
    case "window":
    case "forbidden":
      return { reason: outcome.reason };
    default: {
      const unreachable: never = outcome;
      return unreachable;
    }
  }
}
