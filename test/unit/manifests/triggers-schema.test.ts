import { describe, expect, it } from "vitest";
import { authorizeSystem } from "../../../src/domain/policy.js";
import { validateCommand } from "../../../src/manifests/validate.js";
import { issues, makeManifestDir, parsed } from "./helpers.js";

const HEAD = `service: web
channels: { deploy: C0DEPLOYS }
roles:
  deployers: { users: [U0DEPLOY1] }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
`;

const STAGES = "    stages: [{ name: deploy, action: deploy }]\n";

const PUSH = `    push: { repository: acme/web, branch: develop, secretEnv: WEB_WEBHOOK_SECRET }
`;
const SCHEDULE = `    schedule: { cron: "0 2 * * *", timezone: Europe/Berlin, from: development }
`;

function yaml(environments: Record<string, string>): string {
  const envs = Object.entries(environments)
    .map(([name, body]) => `  ${name}:\n${body}${STAGES}`)
    .join("");
  return `${HEAD}environments:\n${envs}`;
}

describe("push and schedule triggers", () => {
  it("reads a branch that deploys development and a nightly schedule fed from it", () => {
    const manifest = parsed(yaml({ development: PUSH, staging: SCHEDULE }));
    expect(manifest.environments.development?.push).toEqual({
      repository: "acme/web",
      branch: "develop",
      secretEnv: "WEB_WEBHOOK_SECRET",
    });
    expect(manifest.environments.staging?.schedule).toEqual({
      cron: "0 2 * * *",
      timezone: "Europe/Berlin",
      from: "development",
    });
  });

  it.each([
    [
      "a full ref",
      PUSH.replace("branch: develop", "branch: refs/heads/develop"),
      "environments.development.push.branch: 'refs/heads/develop' is a full ref; write the branch alone (develop)",
    ],
    [
      "a branch pattern",
      PUSH.replace("branch: develop", 'branch: "release/*"'),
      "environments.development.push.branch: 'release/*' is a pattern; patterns are not supported, name one branch as git shows it, e.g. develop or release/2.x",
    ],
    [
      "a repository URL",
      PUSH.replace("repository: acme/web", "repository: https://github.com/acme/web"),
      "environments.development.push.repository: 'https://github.com/acme/web' is not a GitHub repository: write owner/name as in its URL, e.g. example-org/web",
    ],
    [
      "a secret written in place of its variable",
      PUSH.replace("secretEnv: WEB_WEBHOOK_SECRET", "secretEnv: s3cr3t!"),
      "environments.development.push.secretEnv: invalid variable name 's3cr3t!'",
    ],
  ])("refuses %s", (_what, push, message) => {
    expect(issues(yaml({ development: push }))).toEqual([expect.stringContaining(message)]);
  });

  it.each([
    [
      "a bad cron",
      SCHEDULE.replace('"0 2 * * *"', '"0 25 * * *"'),
      "environments.staging.schedule.cron: '0 25 * * *' is not a cron expression (Constraint error, got value 25 expected range 0-23)",
    ],
    [
      "a cron with a field missing",
      SCHEDULE.replace('"0 2 * * *"', '"0 2 * *"'),
      "environments.staging.schedule.cron: '0 2 * *' has 4 fields; a cron expression has 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)",
    ],
    [
      "an unknown time zone",
      SCHEDULE.replace("Europe/Berlin", "Europe/Berlinn"),
      "environments.staging.schedule.timezone: unknown time zone 'Europe/Berlinn': use an IANA name such as Europe/Berlin, America/New_York or UTC — did you mean 'Europe/Berlin'?",
    ],
    [
      "a schedule fed from a missing environment",
      SCHEDULE.replace("from: development", "from: developmnet"),
      "environments.staging.schedule.from: unknown environment 'developmnet' — did you mean 'development'? (environments: development, staging); the schedule deploys what succeeded there",
    ],
    [
      "a schedule fed from itself",
      SCHEDULE.replace("from: development", "from: staging"),
      "environments.staging.schedule.from: staging cannot be fed from itself",
    ],
  ])("refuses %s", (_what, schedule, message) => {
    expect(issues(yaml({ development: "", staging: schedule }))).toEqual([expect.stringContaining(message)]);
  });

  it("refuses one branch deploying two environments", () => {
    expect(issues(yaml({ development: PUSH, qa: PUSH }))).toEqual([
      "environments.qa.push.branch: pushes of develop to acme/web already deploy development; a branch deploys one environment (feed the next one with a schedule instead)",
    ]);
  });

  it("needs the push and schedule actors allowed to deploy when deploying is limited to roles", () => {
    const limited = "    permissions: { deploy: [deployers] }\n";
    expect(issues(yaml({ development: `${PUSH}${limited}`, staging: `${SCHEDULE}${limited}` }))).toEqual([
      "environments.development.permissions.deploy: development deploys on push, but permissions.deploy does not allow the push actor; add it: deploy: [deployers, push]",
      "environments.staging.permissions.deploy: staging deploys on schedule, but permissions.deploy does not allow the schedule actor; add it: deploy: [deployers, schedule]",
    ]);
    const allowed = parsed(
      yaml({
        development: `${PUSH}    permissions: { deploy: [deployers, push] }\n`,
        staging: `${SCHEDULE}    permissions: { deploy: [schedule, deployers] }\n`,
      }),
    );
    expect(allowed.environments.staging?.permissions.deploy).toEqual(["schedule", "deployers"]);
  });

  it("keeps push and schedule out of the role names", () => {
    const text = yaml({ development: "" }).replace(
      "  deployers: { users: [U0DEPLOY1] }",
      "  push: { users: [U0DEPLOY1] }",
    );
    expect(issues(text)).toEqual([
      "roles.push: 'push' is reserved: in permissions it names Slipway's push trigger; give the role another name",
    ]);
  });
});

describe("authorizeSystem", () => {
  it("lets a system actor deploy where anyone may or where it is named, and says how to allow it otherwise", () => {
    expect(authorizeSystem({ action: "deploy", actor: "push", permissions: {} })).toEqual({ allowed: true });
    expect(authorizeSystem({ action: "deploy", actor: "schedule", permissions: { deploy: ["schedule"] } })).toEqual({
      allowed: true,
    });
    expect(
      authorizeSystem({
        action: "deploy",
        actor: "push",
        permissions: { deploy: ["deployers"] },
        environment: "staging",
      }),
    ).toEqual({
      allowed: false,
      reason:
        "deploying to staging by push is not allowed: add push to permissions.deploy in the service manifest (e.g. deploy: [deployers, push])",
    });
  });
});

describe("slipway validate and webhook secrets", () => {
  it("reports a webhook secret variable that is not set, and passes once it is", async () => {
    const dir = await makeManifestDir();
    try {
      await dir.write("web.yaml", yaml({ development: PUSH }));
      let text = "";
      const out = { write: (chunk: string) => (text += chunk) };
      expect(await validateCommand(dir.dir, out, {})).toBe(1);
      expect(text.split("\n")).toEqual([
        "services/web.yaml: environments.development.push.secretEnv: WEB_WEBHOOK_SECRET is not set; set it to the secret of acme/web's webhook (Settings → Webhooks → Secret), or Slipway refuses its pushes",
        "✗ 1 error in 1 file",
        "",
      ]);
      text = "";
      expect(await validateCommand(dir.dir, out, { WEB_WEBHOOK_SECRET: "s3cret" })).toBe(0);
      expect(text).toBe("✓ 1 service valid: web\n");
    } finally {
      await dir.remove();
    }
  });
});
