/*
 * Who may do what, and when an approval is complete.
 *
 * Everything here is pure: the caller resolves which Slack user groups a
 * person belongs to (`groupsNeeded` says which ones matter) and passes the
 * clock in. An authorization's refusal is a sentence for the person who was
 * refused, in Slack mrkdwn, naming who could do it instead; a vote's refusal
 * is a code and its data, worded by the renderers.
 */

export const ACTIONS = ["deploy", "approve", "rollback", "lock", "restore"] as const;
export type Action = (typeof ACTIONS)[number];

/** The word that, in place of a list of role names, lets everyone do an action. */
export const ANYONE = "anyone";

/**
 * The system actors: a push webhook and a schedule act as these names. A
 * permission's role list allows one by naming it (`deploy: [deployers, push]`);
 * `anyone` allows them too.
 */
export const SYSTEM_ACTORS = ["push", "schedule"] as const;
export type SystemActor = (typeof SYSTEM_ACTORS)[number];

export function isSystemActor(name: string): name is SystemActor {
  return (SYSTEM_ACTORS as readonly string[]).includes(name);
}

/** A named group of people: Slack user ids (`U…`/`W…`) and user-group ids (`S…`). */
export interface Role {
  readonly users?: readonly string[];
  readonly groups?: readonly string[];
}

export type Roles = Readonly<Record<string, Role>>;

/** `anyone`, or the roles of which a person needs at least one. */
export type RoleList = typeof ANYONE | readonly string[];

/** Role lists per action; an action left out is open to anyone. */
export type Permissions = Readonly<Partial<Record<Action, RoleList>>>;

export type Authorization = { allowed: true } | { allowed: false; reason: string };

export interface AuthorizeInput {
  readonly action: Action;
  readonly userId: string;
  /** Ids of the Slack user groups the user belongs to, resolved by the caller. */
  readonly userGroups: ReadonlySet<string>;
  readonly roles: Roles;
  /** The environment's permissions. */
  readonly permissions: Permissions;
  /** Named in refusals ("deploying to production …"); left out, the refusal names no environment. */
  readonly environment?: string;
}

const MAX_NAMED_USERS = 10;

