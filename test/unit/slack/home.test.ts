import { describe, expect, it } from "vitest";
import { moveTo, newDeployment } from "../../../src/domain/deployment.js";
import { type HomeService, renderHome } from "../../../src/slack/renderers/home.js";
import { blockProblems } from "../../../src/standin/block-limits.js";

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

function underWay() {
  const requested = newDeployment(
    {
      id: "d-home0001",
      service: "web",
      environment: "production",
      version: "v1.3.0",
      strategy: "canary",
      hotfix: false,
      requestedBy: "U0DEPLOYER",
      source: "slack",
      steps: [{ name: "deploy", action: "deploy" }],
      channel: "C0DEPLOYS",
      waitLimitMs: 3_600_000,
    },
    T0,
  );
  return moveTo(moveTo(requested, "checking", T0), "awaiting_approval", T0);
}

function texts(view: ReturnType<typeof renderHome>): string {
  return JSON.stringify(view.blocks);
}

describe("renderHome", () => {
  it("shows per service and environment what is live, what is under way (linked) and any lock", () => {
    const services: HomeService[] = [
      {
        name: "web",
        environments: [
          { name: "staging", live: "v1.3.0" },
          {
            name: "production",
            live: "v1.2.0",
            active: { deployment: underWay(), thread: "https://slack.com/archives/C0DEPLOYS/p1" },
          },
        ],
      },
      {
        name: "billing",
        environments: [
          {
            name: "production",
            lock: { service: "billing", environment: "production", owner: "U0LEAD", reason: "db <migration>", at: T0 },
          },
        ],
      },
    ];
    const view = renderHome(services, T0);
    expect(view.type).toBe("home");
    const text = texts(view);
    expect(text).toContain("*staging* — live: `v1.3.0`");
    expect(text).toContain(
      "*production* — live: `v1.2.0` · ✋ <https://slack.com/archives/C0DEPLOYS/p1|v1.3.0> awaiting approval (0%) by <@U0DEPLOYER>",
    );
    expect(text).toContain("*production* — nothing deployed yet · 🔒 locked by <@U0LEAD>: db &lt;migration&gt;");
  });

  it("shows an environment held by the restore of a backup after its deployment ended", () => {
    const running = moveTo(underWay(), "running", T0);
    const restoring = {
      ...moveTo(moveTo(running, "rolling_back", T0), "rolled_back", T0),
      restore: { backupId: "web-production-1", takenBy: "d-home0001", by: "U0DBA", at: T0, afterEnd: true as const },
    };
    const text = texts(
      renderHome(
        [{ name: "web", environments: [{ name: "production", live: "v1.2.0", active: { deployment: restoring } }] }],
        T0,
      ),
    );
    expect(text).toContain(
      "*production* — live: `v1.2.0` · ♻️ restoring backup `web-production-1` of `v1.3.0` (rolled back), asked by <@U0DBA>",
    );
  });

  it("stays within Slack's 100 blocks for a Home tab, saying how many services it left out", () => {
    const many = Array.from({ length: 150 }, (_, i) => ({ name: `svc-${i}`, environments: [{ name: "production" }] }));
    const view = renderHome(many, T0);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expect(texts(view)).toContain("…and 53 more services");
    expect(blockProblems(JSON.parse(JSON.stringify(view.blocks)), 100)).toEqual([]);
  });

  it("says how to add a service when there is none", () => {
    expect(texts(renderHome([], T0))).toContain("No services yet");
  });
});
