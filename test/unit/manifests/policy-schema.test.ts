import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { itemsFor } from "../../../src/domain/checklist.js";
import { authorize } from "../../../src/domain/policy.js";
import { windowStatus } from "../../../src/domain/windows.js";
import { formatManifestError } from "../../../src/manifests/format-errors.js";
import { loadManifests } from "../../../src/manifests/load.js";
import { issues, parsed } from "./helpers.js";

const HEAD = `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
`;

const STAGES = "    stages: [{ name: deploy, action: deploy }]\n";

const ROLES = `roles:
  deployers: { users: [U0DEPLOY1], groups: [S0RELEASE] }
  approvers: { users: [U0APPROVE1, U0APPROVE2] }
`;

const CHECKLIST = `checklist:
  - id: coverage
    title: Code coverage ≥ 80%
    section: code
    check: { kind: json, file: coverage/coverage-summary.json, path: total.lines.pct, op: ">=", value: 80 }
  - id: defects
    title: No critical/high defects
    section: code
    check: { kind: tasks, file: memory-bank/DEFECTS.md, fail: open-matching, match: "critical|high" }
  - id: comms
    title: Communication plan ready
    section: environment
    required: false
    check: { kind: manual, tickedBy: [approvers] }
  - id: healthy
    title: All services healthy
    section: validation
    check: { kind: command, run: [node, health.mjs] }
`;

/** A manifest with the given top-level blocks and one environment body per name. */
function yaml(environments: Record<string, string>, blocks = `${ROLES}${CHECKLIST}`): string {
  const envs = Object.entries(environments)
    .map(([name, body]) => `  ${name}:\n${body}${STAGES}`)
    .join("");
  return `${HEAD}${blocks}environments:\n${envs}`;
}

describe("policy defaults", () => {
  it("requires one approval in production, by anyone allowed to approve, for 4 hours; nothing elsewhere", () => {
    const manifest = parsed(yaml({ development: "", production: "" }));
    expect(manifest.environments.production?.approval).toEqual({
      required: true,
      count: 1,
      approvers: "anyone",
      allowSelfApproval: false,
      expiresAfter: "4h",
      expiresAfterMs: 4 * 60 * 60 * 1000,
    });
    expect(manifest.environments.development?.approval.required).toBe(false);
    expect(manifest.environments.production?.permissions).toEqual({
      deploy: "anyone",
      approve: "anyone",
      rollback: "anyone",
      lock: "anyone",
      restore: [],
    });
    expect(manifest.environments.production?.windows).toBeUndefined();
    expect(manifest.environments.production?.checklist).toBeUndefined();
  });

  it("lets only the roles permissions.restore names restore from backup: nobody by default, never anyone", () => {
    const manifest = parsed(yaml({ development: "", production: "    permissions: { restore: [approvers] }\n" }));
    expect(manifest.environments.production?.permissions.restore).toEqual(["approvers"]);
    expect(manifest.environments.development?.permissions.restore).toEqual([]);
    expect(issues(yaml({ production: "    permissions: { restore: [] }\n" }))).toEqual([
      "environments.production.permissions.restore: name at least one role that may restore, e.g. [dbas], or leave restore out",
    ]);
    expect(issues(yaml({ production: "    permissions: { restore: [dbas] }\n" }))[0]).toMatch(
      /^environments\.production\.permissions\.restore\[0\]: unknown role 'dbas'/,
    );
  });

  it("lets a manifest switch production approval off and require it elsewhere", () => {
    const manifest = parsed(
      yaml({
        staging: "    approval: { expiresAfter: 1h30m }\n",
        production: "    approval: { required: false }\n",
      }),
    );
    expect(manifest.environments.staging?.approval).toMatchObject({
      required: true,
      count: 1,
      expiresAfterMs: 5_400_000,
    });
    expect(manifest.environments.production?.approval.required).toBe(false);
  });

  it("uses approval.approvers as who may approve, and permissions.approve when approvers are not given", () => {
    const manifest = parsed(
      yaml({
        staging: "    permissions: { approve: [deployers] }\n",
        production: "    approval: { count: 2, approvers: [approvers] }\n    permissions: { deploy: [deployers] }\n",
      }),
    );
    expect(manifest.environments.production?.permissions).toEqual({
      deploy: ["deployers"],
      approve: ["approvers"],
      rollback: "anyone",
      lock: "anyone",
      restore: [],
    });
    expect(manifest.environments.production?.approval.approvers).toEqual(["approvers"]);
    expect(manifest.environments.staging?.approval.approvers).toEqual(["deployers"]);
  });

  it("fills in role members, item defaults and window defaults", () => {
    const manifest = parsed(
      yaml({ production: "    windows: { timezone: Europe/Berlin }\n    checklist: [coverage, comms]\n" }),
    );
    expect(manifest.roles.approvers).toEqual({ users: ["U0APPROVE1", "U0APPROVE2"], groups: [] });
    expect(manifest.checklist[0]?.required).toBe(true);
    expect(manifest.checklist[2]?.required).toBe(false);
    expect(manifest.environments.production?.windows).toEqual({
      timezone: "Europe/Berlin",
      allow: [],
      freezes: [],
      hotfixBypass: false,
    });
  });

  it("accepts a manifest without roles or checklist", () => {
    const manifest = parsed(yaml({ development: "" }, ""));
    expect(manifest.roles).toEqual({});
    expect(manifest.checklist).toEqual([]);
  });
});

