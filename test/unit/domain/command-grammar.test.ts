import { describe, expect, it } from "vitest";
import {
  DEPLOY_USAGE,
  type DeployCommand,
  helpText,
  parseDeployCommand,
  parseDuration,
} from "../../../src/domain/command-grammar.js";

const ctx = { environments: ["development", "staging", "production"], services: ["api", "web"] } as const;

type Refusal = { refused: readonly string[]; usage?: string };
type Row = readonly [string, DeployCommand | Refusal];

function isRefusal(value: DeployCommand | Refusal): value is Refusal {
  return "refused" in value;
}

const deploy = (
  environment: string,
  version: string,
  more: Partial<{
    service: string;
    strategy: string;
    flag: { name?: string; percent?: number };
    hotfix: boolean;
    sensitive: boolean;
    dryRun: boolean;
    queue: boolean;
  }> = {},
): DeployCommand =>
  ({
    kind: "deploy",
    environment,
    version,
    hotfix: false,
    sensitive: false,
    dryRun: false,
    queue: false,
    ...more,
  }) as DeployCommand;

const VERSION_CHARS = "use only letters, digits, '.', '-' and '+', e.g. v1.2.0, 1.2.0-rc1 or v2.0.0-beta.3";

const rows: readonly Row[] = [
  // help
  ["", { kind: "form" }],
  ["   \n\t ", { kind: "form" }],
  ["help", { kind: "help" }],
  ["HELP", { kind: "help" }],
  ["--help", { kind: "help" }],
  ["help lock", { kind: "help" }],

  // deploy, well-formed
  ["production v1.2.0", deploy("production", "v1.2.0")],
  ["  production    v1.2.0  ", deploy("production", "v1.2.0")],
  ["staging 1.2.0-rc1", deploy("staging", "1.2.0-rc1")],
  ["production v2.0.0-beta.3 api", deploy("production", "v2.0.0-beta.3", { service: "api" })],
  ["Production 1.0.0+build.7 WEB", deploy("production", "1.0.0+build.7", { service: "web" })],
  ["production v1.2.0 --strategy=canary", deploy("production", "v1.2.0", { strategy: "canary" })],
  ["production v1.2.0 --strategy blue-green", deploy("production", "v1.2.0", { strategy: "blue-green" })],
  ["production v1.2.0 --strategy=Rolling", deploy("production", "v1.2.0", { strategy: "rolling" })],
  ["--hotfix production v1.2.0 api", deploy("production", "v1.2.0", { service: "api", hotfix: true })],
  ["production v1.2.0 --dry-run --hotfix", deploy("production", "v1.2.0", { hotfix: true, dryRun: true })],
  ["production v1.2.0 api --sensitive", deploy("production", "v1.2.0", { service: "api", sensitive: true })],
  ["--sensitive production v1.2.1 --hotfix", deploy("production", "v1.2.1", { hotfix: true, sensitive: true })],
  ["production v1.2.0 --queue", deploy("production", "v1.2.0", { queue: true })],
  ["production v1.2.0 \u2014dry-run", deploy("production", "v1.2.0", { dryRun: true })],
  ["development\nv1.2.0\napi", deploy("development", "v1.2.0", { service: "api" })],
  ["production\u00a0v1.2.0", deploy("production", "v1.2.0")],

  // deploy, refused
  ["production", { refused: ["missing version: say which version to deploy, e.g. /deploy production v1.2.0"] }],
  ["--hotfix", { refused: ["missing environment and version, e.g. /deploy production v1.2.0"] }],
  [
    "prod v1.2.0",
    { refused: ["unknown environment 'prod'; did you mean 'production'? known: development, staging, production"] },
  ],
  ["stagign v1.2.0", { refused: ["unknown environment 'stagign'; did you mean 'staging'?"] }],
  ["qa v1.2.0", { refused: ["unknown environment 'qa'; known: development, staging, production"] }],
  ["v1.2.0 production", { refused: ["the environment comes before the version: /deploy production v1.2.0"] }],
  ["production api v1.2.0", { refused: ["the version comes before the service: /deploy production v1.2.0 api"] }],
  [
    "production v1.2",
    { refused: ["version 'v1.2' is not in the form MAJOR.MINOR.PATCH with an optional 'v' in front, e.g. v1.2.0"] },
  ],
  ["production latest", { refused: ["version 'latest' is not in the form MAJOR.MINOR.PATCH"] }],
  [
    "production 1.2;rm -rf /",
    { refused: [`version '1.2;rm' contains a semicolon (;), which is not allowed; ${VERSION_CHARS}`] },
  ],
  ["production $(id)", { refused: ["version '$(id)' contains a dollar sign ($), which is not allowed"] }],
  ["production `id`", { refused: ["version '`id`' contains a backtick, which is not allowed"] }],
  ["production v1.2.0`id`", { refused: ["version 'v1.2.0`id`' contains a backtick"] }],
  ["production 'v1.2.0'", { refused: ["contains a single quote, which is not allowed"] }],
  ['production "v1.2.0"', { refused: ["contains a double quote, which is not allowed"] }],
  ["production v1.2.0/../../etc", { refused: ["contains a slash (/), which is not allowed"] }],
  ["production v1.2.0|sh", { refused: ["contains a pipe (|), which is not allowed"] }],
  ["production v1.2.0&amp;&amp;reboot", { refused: ["version 'v1.2.0&&reboot' contains an ampersand (&)"] }],
  ["production v1.2.0\nrm -rf /", { refused: ["unknown service 'rm'; known: api, web"] }],
  [
    "production v\uff11.2.0",
    { refused: ["contains '\uff11' (U+FF11, not a plain ASCII character), which is not allowed"] },
  ],
  [
    "production v1.2.0\u200b",
    { refused: ["version 'v1.2.0\ufffd' contains an invisible or control character (U+200B)"] },
  ],
  ["production v1.2.0\u0000", { refused: ["contains an invisible or control character (U+0000)"] }],
  ["production v1.2.0-\u0430lpha", { refused: ["'\u0430' (U+0430, not a plain ASCII character)"] }],
  [
    "production &lt;!channel&gt;",
    { refused: ["version '\u2039!channel\u203a' contains a less-than sign (U+003C), which is not allowed"] },
  ],
  ["production v1.2.0 apii", { refused: ["unknown service 'apii'; did you mean 'api'? known: api, web"] }],
  ["production v1.2.0 api extra", { refused: ["too many arguments: 'extra' is not expected here"] }],
  ["production v1.2.0 api a b c", { refused: ["too many arguments: 'a' (and 2 more) is not expected here"] }],
  [
    "production v1.2.0 --dryrun",
    {
      refused: [
        "unknown flag '--dryrun'; did you mean --dry-run? /deploy accepts --strategy, --flag, --percent, --hotfix, --sensitive, --dry-run and --queue",
      ],
    },
  ],
  [
    "production v1.2.0 -rf",
    {
      refused: [
        "unknown flag '-rf'; /deploy accepts --strategy, --flag, --percent, --hotfix, --sensitive, --dry-run and --queue",
      ],
    },
  ],
  ["production v1.2.0 --force", { refused: ["unknown flag '--force';"] }],
  [
    "production v1.2.0 --strategy",
    {
      refused: [
        "--strategy needs a value: one of all-at-once, blue-green, canary, rolling, feature-flag, e.g. --strategy=canary",
      ],
    },
  ],
  ["production v1.2.0 --strategy= ", { refused: ["--strategy needs a value: one of all-at-once"] }],
  ["production v1.2.0 --strategy --hotfix", { refused: ["--strategy needs a value"] }],
  [
    "production v1.2.0 --strategy=canery",
    {
      refused: [
        "unknown strategy 'canery'; did you mean canary? allowed: all-at-once, blue-green, canary, rolling, feature-flag",
      ],
    },
  ],
  ["production v1.2.0 --strategy=yolo", { refused: ["unknown strategy 'yolo'; allowed: all-at-once, blue-green"] }],
  ["production v1.2.0 --hotfix --hotfix", { refused: ["--hotfix is given more than once; give it once"] }],
  ["production v1.2.0 --strategy=canary --strategy=rolling", { refused: ["--strategy is given more than once"] }],

  // feature flags: either option means the feature-flag strategy
  [
    "production v1.2.0 --flag=new-checkout --percent=25",
    deploy("production", "v1.2.0", { strategy: "feature-flag", flag: { name: "new-checkout", percent: 25 } }),
  ],
  [
    "production v1.2.0 --percent=0%",
    deploy("production", "v1.2.0", { strategy: "feature-flag", flag: { percent: 0 } }),
  ],
  [
    "production v1.2.0 --strategy=feature-flag --flag=beta.search_v2",
    deploy("production", "v1.2.0", { strategy: "feature-flag", flag: { name: "beta.search_v2" } }),
  ],
  [
    "production v1.2.0 --strategy=canary --percent=5",
    { refused: ["--flag and --percent go with the feature-flag strategy, not canary; use --strategy=feature-flag"] },
  ],
  ["production v1.2.0 --flag=1st", { refused: ["'1st' is not a flag name: start with a letter"] }],
  ["production v1.2.0 --flag=$(rm)", { refused: ["'$(rm)' is not a flag name"] }],
  ["production v1.2.0 --percent=101", { refused: ["'101' is not a percentage; write a whole number from 0 to 100"] }],
  ["production v1.2.0 --percent=2.5", { refused: ["'2.5' is not a percentage"] }],
  ["production v1.2.0 --percent", { refused: ["--percent needs a value: a percentage from 0 to 100"] }],
  ["production v1.2.0 --dry-run=yes", { refused: ["--dry-run takes no value; write just --dry-run"] }],
  ["production 1.2;rm -rf", { refused: ["version '1.2;rm' contains a semicolon"] }],

  // sub-commands
  ["status", { kind: "status" }],
  ["status api", { kind: "status", service: "api" }],
  ["status production", { kind: "status", environment: "production" }],
  ["status api production", { kind: "status", service: "api", environment: "production" }],
  ["status production api", { kind: "status", service: "api", environment: "production" }],
  ["Status WEB Staging", { kind: "status", service: "web", environment: "staging" }],
  [
    "status api web",
    {
      refused: ["'web' repeats what is already given; name at most one service and one environment"],
      usage: DEPLOY_USAGE.status,
    },
  ],
  [
    "status api production extra",
    { refused: ["too many arguments: 'extra' is not expected here"], usage: DEPLOY_USAGE.status },
  ],
  [
    "status foo",
    {
      refused: [
        "unknown service or environment 'foo'; services: api, web; environments: development, staging, production",
      ],
      usage: DEPLOY_USAGE.status,
    },
  ],
  [
    "status --verbose",
    { refused: ["unknown flag '--verbose'; /deploy status takes no flags"], usage: DEPLOY_USAGE.status },
  ],
  [
    "stauts",
    {
      refused: ["unknown environment or sub-command 'stauts'; did you mean /deploy status?"],
      usage: DEPLOY_USAGE.status,
    },
  ],
  ["history", { kind: "history" }],
  ["history web staging", { kind: "history", service: "web", environment: "staging" }],
  [
    "history stagng",
    { refused: ["unknown service or environment 'stagng'; did you mean 'staging'?"], usage: DEPLOY_USAGE.history },
  ],
  ["stats", { kind: "stats" }],
  ["stats api", { kind: "stats", service: "api" }],
  ["audit", { kind: "audit" }],
  ["audit production", { kind: "audit", environment: "production" }],
  ["lock production database migration", { kind: "lock", environment: "production", reason: "database migration" }],
  [
    "lock production api database migration --for 2h",
    { kind: "lock", environment: "production", service: "api", reason: "database migration", forMs: 7_200_000 },
  ],
  ["lock staging --for=30m freeze", { kind: "lock", environment: "staging", reason: "freeze", forMs: 1_800_000 }],
  [
    "lock production &lt;3 release day &amp; more",
    { kind: "lock", environment: "production", reason: "<3 release day & more" },
  ],
  [
    "lock production api",
    { refused: ["missing reason: say why production is locked so others know"], usage: DEPLOY_USAGE.lock },
  ],
  [
    "lock",
    {
      refused: ["missing environment and reason, e.g. /deploy lock production api database migration --for 2h"],
      usage: DEPLOY_USAGE.lock,
    },
  ],
  [
    "lock prod freeze",
    { refused: ["unknown environment 'prod'; did you mean 'production'?"], usage: DEPLOY_USAGE.lock },
  ],
  [
    "lock production freeze --for 2x",
    { refused: ["--for: duration '2x' is not understood"], usage: DEPLOY_USAGE.lock },
  ],
  [
    "lock production freeze --for",
    { refused: ["--for needs a value: a duration such as 30m, 2h or 1d, e.g. --for 2h"], usage: DEPLOY_USAGE.lock },
  ],
  [
    "lock production freeze --hotfix",
    { refused: ["unknown flag '--hotfix'; /deploy lock accepts --for"], usage: DEPLOY_USAGE.lock },
  ],
  [
    "lock production freeze --for 1h --for 2h",
    { refused: ["--for is given more than once"], usage: DEPLOY_USAGE.lock },
  ],
  ["unlock production", { kind: "unlock", environment: "production" }],
  ["unlock production web", { kind: "unlock", environment: "production", service: "web" }],
  [
    "unlock",
    {
      refused: ["missing environment: say what to unlock, e.g. /deploy unlock production"],
      usage: DEPLOY_USAGE.unlock,
    },
  ],
  [
    "unlock production web now",
    { refused: ["too many arguments: 'now' is not expected here"], usage: DEPLOY_USAGE.unlock },
  ],
  ["unlock production wbe", { refused: ["unknown service 'wbe'; did you mean 'web'?"], usage: DEPLOY_USAGE.unlock }],
];

