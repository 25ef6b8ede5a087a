import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import {
  type Action,
  authorize,
  authorizeTick,
  castVote,
  groupsNeeded,
  isExpired,
  tally,
  type Vote,
} from "../../../src/domain/policy.js";
import { parseManifest, type ServiceManifest } from "../../../src/manifests/schema.js";

const MANIFEST = `
service: web
channels: { deploy: C0DEPLOYS }
roles:
  deployers: { users: [U0DEPLOY1, U0DEPLOY2], groups: [S0RELEASE] }
  approvers: { users: [U0APPROVE1, U0APPROVE2, U0APPROVE3] }
  oncall: { groups: [S0ONCALL] }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
environments:
  development:
    stages: [{ name: deploy, action: deploy }]
  staging:
    permissions: { deploy: [deployers], rollback: [deployers, oncall] }
    stages: [{ name: deploy, action: deploy }]
  production:
    approval: { count: 2, approvers: [approvers] }
    permissions: { deploy: [deployers], rollback: [deployers, oncall], lock: [deployers] }
    stages: [{ name: deploy, action: deploy }]
  sandbox:
    approval: { count: 1, allowSelfApproval: true }
    stages: [{ name: deploy, action: deploy }]
`;

function manifest(): ServiceManifest {
  const result = parseManifest(parse(MANIFEST));
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.manifest;
}

const web = manifest();
const T0 = Date.UTC(2026, 2, 2, 14, 2);

type Expected = "allowed" | "refused" | "pending" | "approved" | "refused-self";

interface Row {
  environment: string;
  action: Action;
  user: string;
  groups?: string[];
  /** For approve rows: who requested the deployment, and who approved before. */
  requester?: string;
  before?: string[];
  expected: Expected;
}

/**
 * Runs the whole decision: authorize, and for an approval also cast the vote
 * against the environment's resolved policy.
 */
function decide(row: Row): Expected {
  const env = web.environments[row.environment];
  if (env === undefined) throw new Error(`no environment ${row.environment}`);
  const allowed = authorize({
    action: row.action,
    userId: row.user,
    userGroups: new Set(row.groups ?? []),
    roles: web.roles,
    permissions: env.permissions,
    environment: row.environment,
  });
  if (row.action !== "approve") return allowed.allowed ? "allowed" : "refused";
  const votes: Vote[] = (row.before ?? []).map((userId, i) => ({ userId, decision: "approve", at: T0 + i }));
  const result = castVote({
    votes,
    vote: { userId: row.user, decision: "approve", at: T0 + 100 },
    requestedBy: row.requester ?? "U0DEPLOY1",
    policy: env.approval,
    allowed,
  });
  if (!result.ok) return result.refusal.code === "self_approval" ? "refused-self" : "refused";
  return result.outcome === "approved" ? "approved" : "pending";
}

