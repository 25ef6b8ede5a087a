/*
 * The seed's post-deployment review: five questions asked in the thread
 * after a rollback, a hotfix or a failed production deployment (or after
 * every deployment of an environment that asks), answered in a modal and
 * kept with the deployment record under "Lessons Learned".
 */
import type { DeploymentState } from "./deployment-state.js";

export const REVIEW_QUESTIONS = [
  { key: "wentWell", question: "What went well?", lesson: "What went well" },
  { key: "tookLonger", question: "What took longer than expected?", lesson: "What took longer than expected" },
  { key: "surprises", question: "Were there any surprises?", lesson: "Surprises" },
  { key: "improve", question: "How can we improve?", lesson: "How we can improve" },
  {
    key: "procedures",
    question: "What should change in the deployment procedures?",
    lesson: "Update to the deployment procedures",
  },
] as const;

export type ReviewKey = (typeof REVIEW_QUESTIONS)[number]["key"];
export type ReviewAnswers = Readonly<Partial<Record<ReviewKey, string>>>;

export interface Review {
  readonly by: string;
  readonly at: number;
  readonly answers: ReviewAnswers;
}

/** When an environment asks for a review: after trouble (rollback, hotfix, failure), after every deployment, or never. */
export const REVIEW_WHEN = ["trouble", "every", "never"] as const;
export type ReviewWhen = (typeof REVIEW_WHEN)[number];

export interface ReviewPolicy {
  readonly after: ReviewWhen;
  /** How long after the end a reminder is posted if nobody has answered. */
  readonly remindAfterMs: number;
}

/** The environment whose troubles ask for a review, and whose rollbacks make an incident record, by default. */
export const PRODUCTION = "production";
/** A day: when the reminder comes if the manifest does not say. */
export const DEFAULT_REMIND_AFTER_MS = 24 * 3_600_000;

/** Whether a deployment that ended so asks for the review. Deployments that never ran (rejected, expired) never do. */
export function reviewWanted(
  d: {
    readonly state: DeploymentState;
    readonly hotfix: boolean;
    readonly rollbackOf?: string | undefined;
    readonly ran: boolean;
  },
  after: ReviewWhen,
): boolean {
  if (!d.ran) return false;
  switch (after) {
    case "never":
      return false;
    case "every":
      return true;
    case "trouble":
      return d.state === "failed" || d.state === "rolled_back" || d.hotfix || d.rollbackOf !== undefined;
    default: {
      const unreachable: never = after;
      return unreachable;
    }
  }
}
