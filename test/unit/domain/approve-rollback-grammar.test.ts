import { describe, expect, it } from "vitest";
import {
  APPROVE_USAGE,
  parseApproveCommand,
  parseRollbackCommand,
  ROLLBACK_USAGE,
} from "../../../src/domain/approve-rollback-grammar.js";

const ctx = { environments: ["development", "staging", "production"], services: ["api", "web"] } as const;

describe("parseApproveCommand", () => {
  it.each([
    ["d-7k3m9x2q", "d-7k3m9x2q"],
    ["  D-7K3M9X2Q ", "d-7k3m9x2q"],
  ])("%j approves %s", (text, deploymentId) => {
    expect(parseApproveCommand(text)).toEqual({ kind: "approve", deploymentId });
  });

  it.each(["help", "--help", "?"])("%j asks for help", (text) => {
    expect(parseApproveCommand(text)).toEqual({ kind: "help" });
  });

  it.each([
    [
      "",
      "missing deployment id: say which deployment to approve, e.g. /approve d-7k3m9x2q (the id is on the approval card)",
    ],
    ["xyz", "'xyz' is not a deployment id; ids look like d-7k3m9x2q and are shown on the approval card"],
    ["d-7k3m9x2", "'d-7k3m9x2' is not a deployment id"],
    ["d-0o1lil00", "'d-0o1lil00' is not a deployment id"],
    ["d-7k3m9x2q;id", "'d-7k3m9x2q;id' is not a deployment id"],
    ["$(id)", "'$(id)' is not a deployment id"],
    ["d-7k3m9x2q please", "too many arguments: 'please' is not expected here"],
    ["&lt;!here&gt;", "'\u2039!here\u203a' is not a deployment id"],
    ["x".repeat(1001), "the command text is 1001 characters long; at most 1000 are allowed"],
  ])("%j is refused", (text, message) => {
    const result = parseApproveCommand(text);
    expect(result).toMatchObject({ kind: "invalid", usage: APPROVE_USAGE });
    if (result.kind === "invalid") expect(result.message).toContain(message);
  });
});

describe("parseRollbackCommand", () => {
  it.each([
    ["production", { kind: "rollback", environment: "production" }],
    ["Production API", { kind: "rollback", environment: "production", service: "api" }],
    ["production v1.1.9", { kind: "rollback", environment: "production", version: "v1.1.9" }],
    ["production api 1.1.9-rc2", { kind: "rollback", environment: "production", service: "api", version: "1.1.9-rc2" }],
    [
      "production api v1.1.9 error rate up after release",
      {
        kind: "rollback",
        environment: "production",
        service: "api",
        version: "v1.1.9",
        reason: "error rate up after release",
      },
    ],
    ["production error rate up", { kind: "rollback", environment: "production", reason: "error rate up" }],
    ["staging 500 errors", { kind: "rollback", environment: "staging", reason: "500 errors" }],
    [
      "production web p95 &gt; 2s &amp; rising",
      { kind: "rollback", environment: "production", service: "web", reason: "p95 > 2s & rising" },
    ],
    ["production bad\u200b deploy", { kind: "rollback", environment: "production", reason: "bad deploy" }],
    ["production --restore", { kind: "rollback", environment: "production", restore: true }],
    [
      "production api data corrupted --restore",
      { kind: "rollback", environment: "production", service: "api", reason: "data corrupted", restore: true },
    ],
    ["help", { kind: "help" }],
  ])("%j", (text, expected) => {
    expect(parseRollbackCommand(text, ctx)).toEqual(expected);
  });

  it.each([
    ["", "missing environment: say where to roll back, e.g. /rollback production"],
    ["prod", "unknown environment 'prod'; did you mean 'production'? known: development, staging, production"],
    ["production v1.1", "version 'v1.1' is not in the form MAJOR.MINOR.PATCH"],
    ["production api 1.1.9;reboot", "version '1.1.9;reboot' contains a semicolon (;), which is not allowed"],
    ["production v1.1.9`id`", "version 'v1.1.9`id`' contains a backtick"],
    ["production v1.1.9 api", "the service comes before the version: /rollback production api v1.1.9"],
    ["production --force", "unknown flag '--force'; /rollback accepts --restore"],
    ["production --restore=yes", "--restore takes no value; write just --restore"],
    [
      "production api v1.1.9 --restore",
      "--restore takes back the latest deployment, whose backup it restores, to the version before it; leave out v1.1.9: /rollback production api --restore",
    ],
    [`production ${"word ".repeat(50)}`, "the reason is 249 characters long; keep it to 200 or fewer"],
  ])("%j is refused", (text, message) => {
    const result = parseRollbackCommand(text, ctx);
    expect(result.kind).toBe("invalid");
    if (result.kind !== "invalid") return;
    expect(result.message).toContain(message);
    expect(result.usage).toBe(ROLLBACK_USAGE);
  });
});
