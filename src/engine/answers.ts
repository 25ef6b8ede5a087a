import { z } from "zod";
import { DEPLOYMENT_STATES } from "../domain/deployment-state.js";
import type { FlagRefusal } from "../domain/feature-flag.js";
import type { VoteRefusal } from "../domain/policy.js";

/*
 * What the engine answers a person who voted, ticked a checklist item,
 * clicked a control, moved a feature flag, acknowledged an incident or asked
 * for a rollback: a code and the data its words need, never the words. The
 * words (and Slack's markup: dates, mentions) are the renderers'. A refusal
 * is kept as it is in the audit log, so refusals are zod schemas: an entry
 * written by another Slipway version is read back checked, not trusted.
 */

const deploymentId = z.string();
const state = z.enum(DEPLOYMENT_STATES);

/** What a person was refused, for the words that lead the reason ("Not counted: …", "Not done: …"). */
const ATTEMPTS = ["vote", "tick", "control", "flag", "rollback"] as const;

const voteRefusal = z.discriminatedUnion("code", [
  z.object({ code: z.literal("not_approver"), reason: z.string().optional() }),
  z.object({ code: z.literal("decided"), outcome: z.enum(["approved", "rejected"]) }),
  z.object({
    code: z.literal("already_voted"),
    decision: z.enum(["approve", "reject"]),
    at: z.number(),
    changed: z.boolean(),
  }),
  z.object({ code: z.literal("self_approval") }),
  z.object({ code: z.literal("no_reason") }),
]) satisfies z.ZodType<VoteRefusal>;

const flagRefusal = z.discriminatedUnion("code", [
  z.object({ code: z.literal("no_flag"), deploymentId }),
  z.object({ code: z.literal("not_flipped"), deploymentId, flag: z.string() }),
  z.object({ code: z.literal("not_steerable"), deploymentId, state }),
  z.object({ code: z.literal("not_live"), deploymentId, service: z.string(), environment: z.string() }),
  z.object({ code: z.literal("being_aborted"), deploymentId }),
  z.object({
    code: z.literal("restoring"),
    deploymentId,
    service: z.string(),
    environment: z.string(),
    restoringId: z.string(),
    backupId: z.string(),
  }),
  z.object({ code: z.literal("not_a_percentage"), percent: z.number() }),
  z.object({ code: z.literal("paused"), deploymentId, flag: z.string(), reason: z.string().optional() }),
  z.object({ code: z.literal("pending"), flag: z.string(), percent: z.number() }),
  z.object({ code: z.literal("already_at"), flag: z.string(), percent: z.number() }),
]) satisfies z.ZodType<FlagRefusal>;

function refusal<C extends string, S extends z.ZodRawShape>(code: C, shape: S) {
  return z.object({ ok: z.literal(false), code: z.literal(code), ...shape });
}

export const refusedAnswerSchema = z.discriminatedUnion("code", [
  refusal("not_a_deployment_id", {}),
  refusal("no_such_deployment", { deploymentId }),
  /** Refused by the permissions; `reason` says which role is needed. */
  refusal("forbidden", { attempted: z.enum(ATTEMPTS), reason: z.string() }),
  /** The user groups a permission names could not be looked up; `message` says why and what to check. */
  refusal("lookup_failed", { message: z.string() }),
  /** An approval or tick for a deployment no longer waiting for one. */
  refusal("not_waiting", { deploymentId, state, what: z.enum(["approve", "tick"]) }),
  /** The approval or checklist ran out of time at `expiredAt`; the deployment is now expired. */
  refusal("expired", { deploymentId, what: z.enum(["approval", "checklist"]), expiredAt: z.number() }),
  refusal("vote_refused", { refusal: voteRefusal }),
  /** The approval that would start it came while the environment is locked. */
  refusal("locked", {
    lock: z.object({ service: z.string(), environment: z.string(), owner: z.string(), reason: z.string() }),
  }),
  /** The approval that would start a sensitive deployment came outside its low-traffic window; `reason` says when it opens. */
  refusal("closed", { reason: z.string() }),
  refusal("no_item", { deploymentId, itemId: z.string() }),
  refusal("already_ticked", { title: z.string(), status: z.string(), by: z.string().optional() }),
  /** A control for a deployment that has ended. */
  refusal("ended", { deploymentId, state, control: z.string() }),
  refusal("already_rolling_back", { deploymentId }),
  refusal("not_running", { deploymentId, state, control: z.enum(["pause", "promote"]) }),
  refusal("already_paused", { by: z.string() }),
  refusal("not_paused", { deploymentId }),
  refusal("nothing_to_skip", { deploymentId }),
  refusal("flag_refused", { refusal: flagRefusal }),
  refusal("no_incident", { deploymentId }),
  refusal("already_acknowledged", { by: z.string() }),
  /** The deployment a rollback would have stopped ended meanwhile. */
  refusal("just_ended", { deploymentId }),
  /** The environment is held by the restore of `deploymentId`'s backup, asked after it ended. */
  refusal("restoring", { deploymentId, backupId: z.string() }),
  refusal("no_good_version", { service: z.string(), environment: z.string() }),
  refusal("only_one_good", { service: z.string(), environment: z.string(), current: z.string() }),
  refusal("already_runs", { service: z.string(), environment: z.string(), current: z.string() }),
  /** The version asked to go back to is not among the good ones (newest first). */
  refusal("not_good", {
    service: z.string(),
    environment: z.string(),
    target: z.string(),
    good: z.array(z.string()),
  }),
]);