const rows: Row[] = [
  // development: everything open to anyone, no approval needed (but a vote still counts)
  { environment: "development", action: "deploy", user: "U0STRANGER", expected: "allowed" },
  { environment: "development", action: "rollback", user: "U0STRANGER", expected: "allowed" },
  { environment: "development", action: "lock", user: "U0STRANGER", expected: "allowed" },
  { environment: "development", action: "approve", user: "U0STRANGER", requester: "U0DEPLOY1", expected: "approved" },
  // staging: deploy restricted to deployers (directly or through the group), rollback also on-call
  { environment: "staging", action: "deploy", user: "U0DEPLOY1", expected: "allowed" },
  { environment: "staging", action: "deploy", user: "U0RELENG", groups: ["S0RELEASE"], expected: "allowed" },
  { environment: "staging", action: "deploy", user: "U0STRANGER", expected: "refused" },
  { environment: "staging", action: "deploy", user: "U0STRANGER", groups: ["S0OTHER"], expected: "refused" },
  { environment: "staging", action: "rollback", user: "U0SRE", groups: ["S0ONCALL"], expected: "allowed" },
  { environment: "staging", action: "rollback", user: "U0APPROVE1", expected: "refused" },
  { environment: "staging", action: "lock", user: "U0STRANGER", expected: "allowed" },
  // production: deployers deploy and lock, approvers approve with a quorum of 2
  { environment: "production", action: "deploy", user: "U0DEPLOY2", expected: "allowed" },
  { environment: "production", action: "deploy", user: "U0APPROVE1", expected: "refused" },
  { environment: "production", action: "deploy", user: "U0SRE", groups: ["S0ONCALL"], expected: "refused" },
  { environment: "production", action: "rollback", user: "U0SRE", groups: ["S0ONCALL"], expected: "allowed" },
  { environment: "production", action: "lock", user: "U0SRE", groups: ["S0ONCALL"], expected: "refused" },
  { environment: "production", action: "lock", user: "U0DEPLOY1", expected: "allowed" },
  { environment: "production", action: "approve", user: "U0DEPLOY2", expected: "refused" },
  { environment: "production", action: "approve", user: "U0APPROVE1", expected: "pending" },
  { environment: "production", action: "approve", user: "U0APPROVE2", before: ["U0APPROVE1"], expected: "approved" },
  {
    environment: "production",
    action: "approve",
    user: "U0APPROVE1",
    requester: "U0APPROVE1",
    expected: "refused-self",
  },
  {
    environment: "production",
    action: "approve",
    user: "U0APPROVE1",
    before: ["U0APPROVE1"],
    expected: "refused",
  },
  // sandbox: approval by anyone, quorum of 1, self-approval allowed
  { environment: "sandbox", action: "approve", user: "U0DEPLOY1", requester: "U0DEPLOY1", expected: "approved" },
  { environment: "sandbox", action: "approve", user: "U0STRANGER", requester: "U0DEPLOY1", expected: "approved" },
  { environment: "sandbox", action: "deploy", user: "U0STRANGER", expected: "allowed" },
];

describe("policy table", () => {
  it("has at least 20 rows", () => {
    expect(rows.length).toBeGreaterThanOrEqual(20);
  });

  it.each(rows)(
    "$environment $action by $user (groups $groups, requested by $requester, before $before) → $expected",
    (row) => {
      expect(decide(row)).toBe(row.expected);
    },
  );
});

describe("authorize", () => {
  it("names the role and its members in a refusal", () => {
    const result = authorize({
      action: "deploy",
      userId: "U9",
      userGroups: new Set(),
      roles: { deployers: { users: ["U1", "U2"], groups: ["S1"] } },
      permissions: { deploy: ["deployers"] },
      environment: "production",
    });

    expect(result.allowed).toBe(false);
    if (result.allowed) return;
    expect(result.reason).toContain(
      "deploying to production needs the role deployers (Slack users <@U1>, <@U2> or members of <!subteam^S1>)",
    );
    expect(result.reason).toContain("ask one of them");
  });

  it("lists every role that would do, for each action", () => {
    const refusal = (action: Action) => {
      const result = authorize({
        action,
        userId: "U9",
        userGroups: new Set(),
        roles: { deployers: { users: ["U1"] }, oncall: { groups: ["S2"] } },
        permissions: { [action]: ["deployers", "oncall"] },
        environment: "staging",
      });
      return result.allowed ? "" : result.reason;
    };

    expect(refusal("rollback")).toMatch(
      /^rolling back staging needs one of the roles deployers \(Slack user <@U1>\) or oncall \(members of <!subteam\^S2>\)/,
    );
    expect(refusal("approve")).toMatch(/^approving deployments to staging needs/);
    expect(refusal("lock")).toMatch(/^locking staging needs/);
  });

  it("refuses an action whose permission names no role, saying where to name one", () => {
    expect(
      authorize({
        action: "restore",
        userId: "U1",
        userGroups: new Set(),
        roles: { deployers: { users: ["U1"] } },
        permissions: { restore: [] },
        environment: "production",
      }),
    ).toEqual({
      allowed: false,
      reason:
        "restoring production from backup is allowed to nobody yet: the service manifest names the roles that may under permissions.restore",
    });
  });

  it("lets anyone through when the action has no permission or says anyone", () => {
    const base = { userId: "U9", userGroups: new Set<string>(), roles: {} };
    expect(authorize({ ...base, action: "deploy", permissions: {} })).toEqual({ allowed: true });
    expect(authorize({ ...base, action: "deploy", permissions: { deploy: "anyone" } })).toEqual({ allowed: true });
  });

  it("refuses, and says so, when a listed role is not defined", () => {
    const result = authorize({
      action: "deploy",
      userId: "U1",
      userGroups: new Set(),
      roles: {},
      permissions: { deploy: ["ghosts"] },
    });
    expect(result).toEqual({
      allowed: false,
      reason:
        "deploying needs the role ghosts (not defined in the manifest); ask one of them, or ask to be added to the role in the service manifest",
    });
  });
});