describe("parseDeployCommand", () => {
  it("has a table of at least 40 cases", () => {
    expect(rows.length).toBeGreaterThanOrEqual(40);
  });

  it.each(rows)("%j", (input, expected) => {
    const result = parseDeployCommand(input, ctx);
    if (!isRefusal(expected)) {
      expect(result).toEqual(expected);
      return;
    }
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    for (const part of expected.refused) expect(result.message).toContain(part);
    expect(result.usage).toBe(expected.usage ?? DEPLOY_USAGE.deploy);
  });

  it("leaves the service out when it is not given, for the caller to resolve", () => {
    const result = parseDeployCommand("production v1.2.0", { environments: ["production"], services: ["only"] });
    expect(result).toEqual(deploy("production", "v1.2.0"));
    expect("service" in result).toBe(false);
  });

  it("refuses text longer than 1000 characters before looking at it", () => {
    const result = parseDeployCommand(`production v1.2.0 ${"x".repeat(1000)}`, ctx);
    expect(result).toEqual({
      kind: "invalid",
      message: "the command text is 1018 characters long; at most 1000 are allowed",
      usage: DEPLOY_USAGE.deploy,
    });
  });

  it("accepts exactly 1000 characters and judges the words", () => {
    const text = `production v1.2.0${" ".repeat(1000 - 17)}`;
    expect(text).toHaveLength(1000);
    expect(parseDeployCommand(text, ctx)).toEqual(deploy("production", "v1.2.0"));
  });

  it("quotes a huge token cut to 40 characters", () => {
    const result = parseDeployCommand(`production ${"9".repeat(500)}`, ctx);
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.message).toContain(`version '${"9".repeat(39)}…' is 500 characters long; at most 64 are allowed`);
  });

  it("keeps every refusal on one line, short, and free of control characters and angle brackets", () => {
    const nasty = [
      `production v1.2.0 ${"\u0007\u001b[31m".repeat(50)}`,
      "production \u202egnp.exe",
      `&lt;!channel&gt;${"a".repeat(300)} v1.2.0`,
      "production v1.2.0 &lt;@U123&gt;",
      `lock production ${"long ".repeat(60)}`,
      "production v1.2.0\r\n--strategy=\u0000canary",
    ];
    for (const text of nasty) {
      const result = parseDeployCommand(text, ctx);
      expect(result.kind, text).toBe("invalid");
      if (result.kind !== "invalid") continue;
      expect(result.message).not.toMatch(/[\p{Cc}\p{Cf}<>]/u);
      expect(result.message.length).toBeLessThan(400);
    }
  });

  it("refuses an overlong lock reason", () => {
    const result = parseDeployCommand(`lock production ${"a".repeat(201)}`, ctx);
    expect(result).toEqual({
      kind: "invalid",
      message: "the reason is 201 characters long; keep it to 200 or fewer",
      usage: DEPLOY_USAGE.lock,
    });
  });

  it("drops invisible characters from a lock reason", () => {
    expect(parseDeployCommand("lock production db\u200b migration\u202e", ctx)).toEqual({
      kind: "lock",
      environment: "production",
      reason: "db migration",
    });
  });

  it("lets a sub-command win over an environment of the same name", () => {
    const result = parseDeployCommand("status v1.2.0", { environments: ["status"], services: [] });
    expect(result).toEqual({
      kind: "invalid",
      message: "unknown service or environment 'v1.2.0'; services: none defined; environments: status",
      usage: DEPLOY_USAGE.status,
    });
  });

  it("says when the manifests define no environments", () => {
    const result = parseDeployCommand("production v1.2.0", { environments: [], services: [] });
    expect(result).toMatchObject({
      kind: "invalid",
      message: "unknown environment 'production'; no environments are defined in the manifests",
    });
  });

  it("reads a name that is both a service and an environment by position", () => {
    const shared = { environments: ["edge", "production"], services: ["edge", "api"] };
    expect(parseDeployCommand("status edge", shared)).toEqual({ kind: "status", service: "edge" });
    expect(parseDeployCommand("status api edge", shared)).toEqual({
      kind: "status",
      service: "api",
      environment: "edge",
    });
    expect(parseDeployCommand("status edge edge", shared)).toEqual({
      kind: "status",
      service: "edge",
      environment: "edge",
    });
  });

  it("cuts a long list of known names short", () => {
    const many = { environments: ["production"], services: Array.from({ length: 20 }, (_, i) => `svc${i}`) };
    const result = parseDeployCommand("production v1.2.0 nope", many);
    expect(result).toMatchObject({ kind: "invalid" });
    if (result.kind !== "invalid") return;
    expect(result.message).toContain("svc13, svc14 and 5 more");
    expect(result.message).not.toContain("svc15");
  });

  it("resolves names in a catalog of thousands of services as in a small one", () => {
    const services = [...Array.from({ length: 5_000 }, (_, i) => `svc${i}`), "Billing", "Web", "WEB"];
    const many = { environments: ["production"], services };
    expect(parseDeployCommand("production v1.2.0 svc4321", many)).toMatchObject({ service: "svc4321" });
    expect(parseDeployCommand("production v1.2.0 SVC4321", many)).toMatchObject({ service: "svc4321" });
    expect(parseDeployCommand("production v1.2.0 billing", many)).toMatchObject({ service: "Billing" });
    expect(parseDeployCommand("production v1.2.0 WEB", many)).toMatchObject({ service: "WEB" });
    // Two services differ only in case: a third spelling names neither.
    expect(parseDeployCommand("production v1.2.0 web", many)).toMatchObject({ kind: "invalid" });
    expect(parseDeployCommand("production v1.2.0 svc5000", many)).toMatchObject({ kind: "invalid" });
  });
});