export type RefusedAnswer = z.infer<typeof refusedAnswerSchema>;

/** What was done. */
type DoneAnswer =
  | { readonly ok: true; readonly code: "approved"; readonly deploymentId: string }
  | { readonly ok: true; readonly code: "rejected"; readonly deploymentId: string }
  | {
      readonly ok: true;
      readonly code: "approval_counted";
      readonly deploymentId: string;
      readonly approvals: number;
      readonly needed: number;
    }
  | { readonly ok: true; readonly code: "ticked"; readonly deploymentId: string; readonly title: string }
  | { readonly ok: true; readonly code: "paused"; readonly deploymentId: string }
  | { readonly ok: true; readonly code: "resumed"; readonly deploymentId: string }
  /** `skipped` are the traffic steps Promote skipped. */
  | {
      readonly ok: true;
      readonly code: "promoting";
      readonly deploymentId: string;
      readonly skipped: readonly string[];
    }
  | { readonly ok: true; readonly code: "aborting"; readonly deploymentId: string }
  /** Stopped before anything of `version` was deployed. */
  | { readonly ok: true; readonly code: "cancelled"; readonly deploymentId: string; readonly version: string }
  /** A flag change recorded as change `seq`, queued to set `flag` (undefined: the deployment names none) to `percent`. */
  | {
      readonly ok: true;
      readonly code: "flag_setting";
      readonly deploymentId: string;
      readonly flag: string | undefined;
      readonly percent: number;
      readonly seq: number;
    }
  | { readonly ok: true; readonly code: "acknowledged"; readonly deploymentId: string }
  /** A deployment under way rolled back where it stands, to `to` (undefined: no earlier version is known). */
  | {
      readonly ok: true;
      readonly code: "rolling_back";
      readonly deploymentId: string;
      readonly version: string;
      readonly to: string | undefined;
    }
  /** The environment deployed back from `from` to `to` by a new deployment. */
  | {
      readonly ok: true;
      readonly code: "rollback_started";
      readonly service: string;
      readonly environment: string;
      readonly from: string;
      readonly to: string;
      readonly deploymentId: string;
      readonly channel: string;
    };

export type Answer = DoneAnswer | RefusedAnswer;

export type AnswerOf<Code extends Answer["code"]> = Extract<Answer, { code: Code }>;

/** The answer to an approval or a rejection. */
export type VoteAnswer = AnswerOf<
  | "approved"
  | "rejected"
  | "approval_counted"
  | "not_a_deployment_id"
  | "no_such_deployment"
  | "forbidden"
  | "not_waiting"
  | "expired"
  | "vote_refused"
  | "locked"
  | "closed"
>;

/** The answer to a ticked checklist item. */
export type TickAnswer = AnswerOf<
  "ticked" | "lookup_failed" | "not_waiting" | "expired" | "no_item" | "already_ticked" | "forbidden"
>;

/** The answer to Pause, Resume, Promote or Abort. */
export type ControlAnswer = AnswerOf<
  | "paused"
  | "resumed"
  | "promoting"
  | "aborting"
  | "cancelled"
  | "forbidden"
  | "ended"
  | "already_rolling_back"
  | "not_running"
  | "already_paused"
  | "not_paused"
  | "nothing_to_skip"
>;

/** The answer to a flag button. */
export type FlagAnswer = AnswerOf<"flag_setting" | "forbidden" | "flag_refused">;

/** The answer to an incident's Acknowledge. */
export type AcknowledgeAnswer = AnswerOf<"acknowledged" | "no_incident" | "already_acknowledged">;