describe("groupsNeeded", () => {
  it("returns the distinct user groups of the roles, none for anyone", () => {
    const roles = { a: { users: ["U1"], groups: ["S1", "S2"] }, b: { groups: ["S2", "S3"] }, c: { users: ["U2"] } };
    expect(groupsNeeded(roles, ["a", "b", "c"])).toEqual(["S1", "S2", "S3"]);
    expect(groupsNeeded(roles, ["c"])).toEqual([]);
    expect(groupsNeeded(roles, ["missing"])).toEqual([]);
    expect(groupsNeeded(roles, "anyone")).toEqual([]);
  });
});

describe("authorizeTick", () => {
  const roles = { deployers: { users: ["U1"] }, security: { users: ["U5"] } };

  it("defaults to whoever may deploy", () => {
    const input = { userGroups: new Set<string>(), roles, permissions: { deploy: ["deployers"] } };
    expect(authorizeTick({ ...input, userId: "U1" })).toEqual({ allowed: true });
    const refused = authorizeTick({ ...input, userId: "U5", title: "Communication plan ready" });
    expect(refused.allowed).toBe(false);
    if (!refused.allowed)
      expect(refused.reason).toMatch(/^ticking 'Communication plan ready' is for people who may deploy/);
  });

  it("follows the item's tickedBy roles", () => {
    const input = { userGroups: new Set<string>(), roles, permissions: {}, tickedBy: ["security"] };
    expect(authorizeTick({ ...input, userId: "U5" })).toEqual({ allowed: true });
    const refused = authorizeTick({ ...input, userId: "U1", title: "Access controls verified" });
    expect(refused).toEqual({
      allowed: false,
      reason:
        "ticking 'Access controls verified' needs the role security (Slack user <@U5>); ask one of them to tick it",
    });
  });
});