function doing(action: Action, environment: string | undefined): string {
  switch (action) {
    case "deploy":
      return environment === undefined ? "deploying" : `deploying to ${environment}`;
    case "approve":
      return environment === undefined ? "approving deployments" : `approving deployments to ${environment}`;
    case "rollback":
      return environment === undefined ? "rolling back" : `rolling back ${environment}`;
    case "lock":
      return environment === undefined ? "locking deployments" : `locking ${environment}`;
    case "restore":
      return environment === undefined ? "restoring from backup" : `restoring ${environment} from backup`;
    default: {
      const unreachable: never = action;
      return unreachable;
    }
  }
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} or ${items.at(-1)}`;
}

/** "Slack users <@U1>, <@U2> or members of <!subteam^S1>" */
function describeMembers(role: Role | undefined): string {
  if (role === undefined) return "not defined in the manifest";
  const users = role.users ?? [];
  const groups = role.groups ?? [];
  const parts: string[] = [];
  if (users.length > 0) {
    const named = users.slice(0, MAX_NAMED_USERS).map((user) => `<@${user}>`);
    if (users.length > MAX_NAMED_USERS) named.push(`${users.length - MAX_NAMED_USERS} more`);
    parts.push(`${users.length === 1 ? "Slack user" : "Slack users"} ${named.join(", ")}`);
  }
  if (groups.length > 0) parts.push(`members of ${orList(groups.map((group) => `<!subteam^${group}>`))}`);
  return parts.length > 0 ? orList(parts) : "nobody is in it yet";
}

/** Whether the user is named in the role directly or through one of their groups. */
export function hasRole(role: Role | undefined, userId: string, userGroups: ReadonlySet<string>): boolean {
  if (role === undefined) return false;
  if (role.users?.includes(userId)) return true;
  return (role.groups ?? []).some((group) => userGroups.has(group));
}

/** Whether the user holds at least one of the roles; `anyone` lets everyone through. */
export function holdsAnyRole(
  roles: Roles,
  roleNames: RoleList,
  userId: string,
  userGroups: ReadonlySet<string>,
): boolean {
  if (roleNames === ANYONE) return true;
  return roleNames.some((name) => hasRole(roles[name], userId, userGroups));
}

/** What a person needs, for a refusal: "the role deployers (Slack users <@U1> or members of <!subteam^S1>)". */
export function describeRoleNeed(roles: Roles, roleNames: readonly string[]): string {
  const described = roleNames.map((name) => `${name} (${describeMembers(roles[name])})`);
  if (described.length === 0) return "a role, but none is listed in the manifest";
  return described.length === 1 ? `the role ${described[0]}` : `one of the roles ${orList(described)}`;
}

/** Decides whether `userId` may do `action` under the environment's permissions. */
export function authorize(input: AuthorizeInput): Authorization {
  const { action, userId, userGroups, roles, permissions, environment } = input;
  const needed = permissions[action] ?? ANYONE;
  if (holdsAnyRole(roles, needed, userId, userGroups)) return { allowed: true };
  const roleNames = needed === ANYONE ? [] : needed;
  if (roleNames.length === 0) {
    return {
      allowed: false,
      reason: `${doing(action, environment)} is allowed to nobody yet: the service manifest names the roles that may under permissions.${action}`,
    };
  }
  return {
    allowed: false,
    reason: `${doing(action, environment)} needs ${describeRoleNeed(roles, roleNames)}; ask one of them, or ask to be added to the role in the service manifest`,
  };
}

/**
 * Slipway itself may roll back, as its triggers already do, and nothing
 * else: no manifest grants it anything more.
 */
export function authorizeSlipway(action: Action, environment?: string): Authorization {
  return action === "rollback"
    ? { allowed: true }
    : { allowed: false, reason: `${doing(action, environment)} by Slipway itself is not allowed: it only rolls back` };
}

/** Decides whether a system actor (a push, a schedule) may do `action` under the environment's permissions. */
export function authorizeSystem(input: {
  readonly action: Action;
  readonly actor: SystemActor;
  readonly permissions: Permissions;
  readonly environment?: string;
}): Authorization {
  const needed = input.permissions[input.action] ?? ANYONE;
  if (needed === ANYONE || needed.includes(input.actor)) return { allowed: true };
  return {
    allowed: false,
    reason: `${doing(input.action, input.environment)} by ${input.actor} is not allowed: add ${input.actor} to permissions.${input.action} in the service manifest (e.g. ${input.action}: [${[...needed, input.actor].join(", ")}])`,
  };
}

/** The user-group ids the caller must resolve membership of to decide on these roles. */
export function groupsNeeded(roles: Roles, roleNames: RoleList): string[] {
  if (roleNames === ANYONE) return [];
  const groups = new Set<string>();
  for (const name of roleNames) {
    for (const group of roles[name]?.groups ?? []) groups.add(group);
  }
  return [...groups];
}

export interface TickInput {
  readonly userId: string;
  readonly userGroups: ReadonlySet<string>;
  readonly roles: Roles;
  /** The item's `tickedBy` roles; left out, whoever may deploy to the environment may tick it. */
  readonly tickedBy?: readonly string[];
  readonly permissions: Permissions;
  readonly environment?: string;
  /** The item's title, named in a refusal. */
  readonly title?: string;
}

/** Decides whether a person may tick a manual checklist item. */
export function authorizeTick(input: TickInput): Authorization {
  const { userId, userGroups, roles, tickedBy, permissions, environment, title } = input;
  if (tickedBy === undefined) {
    const allowed = authorize({ action: "deploy", userId, userGroups, roles, permissions, environment });
    if (allowed.allowed) return allowed;
    const what = title === undefined ? "this item" : `'${title}'`;
    return { allowed: false, reason: `ticking ${what} is for people who may deploy: ${allowed.reason}` };
  }
  if (holdsAnyRole(roles, tickedBy, userId, userGroups)) return { allowed: true };
  const what = title === undefined ? "this checklist item" : `'${title}'`;
  return {
    allowed: false,
    reason: `ticking ${what} needs ${describeRoleNeed(roles, tickedBy)}; ask one of them to tick it`,
  };
}

/* Approvals ---------------------------------------------------------------- */

export type Decision = "approve" | "reject";

export interface Vote {
  readonly userId: string;
  readonly decision: Decision;
  /** When the vote was cast, epoch milliseconds. */
  readonly at: number;
  /** Required for a rejection: what the requester should fix. */
  readonly reason?: string;
  /** Whether the voter holds the security role: counted on a sensitive deployment. */
  readonly security?: boolean;
}

/** The parts of an environment's approval policy that decide a vote. */
export interface VotePolicy {
  /** Distinct approvals needed. */
  readonly count: number;
  /** Whether the person who requested the deployment may approve it. */
  readonly allowSelfApproval: boolean;
  /** A sensitive deployment: one more approval than `count`, from someone holding the security role. */
  readonly security?: boolean;
}

export type ApprovalOutcome = "pending" | "approved" | "rejected";

export interface CastVoteInput {
  /** Votes so far, oldest first. */
  readonly votes: readonly Vote[];
  readonly vote: Vote;
  /** Slack user id of whoever requested the deployment. */
  readonly requestedBy: string;
  readonly policy: VotePolicy;
  /** Whether the voter may approve this environment: `authorize({ action: "approve", … })` or its boolean. */
  readonly allowed: boolean | Authorization;
}

export type CastVoteResult =
  | {
      ok: true;
      votes: Vote[];
      outcome: ApprovalOutcome;
      /** Distinct people who approved. */
      approvals: number;
      needed: number;
    }
  | { ok: false; refusal: VoteRefusal };

/** Why a vote was not counted. */
export type VoteRefusal =
  /** The voter may not approve; `reason` is the authorization's, naming who may. */
  | { readonly code: "not_approver"; readonly reason?: string | undefined }
  | { readonly code: "decided"; readonly outcome: "approved" | "rejected" }
  /** `at` is when the voter's first vote was cast; `changed` whether this one tried to change it. */
  | { readonly code: "already_voted"; readonly decision: Decision; readonly at: number; readonly changed: boolean }
  | { readonly code: "self_approval" }
  | { readonly code: "no_reason" };

export interface Tally {
  outcome: ApprovalOutcome;
  approvals: number;
  needed: number;
  /** On a sensitive deployment: whether someone holding the security role has approved. */
  securityApproved?: boolean;
}

/**
 * Any rejection rejects; otherwise `count` distinct approvers approve. A
 * sensitive deployment needs a security approver in addition to the quorum:
 * `count + 1` distinct approvers, at least one of them holding the security
 * role (the quorum's own approvers need not).
 */
export function tally(votes: readonly Vote[], policy: VotePolicy): Tally {
  const approvers = new Set<string>();
  let rejected = false;
  let securityApproved = false;
  for (const vote of votes) {
    if (vote.decision === "reject") rejected = true;
    else {
      approvers.add(vote.userId);
      if (vote.security) securityApproved = true;
    }
  }
  const needed = policy.count + (policy.security ? 1 : 0);
  const complete = approvers.size >= needed && (!policy.security || securityApproved);
  const outcome: ApprovalOutcome = rejected ? "rejected" : complete ? "approved" : "pending";
  return { outcome, approvals: approvers.size, needed, ...(policy.security ? { securityApproved } : {}) };
}

/**
 * Adds one vote if the rules allow it. Refused: a voter who may not approve,
 * the requester approving their own deployment (unless the policy allows
 * it), a second vote by the same person, a rejection without a reason, and
 * any vote once the outcome is decided.
 */
export function castVote(input: CastVoteInput): CastVoteResult {
  const { votes, vote, requestedBy, policy } = input;
  const allowed = typeof input.allowed === "boolean" ? input.allowed : input.allowed.allowed;
  if (!allowed) {
    const reason = typeof input.allowed === "object" && !input.allowed.allowed ? input.allowed.reason : undefined;
    return { ok: false, refusal: { code: "not_approver", reason } };
  }

  const before = tally(votes, policy);
  if (before.outcome !== "pending") return { ok: false, refusal: { code: "decided", outcome: before.outcome } };

  const previous = votes.find((earlier) => earlier.userId === vote.userId);
  if (previous !== undefined) {
    return {
      ok: false,
      refusal: {
        code: "already_voted",
        decision: previous.decision,
        at: previous.at,
        changed: previous.decision !== vote.decision,
      },
    };
  }

  if (vote.decision === "approve" && vote.userId === requestedBy && !policy.allowSelfApproval) {
    return { ok: false, refusal: { code: "self_approval" } };
  }

  if (vote.decision === "reject" && (vote.reason === undefined || vote.reason.trim() === "")) {
    return { ok: false, refusal: { code: "no_reason" } };
  }

  const next = [...votes, vote.reason === undefined ? vote : { ...vote, reason: vote.reason.trim() }];
  const after = tally(next, policy);
  return { ok: true, votes: next, ...after };
}

/** Whether an approval request created at `createdAt` has run out of time at `now`. */
export function isExpired(createdAt: number, expiresAfterMs: number, now: number): boolean {
  return now >= createdAt + expiresAfterMs;
}