describe("helpText", () => {
  const text = helpText(ctx);

  it("lists every form of every command", () => {
    for (const usage of Object.values(DEPLOY_USAGE)) expect(text).toContain(usage);
    expect(text).toContain("/approve <deployment-id>");
    expect(text).toContain("/rollback <environment> [service] [version] [reason...]");
  });

  it("gives examples with the configured names", () => {
    expect(text).toContain("`/deploy production v1.2.0 api --strategy=canary`");
    expect(text).toContain("`/deploy lock production api database migration --for 2h`");
    expect(text).toContain("Environments: development, staging, production");
    expect(text).toContain("Services: api, web");
  });

  it("every example parses as the command it shows", () => {
    const examples = [...text.matchAll(/Example: `\/deploy ([^`]*)`/g)].map((m) => m[1] ?? "");
    expect(examples.length).toBeGreaterThanOrEqual(7);
    for (const example of examples) expect(parseDeployCommand(example, ctx).kind).not.toBe("invalid");
  });

  it("fits one Slack section even with many names", () => {
    const many = {
      environments: Array.from({ length: 100 }, (_, i) => `environment-${i}`),
      services: Array.from({ length: 100 }, (_, i) => `service-number-${i}`),
    };
    expect(helpText(many).length).toBeLessThan(3000);
    expect(helpText({ environments: [], services: [] })).toContain("Services: none defined");
  });
});

describe("parseDuration", () => {
  it.each([
    ["45s", 45_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1d", 86_400_000],
    ["1h30m", 5_400_000],
    ["1d2h3m4s", 93_784_000],
    ["2H", 7_200_000],
    [" 90m ", 5_400_000],
    ["365d", 31_536_000_000],
  ])("%s is %d ms", (text, ms) => {
    expect(parseDuration(text)).toEqual({ ok: true, ms });
  });

  it.each([
    ["", "a duration is required, e.g. 45s, 30m, 2h or 1d (combine them as 1h30m)"],
    ["2", "duration '2' is not understood; write a whole number followed by d, h, m or s"],
    ["2x", "duration '2x' is not understood"],
    ["h", "duration 'h' is not understood"],
    ["-2h", "duration '-2h' is not understood"],
    ["1.5h", "duration '1.5h' is not understood"],
    ["30m1h", "duration '30m1h' is not understood"],
    ["2h 30m", "duration '2h 30m' is not understood"],
    ["0m", "duration '0m' is zero; give a positive duration"],
    ["366d", "duration '366d' is longer than 365 days; give a shorter one"],
    ["9999999h", "duration '9999999h' is not understood"],
  ])("%j is refused", (text, message) => {
    const result = parseDuration(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });
});