describe("castVote", () => {
  const policy = { count: 2, allowSelfApproval: false };
  const requestedBy = "U0REQ";
  const approve = (userId: string, at: number): Vote => ({ userId, decision: "approve", at });

  it("reaches a quorum of 2 with two different approvers", () => {
    const first = castVote({ votes: [], vote: approve("U1", T0), requestedBy, policy, allowed: true });
    expect(first).toMatchObject({ ok: true, outcome: "pending", approvals: 1, needed: 2 });
    if (!first.ok) return;

    const second = castVote({
      votes: first.votes,
      vote: approve("U2", T0 + 60_000),
      requestedBy,
      policy,
      allowed: true,
    });
    expect(second).toMatchObject({ ok: true, outcome: "approved", approvals: 2, needed: 2 });
    if (second.ok) expect(second.votes.map((vote) => vote.userId)).toEqual(["U1", "U2"]);
  });

  it("refuses a second vote by the same person and says when the first was", () => {
    const first = castVote({ votes: [], vote: approve("U1", T0), requestedBy, policy, allowed: true });
    if (!first.ok) throw new Error(first.refusal.code);

    const again = castVote({ votes: first.votes, vote: approve("U1", T0 + 5_000), requestedBy, policy, allowed: true });
    expect(again).toEqual({
      ok: false,
      refusal: { code: "already_voted", decision: "approve", at: T0, changed: false },
    });

    const flip = castVote({
      votes: first.votes,
      vote: { userId: "U1", decision: "reject", at: T0 + 6_000, reason: "changed my mind" },
      requestedBy,
      policy,
      allowed: true,
    });
    expect(flip).toEqual({ ok: false, refusal: { code: "already_voted", decision: "approve", at: T0, changed: true } });
  });

  it("refuses self-approval unless the policy allows it", () => {
    const self = castVote({ votes: [], vote: approve(requestedBy, T0), requestedBy, policy, allowed: true });
    expect(self).toEqual({ ok: false, refusal: { code: "self_approval" } });

    const allowedSelf = castVote({
      votes: [],
      vote: approve(requestedBy, T0),
      requestedBy,
      policy: { count: 1, allowSelfApproval: true },
      allowed: true,
    });
    expect(allowedSelf).toMatchObject({ ok: true, outcome: "approved", approvals: 1, needed: 1 });
  });

  it("needs a reason to reject, and any rejection rejects", () => {
    const first = castVote({ votes: [], vote: approve("U1", T0), requestedBy, policy, allowed: true });
    if (!first.ok) throw new Error(first.refusal.code);

    const bare = castVote({
      votes: first.votes,
      vote: { userId: "U2", decision: "reject", at: T0 + 1, reason: "   " },
      requestedBy,
      policy,
      allowed: true,
    });
    expect(bare).toEqual({ ok: false, refusal: { code: "no_reason" } });

    const reasoned = castVote({
      votes: first.votes,
      vote: { userId: "U2", decision: "reject", at: T0 + 2, reason: "  migration 42 is not reversible " },
      requestedBy,
      policy,
      allowed: true,
    });
    expect(reasoned).toMatchObject({ ok: true, outcome: "rejected", approvals: 1, needed: 2 });
    if (!reasoned.ok) return;
    expect(reasoned.votes.at(-1)?.reason).toBe("migration 42 is not reversible");

    const late = castVote({ votes: reasoned.votes, vote: approve("U3", T0 + 3), requestedBy, policy, allowed: true });
    expect(late).toEqual({ ok: false, refusal: { code: "decided", outcome: "rejected" } });
  });

  it("refuses a voter who may not approve, with the authorization's reason", () => {
    const refused = castVote({
      votes: [],
      vote: approve("U9", T0),
      requestedBy,
      policy,
      allowed: { allowed: false, reason: "approving deployments to production needs the role approvers" },
    });
    expect(refused).toEqual({
      ok: false,
      refusal: { code: "not_approver", reason: "approving deployments to production needs the role approvers" },
    });
    expect(castVote({ votes: [], vote: approve("U9", T0), requestedBy, policy, allowed: false })).toEqual({
      ok: false,
      refusal: { code: "not_approver", reason: undefined },
    });
  });

  it("refuses votes once approved", () => {
    const votes = [approve("U1", T0), approve("U2", T0 + 1)];
    const extra = castVote({ votes, vote: approve("U3", T0 + 2), requestedBy, policy, allowed: true });
    expect(extra).toEqual({ ok: false, refusal: { code: "decided", outcome: "approved" } });
  });
});

describe("tally of a sensitive deployment", () => {
  const approve = (userId: string, security = false): Vote => ({
    userId,
    decision: "approve",
    at: T0,
    ...(security ? { security } : {}),
  });
  const sensitive = { count: 1, allowSelfApproval: false, security: true };

  it.each<[string, Vote[], string, number]>([
    ["a normal approver alone is not enough", [approve("U1")], "pending", 2],
    ["two normal approvers are not enough", [approve("U1"), approve("U2")], "pending", 2],
    ["a security approver alone is not the quorum too", [approve("S1", true)], "pending", 2],
    ["the quorum and a security approver", [approve("U1"), approve("S1", true)], "approved", 2],
  ])("%s", (_, votes, outcome, needed) => {
    expect(tally(votes, sensitive)).toMatchObject({ outcome, needed });
  });

  it("needs only the security approver where the environment asks for no approval", () => {
    expect(tally([approve("S1", true)], { ...sensitive, count: 0 })).toMatchObject({
      outcome: "approved",
      needed: 1,
      securityApproved: true,
    });
  });

  it("is unchanged for a deployment that is not sensitive", () => {
    expect(tally([approve("U1")], { count: 1, allowSelfApproval: false })).toEqual({
      outcome: "approved",
      approvals: 1,
      needed: 1,
    });
  });
});

describe("isExpired", () => {
  it("expires exactly when the time is up", () => {
    const fourHours = 4 * 60 * 60 * 1000;
    expect(isExpired(T0, fourHours, T0 + fourHours - 1)).toBe(false);
    expect(isExpired(T0, fourHours, T0 + fourHours)).toBe(true);
  });
});