describe("cross-field checks", () => {
  it("refuses a role that is not defined, suggesting the nearest", () => {
    expect(
      issues(yaml({ production: "    permissions: { deploy: [deployer], rollback: [deployers, oncall] }\n" })),
    ).toEqual([
      "environments.production.permissions.deploy[0]: unknown role 'deployer' — did you mean 'deployers'? (roles: deployers, approvers); define it under roles or use one of those",
      "environments.production.permissions.rollback[1]: unknown role 'oncall' (roles: deployers, approvers); define it under roles or use one of those",
    ]);
  });

  it("explains how to define roles when there are none", () => {
    expect(issues(yaml({ production: "    approval: { approvers: [leads] }\n" }, ""))).toEqual([
      "environments.production.approval.approvers[0]: unknown role 'leads': no roles are defined; add it under roles, e.g. roles: { leads: { users: [U0123ABCD] } }",
    ]);
  });

  it("checks the roles of manual items", () => {
    expect(
      issues(yaml({ production: "" }, `${ROLES}${CHECKLIST.replace("tickedBy: [approvers]", "tickedBy: [aprovers]")}`)),
    ).toEqual([
      "checklist[2].check.tickedBy[0]: unknown role 'aprovers' — did you mean 'approvers'? (roles: deployers, approvers); define it under roles or use one of those",
    ]);
  });

  it("refuses anyone inside a list and as a role name", () => {
    expect(issues(yaml({ production: "    permissions: { lock: [anyone] }\n" }))).toEqual([
      "environments.production.permissions.lock[0]: write anyone on its own, without brackets (e.g. deploy: anyone), or list only role names",
    ]);
    expect(issues(yaml({ production: "" }, `roles:\n  anyone: { users: [U0ONE] }\n`))).toEqual([
      "roles.anyone: 'anyone' is reserved: in permissions it means everyone; give the role another name",
    ]);
  });

  it("refuses a role list written as a bare word", () => {
    expect(issues(yaml({ production: "    permissions: { deploy: deployers }\n" }))).toEqual([
      "environments.production.permissions.deploy: 'deployers' is neither anyone nor a list of roles: write [deployers] to name one role, or anyone",
    ]);
  });

  it("refuses checklist ids that do not exist or repeat", () => {
    expect(issues(yaml({ production: "    checklist: [coverage, coverge, coverage]\n" }))).toEqual([
      "environments.production.checklist[1]: unknown checklist item 'coverge' — did you mean 'coverage'? (items: coverage, defects, comms, healthy); define it under checklist or remove it here",
      "environments.production.checklist[2]: checklist item 'coverage' is listed twice (first at [0]); list each item once",
    ]);
  });

  it("refuses duplicate checklist item ids", () => {
    const doubled = CHECKLIST.replace("- id: defects", "- id: coverage");
    expect(issues(yaml({ production: "" }, `${ROLES}${doubled}`))).toEqual([
      "checklist[1].id: duplicate checklist item id 'coverage' (already used by checklist[0]); item ids must be unique",
    ]);
  });

  it("refuses a quorum larger than the approver users when the approvers are only users", () => {
    expect(issues(yaml({ production: "    approval: { count: 3, approvers: [approvers] }\n" }))).toEqual([
      "environments.production.approval.count: needs 3 approvals, but the approver role (approvers) name only 2 Slack users (U0APPROVE1, U0APPROVE2) and no user groups, so the quorum can never be met; lower count to 2 or add people or a user group to the role",
    ]);
  });

  it("accepts a large quorum when a user group may approve, and counts users across roles once", () => {
    expect(issues(yaml({ production: "    approval: { count: 5, approvers: [deployers] }\n" }))).toEqual([]);
    const overlapping = `roles:\n  a: { users: [U0ONE, U0TWO] }\n  b: { users: [U0TWO] }\n`;
    expect(issues(yaml({ production: "    approval: { count: 2, approvers: [a, b] }\n" }, overlapping))).toEqual([]);
    expect(issues(yaml({ production: "    approval: { count: 3, approvers: [a, b] }\n" }, overlapping))[0]).toMatch(
      /^environments\.production\.approval\.count: needs 3 approvals, but the approver roles \(a, b\) name only 2 Slack users/,
    );
  });

  it("refuses approvers that differ from permissions.approve", () => {
    expect(
      issues(
        yaml({ production: "    approval: { approvers: [approvers] }\n    permissions: { approve: [deployers] }\n" }),
      ),
    ).toEqual([
      "environments.production.approval.approvers: [approvers] differs from permissions.approve ([deployers]); both say who may approve, so write it once: keep approval.approvers and remove permissions.approve, or make them the same",
    ]);
  });

  it("refuses a tasks check whose match does not fit its fail mode", () => {
    const noMatch = CHECKLIST.replace(', match: "critical|high"', "");
    expect(issues(yaml({ production: "" }, `${ROLES}${noMatch}`))).toEqual([
      "checklist[1].check.match: required when fail is open-matching: a regular expression for the open items that fail, e.g. critical|high",
    ]);
    const extraMatch = CHECKLIST.replace("fail: open-matching", "fail: open");
    expect(issues(yaml({ production: "" }, `${ROLES}${extraMatch}`))).toEqual([
      "checklist[1].check.match: only used with fail: open-matching; remove it, or set fail: open-matching to fail only on matching items",
    ]);
    const badRegex = CHECKLIST.replace('"critical|high"', '"critical|(high"');
    expect(issues(yaml({ production: "" }, `${ROLES}${badRegex}`))[0]).toMatch(
      /^checklist\[1\]\.check\.match: 'critical\|\(high' is not a valid regular expression \(/,
    );
  });

  it("reports cross-field problems together with type errors", () => {
    const text = yaml({
      production: "    permissions: { deploy: [nobody] }\n    approval: { count: 0 }\n    checklist: [missing]\n",
    });
    expect(issues(text)).toEqual([
      "environments.production.approval.count: must be at least 1",
      "environments.production.checklist[0]: unknown checklist item 'missing' (items: coverage, defects, comms, healthy); define it under checklist or remove it here",
      "environments.production.permissions.deploy[0]: unknown role 'nobody' (roles: deployers, approvers); define it under roles or use one of those",
    ]);
  });
});

describe("field checks", () => {
  it("explains Slack ids that are names instead", () => {
    const roles = `roles:\n  deployers: { users: ["@ada"], groups: [release-team] }\n  empty: {}\n`;
    expect(issues(yaml({ production: "" }, roles))).toEqual([
      "roles.deployers.users[0]: '@ada' is not a Slack user id: use the member id (like U0123ABCD, from the person's profile → ⋮ → Copy member ID), not the name",
      "roles.deployers.groups[0]: 'release-team' is not a Slack user-group id: use the group's id (like S0123ABCD, returned by usergroups.list), not its @handle",
      "roles.empty: a role needs at least one member: list Slack user ids under users or user-group ids under groups, e.g. { users: [U0123ABCD] }",
    ]);
  });

  it("names the allowed check kinds, sections and operators", () => {
    const bad = CHECKLIST.replace("kind: command", "kind: shell")
      .replace("section: code", "section: cod")
      .replace('op: ">="', 'op: "="');
    expect(issues(yaml({ production: "" }, `${ROLES}${bad}`))).toEqual([
      "checklist[0].section: expected one of: code, environment, security, deployment, validation; got 'cod' — did you mean 'code'?",
      "checklist[0].check.op: expected one of: >=, >, <=, <, ==; got '=' — did you mean '=='?",
      "checklist[3].check.kind: unknown kind 'shell' (supported: command, json, tasks, tests, manual, logs)",
    ]);
  });

  it("refuses a JSON path that is not dotted keys", () => {
    const bad = CHECKLIST.replace("path: total.lines.pct", "path: total..pct");
    expect(issues(yaml({ production: "" }, `${ROLES}${bad}`))).toEqual([
      "checklist[0].check.path: 'total..pct' is not a dotted path: name the keys from the top of the file, separated by dots, e.g. total.lines.pct",
    ]);
  });

  it("checks approval numbers and durations", () => {
    expect(issues(yaml({ production: "    approval: { count: 11, expiresAfter: 4 hours }\n" }))).toEqual([
      "environments.production.approval.count: must be at most 10",
      "environments.production.approval.expiresAfter: duration '4 hours' is not understood; write a whole number followed by d, h, m or s, e.g. 45s, 30m, 2h or 1d (combine them as 1h30m)",
    ]);
    expect(issues(yaml({ production: "    approval: { count: 1.5 }\n" }))).toEqual([
      "environments.production.approval.count: expected a whole number of approvals, got 1.5",
    ]);
  });
});

describe("windows", () => {
  const windows = (body: string) => yaml({ production: `    windows:\n${body}` });

  it("accepts the seed's working hours, a freeze and the hotfix bypass", () => {
    const manifest = parsed(
      windows(`      timezone: Europe/Berlin
      allow:
        - { days: [mon, tue, wed, thu], from: "09:00", to: "16:00" }
        - { days: [fri], from: "22:00", to: "02:00" }
      freezes:
        - { from: 2026-12-20 00:00, to: "2027-01-04 00:00", reason: Holiday freeze }
      hotfixBypass: true
`),
    );
    const production = manifest.environments.production;
    expect(production?.windows?.freezes).toEqual([
      { from: "2026-12-20 00:00", to: "2027-01-04 00:00", reason: "Holiday freeze" },
    ]);
    expect(windowStatus(production?.windows, new Date("2026-12-22T10:00:00Z"))).toMatchObject({ open: false });
    expect(windowStatus(production?.windows, new Date("2026-12-22T10:00:00Z"), { hotfix: true })).toEqual({
      open: true,
      bypassed: "freeze",
    });
  });

  it("refuses a freeze that ends before it starts", () => {
    expect(
      issues(
        windows(`      timezone: Europe/Berlin
      freezes:
        - { from: "2027-01-04 00:00", to: "2026-12-20 00:00" }
`),
      ),
    ).toEqual([
      "environments.production.windows.freezes[0].to: the freeze ends (2026-12-20 00:00) before or when it starts (2027-01-04 00:00); 'to' must be later than 'from'",
    ]);
  });

  it("refuses malformed times, dates, days and a window that starts when it ends", () => {
    expect(
      issues(
        windows(`      timezone: Europe/Berlin
      allow:
        - { days: [monday], from: "9:00", to: "16:00" }
        - { days: [sat], from: "10:00", to: "10:00" }
      freezes:
        - { from: "2026-02-30 00:00", to: "2026-03-01" }
`),
      ),
    ).toEqual([
      "environments.production.windows.allow[0].days[0]: expected one of: mon, tue, wed, thu, fri, sat, sun; got 'monday'",
      `environments.production.windows.allow[0].from: '9:00' is not a time: write HH:MM on a 24-hour clock, e.g. "09:00"`,
      `environments.production.windows.allow[1].to: the window starts and ends at 10:00; for a whole day write from: "00:00", to: "24:00" (a 'to' before 'from' runs past midnight)`,
      `environments.production.windows.freezes[0].from: '2026-02-30 00:00' is not a date and time: write "YYYY-MM-DD HH:MM" in the windows' time zone, e.g. "2026-12-20 00:00"`,
    ]);
  });

  it("refuses an unknown time zone, suggesting the nearest", () => {
    expect(issues(windows("      timezone: Europe/Berlim\n"))).toEqual([
      "environments.production.windows.timezone: unknown time zone 'Europe/Berlim': use an IANA name such as Europe/Berlin, America/New_York or UTC — did you mean 'Europe/Berlin'?",
    ]);
    expect(issues(windows('      timezone: "+01:00"\n'))[0]).toMatch(/unknown time zone '\+01:00'/);
  });
});

describe("the shipped example manifest", () => {
  it("validates, and its policy reads the way the seed guide describes", async () => {
    const { services, errors } = await loadManifests(
      fileURLToPath(new URL("../../../manifests/services", import.meta.url)),
    );
    expect(errors.map(formatManifestError)).toEqual([]);
    const example = services.get("example")?.manifest;
    if (example === undefined) throw new Error("no example service");

    const production = example.environments.production;
    expect(production?.approval).toMatchObject({ required: true, count: 2, approvers: ["approvers"] });
    expect(production?.windows?.timezone).toBe("Europe/Berlin");
    const refused = authorize({
      action: "deploy",
      userId: "U0LEAD01",
      userGroups: new Set(),
      roles: example.roles,
      permissions: production?.permissions ?? {},
      environment: "production",
    });
    expect(refused.allowed).toBe(false);

    const development = example.environments.development;
    expect(development?.approval.required).toBe(false);
    expect(development?.permissions.deploy).toBe("anyone");
    expect(itemsFor(example, "development").every((item) => item.check.kind !== "manual")).toBe(true);
    expect(itemsFor(example, "production").length).toBeGreaterThan(itemsFor(example, "staging").length);
  });
});
