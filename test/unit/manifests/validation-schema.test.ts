import { describe, expect, it } from "vitest";
import { issues, parsed } from "./helpers.js";

/*
 * Deployment validation items in a manifest: the `deployment` section,
 * checked after the last step where an environment lists them, and the
 * `logs` check that counts error lines since the deployment started.
 */

function manifest(checklist: string, listed = "[app-starts, no-log-errors]"): string {
  return `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
checklist:
${checklist}
environments:
  development:
    checklist: ${listed}
    stages: [{ name: deploy, action: deploy }]
`;
}

const APP_STARTS = `  - { id: app-starts, title: Application starts, section: deployment, check: { kind: command, run: [node, health.mjs] } }`;

describe("deployment validation items", () => {
  it("accepts deployment items and a logs check, filling its defaults", () => {
    const m = parsed(
      manifest(`${APP_STARTS}
  - { id: no-log-errors, title: No errors in logs, section: deployment, check: { kind: logs, run: [kubectl, logs, deploy/web, "--since-time={since}"] } }`),
    );
    expect(m.checklist.map((i) => `${i.id} ${i.section} ${i.check.kind}`)).toEqual([
      "app-starts deployment command",
      "no-log-errors deployment logs",
    ]);
    expect(m.checklist[1]?.check).toEqual({
      kind: "logs",
      run: ["kubectl", "logs", "deploy/web", "--since-time={since}"],
      match: "\\b(error|fatal|panic)\\b",
      max: 0,
    });
  });

  it("says a deployment item cannot wait for a person, and how to fix it", () => {
    expect(
      issues(
        manifest(
          "  - { id: app-starts, title: Application starts, section: deployment, check: { kind: manual } }",
          "[app-starts]",
        ),
      ),
    ).toEqual([
      "checklist[0].check.kind: a deployment validation item checks itself after the last step, with nobody to tick it: use command, json, tasks, tests or logs, or move the manual item to the code, environment or security section",
    ]);
  });

  it("says a logs check belongs to the deployment section", () => {
    expect(
      issues(
        manifest(
          "  - { id: no-log-errors, title: No errors in logs, section: code, check: { kind: logs, run: [node, logs.mjs] } }",
          "[no-log-errors]",
        ),
      ),
    ).toEqual([
      "checklist[0].section: a logs check counts error lines since the deployment started, so it belongs to the deployment section (checked after the last step); write section: deployment",
    ]);
  });

  it("explains a bad match, a negative limit and a missing query", () => {
    expect(
      issues(
        manifest(
          `${APP_STARTS}
  - { id: no-log-errors, title: No errors in logs, section: deployment, check: { kind: logs, run: [node, logs.mjs], match: "(error", max: -1 } }
  - { id: quiet, title: Quiet, section: deployment, check: { kind: logs } }`,
          "[app-starts, no-log-errors, quiet]",
        ),
      ),
    ).toEqual([
      "checklist[1].check.match: '(error' is not a valid regular expression (Invalid regular expression: /(error/i: Unterminated group)",
      "checklist[1].check.max: must be at least 0",
      "checklist[2].check.run: required",
    ]);
  });
});
