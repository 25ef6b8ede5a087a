import { describe, expect, it } from "vitest";
import { type Deployment, moveTo, newDeployment, updateStage } from "../../../src/domain/deployment.js";
import { hotfixPathLine } from "../../../src/slack/renderers/hotfix-path.js";
import { renderSensitiveHeadsUp } from "../../../src/slack/renderers/sensitive-heads-up.js";
import { threadMessages } from "../../../src/slack/renderers/thread.js";
import { expectWithinSlackLimits } from "../../support/slack-message.js";

const T0 = Date.UTC(2026, 11, 7, 3, 0);
const PATH = { first: { id: "d-stage1", environment: "staging" }, last: { id: "d-prod1", environment: "production" } };

function deployment(id: string, environment: string, more: { sensitive?: boolean } = {}): Deployment {
  return newDeployment(
    {
      id,
      service: "web",
      environment,
      version: "v1.2.1",
      strategy: "all-at-once",
      hotfix: true,
      requestedBy: "U0ENGINEER",
      source: "slack",
      steps: [{ name: "deploy", action: "deploy" }],
      channel: "C0DEPLOYS",
      incidentChannel: "C0INCIDENT",
      waitLimitMs: 3_600_000,
      hotfixPath: PATH,
      ...more,
    },
    T0,
  );
}

describe("the hotfix path's line on each root message", () => {
  it("says where the path stands from each side", () => {
    const staging = deployment("d-stage1", "staging");
    const production = deployment("d-prod1", "production");
    expect(hotfixPathLine(staging)).toBe(
      "*Hotfix path:* staging first; production `d-prod1` starts by itself once this passes",
    );
    expect(hotfixPathLine(production)).toContain("waits for staging `d-stage1`");
    const failed = moveTo(moveTo(staging, "running", T0), "failed", T0);
    expect(hotfixPathLine(failed)).toContain("production `d-prod1` will not run");
    const passed = moveTo(moveTo(staging, "running", T0), "succeeded", T0);
    expect(hotfixPathLine(passed)).toContain("production `d-prod1` has been handed over");
    const handedOff = { ...production, hotfixPath: { ...PATH, handedOffAt: T0 } };
    expect(hotfixPathLine(handedOff)).toBe("*Hotfix path:* after staging `d-stage1`");
    expect(hotfixPathLine({ ...production, hotfixPath: undefined })).toBeUndefined();
  });
});

describe("a sensitive deployment's heads-ups in the incident channel", () => {
  const sensitive = deployment("d-prod1", "production", { sensitive: true });
  const names = (d: Deployment) =>
    threadMessages(d, T0)
      .filter((m) => m.channel === "C0INCIDENT")
      .map((m) => m.name);

  it("posts none while it waits, one when it starts running and one when it ends", () => {
    expect(names(sensitive)).toEqual([]);
    const running = updateStage(moveTo(sensitive, "running", T0), 0, { status: "running", attempts: 1 }, T0);
    expect(names(running)).toEqual(["sensitive-start"]);
    const done = moveTo(updateStage(running, 0, { status: "succeeded" }, T0), "succeeded", T0 + 60_000);
    expect(names(done)).toEqual(["sensitive-start", "sensitive-end"]);
    expect(names({ ...done, sensitive: undefined })).toEqual([]);
  });

  it("says the security team is on standby, then whether it may stand down, within Slack's limits", () => {
    const start = renderSensitiveHeadsUp(sensitive, "start", "1700000000.000100");
    expect(start.text).toBe("Sensitive deployment starting: web v1.2.1 → production");
    expect(JSON.stringify(start.blocks)).toContain("Security team on standby; incident response ready.");
    expect(JSON.stringify(start.blocks)).toContain("https://slack.com/archives/C0DEPLOYS/p1700000000000100");
    const failed = renderSensitiveHeadsUp(moveTo(moveTo(sensitive, "running", T0), "failed", T0), "end", undefined);
    expect(JSON.stringify(failed.blocks)).toContain("Security team: stay on; see the thread.");
    for (const message of [start, failed]) expectWithinSlackLimits(message);
  });
});
