import { describe, expect, it } from "vitest";
import { issues, parsed } from "./helpers.js";

/** A blue-green production whose blueGreen section and target actions the test sets. */
function manifest(blueGreen: string, actions = ""): string {
  return `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions:
    deploy: [node, deploy.mjs]
    setTraffic: [node, traffic.mjs]${actions}
environments:
  production:
    strategy: blue-green
    blueGreen: ${blueGreen}
    stages: [{ name: deploy, action: deploy }]
`;
}

const ARCHIVE = "\n    archive: [node, archive.mjs]";

describe("blueGreen in manifests", () => {
  it("accepts steps ending at 100%, a keep window and archiving through the target", () => {
    const environment = parsed(
      manifest(
        "{ steps: [{ weight: 10, hold: 5m }, { weight: 50, hold: 10m }, { weight: 100 }], keepBlueFor: 1h, archive: true }",
        ARCHIVE,
      ),
    ).environments.production;
    expect(environment?.blueGreen).toEqual({
      steps: [{ weight: 10, hold: 300_000 }, { weight: 50, hold: 600_000 }, { weight: 100 }],
      keepBlueFor: 3_600_000,
      archive: true,
    });
  });

  it("refuses steps that do not rise, or do not end at 100%, saying how to write them", () => {
    expect(issues(manifest("{ steps: [{ weight: 50, hold: 5m }, { weight: 10, hold: 5m }] }"))).toEqual([
      "environments.production.blueGreen.steps[1].weight: weights must increase from step to step: 10% comes after 50%",
      "environments.production.blueGreen.steps[1].weight: the last step switches all traffic to green: end the steps with { weight: 100 }, e.g. [{ weight: 10, hold: 5m }, { weight: 50, hold: 5m }, { weight: 100 }]",
    ]);
  });

  it("refuses a step below 100% without a hold, and a hold on the 100% step", () => {
    expect(issues(manifest("{ steps: [{ weight: 10 }, { weight: 100, hold: 5m }] }"))).toEqual([
      "environments.production.blueGreen.steps[0]: the 10% step needs a hold, the time analysis watches it, e.g. { weight: 10, hold: 10m }",
      "environments.production.blueGreen.steps[1].hold: after the switch to 100% blue is kept for blueGreen.keepBlueFor; set that instead of a hold here",
    ]);
  });

  it("refuses archive: true when the target cannot archive, or without the keep window", () => {
    expect(issues(manifest("{ archive: true }"))).toEqual([
      "environments.production.blueGreen.archive: archiving blue needs the target's archive action: add target.actions.archive, or leave archive out (blue is then kept as it is)",
      "environments.production.blueGreen.archive: blue is archived once it is no longer kept as the way back: say how long that is, e.g. keepBlueFor: 30m, next to archive: true",
    ]);
    // Without archive: true, a target without the action is fine: the step is skipped, saying so.
    expect(issues(manifest("{ keepBlueFor: 10m }"))).toEqual([]);
  });

  it("keeps the canary's rules on its own steps: below 100%, rising, each held", () => {
    const canary = manifest("{ keepBlueFor: 10m }").replace(
      "    blueGreen: { keepBlueFor: 10m }",
      "    canary: { steps: [{ weight: 25, hold: 5m }, { weight: 25, hold: 5m }, { weight: 100, hold: 5m }] }",
    );
    expect(issues(canary)).toEqual([
      "environments.production.canary.steps[1].weight: weights must increase from step to step: 25% comes after 25%",
      "environments.production.canary.steps[2].weight: a step below 100; 100% is the last step by itself",
    ]);
  });
});
