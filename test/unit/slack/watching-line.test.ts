import { describe, expect, it } from "vitest";
import { type Deployment, moveTo } from "../../../src/domain/deployment.js";
import { LIMITS } from "../../../src/slack/renderers/blocks.js";
import { renderHome } from "../../../src/slack/renderers/home.js";
import { permalink } from "../../../src/slack/renderers/watch.js";
import { watchingLineBlocks } from "../../../src/slack/renderers/watching-line.js";
import { blockProblems } from "../../../src/standin/block-limits.js";
import { blocksAsJson } from "../../support/slack-message.js";
import { testDeployment } from "../../support/test-deployment.js";

const T0 = Date.UTC(2026, 11, 7, 9, 0);
const UNTIL = T0 + 3_600_000;

/** A succeeded deployment whose extended window watches it until UNTIL. */
function watched(n: number, environment = "production"): Deployment {
  const d = testDeployment(
    {
      id: `d-watch${String(n).padStart(3, "0")}`,
      environment,
      version: `v1.3.${n}`,
      steps: [{ name: "deploy", action: "deploy" }],
    },
    T0,
  );
  const running = moveTo(moveTo(moveTo(d, "checking", T0), "running", T0), "monitoring", T0);
  return { ...moveTo(running, "succeeded", T0), extendedWatch: { until: UNTIL } };
}

describe("the watched deployments in /deploy status and the Home tab", () => {
  it("lists each with service, version, environment, when the watch ends and its thread", () => {
    const text = JSON.stringify(
      watchingLineBlocks([
        { deployment: watched(1), rootTs: "1765098000.000100" },
        { deployment: watched(2, "staging") },
      ]),
    );
    expect(text).toContain(
      "*Watching after success (2)* — the extended window still measures these and can roll them back",
    );
    expect(text).toContain(
      `👀 \`d-watch001\` web v1.3.1 → production — succeeded, watched until <!date^${UNTIL / 1000}^{time}|10:00 UTC> · <${permalink("C0DEPLOYS", "1765098000.000100")}|thread>`,
    );
    // Not posted yet: no link.
    expect(text).toContain(
      `👀 \`d-watch002\` web v1.3.2 → staging — succeeded, watched until <!date^${UNTIL / 1000}^{time}|10:00 UTC>"`,
    );
  });

  it("shows nothing when no deployment is watched", () => {
    expect(watchingLineBlocks([])).toEqual([]);
  });

  it("stays within Slack's limits for many, saying how many it left out", () => {
    const many = watchingLineBlocks(
      Array.from({ length: 30 }, (_, i) => ({ deployment: watched(i), rootTs: `${i}.1` })),
    );
    expect(many).toHaveLength(12);
    expect(JSON.stringify(many.at(-1))).toContain("…and 20 more; `/deploy status <service> <environment>` narrows it.");
    expect(blockProblems(blocksAsJson(many), LIMITS.blocksPerMessage)).toEqual([]);
  });

  it("is on the Home tab after what is deployed where, within its 100 blocks", () => {
    const services = Array.from({ length: 150 }, (_, i) => ({
      name: `svc-${i}`,
      environments: [{ name: "production" }],
    }));
    const view = renderHome(services, T0, [], [{ deployment: watched(1) }]);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    const text = JSON.stringify(view.blocks);
    expect(text).toContain("…and 55 more services");
    expect(text.indexOf("Watching after success (1)")).toBeGreaterThan(text.indexOf("more services"));
    expect(blockProblems(JSON.parse(JSON.stringify(view.blocks)), 100)).toEqual([]);
  });
});
