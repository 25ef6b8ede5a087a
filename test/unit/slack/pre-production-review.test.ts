import { describe, expect, it } from "vitest";
import { whatChanged } from "../../../src/domain/changes.js";
import type { ItemResult } from "../../../src/domain/checklist.js";
import type { Deployment } from "../../../src/domain/deployment.js";
import type { PreProductionReview } from "../../../src/domain/pre-production.js";
import type { SlackMessage } from "../../../src/slack/renderers/blocks.js";
import { renderApprovalCard } from "../../../src/slack/renderers/gates.js";
import {
  awaitingApproval,
  expectNothingCut,
  expectWithinSlackLimits,
  sectionTexts,
} from "../../support/slack-message.js";

const T0 = Date.UTC(2026, 11, 7, 9, 30, 0);

const REVIEW: PreProductionReview = {
  provenIn: "staging",
  proof: {
    deploymentId: "d-staging01",
    channel: "C0DEPLOYS",
    finishedAt: T0 - 26 * 3_600_000,
    durationMs: 4 * 60_000,
    tests: [
      { label: "Unit Tests", passed: 1234, failed: 0, skipped: 0 },
      { label: "E2E", passed: 78, failed: 0, skipped: 2 },
    ],
    performance: { p95Ms: { observed: 130, baseline: 120 }, errorRate: { observed: 0.2, baseline: 0.3 } },
    downtimeMs: 0,
    issues: [],
  },
  rollbackPlan: {
    toVersion: "v1.1.0",
    trafficFirst: true,
    rollbackAction: true,
    validation: ["Previous version running", "Users can access system"],
    verifiedBy: ["verify-rollback"],
    automatic: true,
  },
};

function item(id: string, section: ItemResult["section"], status: ItemResult["status"], evidence = "ok"): ItemResult {
  return { id, title: id.replaceAll("-", " "), section, required: true, status, evidence };
}

function card(patch: Partial<Deployment> = {}): SlackMessage {
  return renderApprovalCard({
    ...awaitingApproval(T0),
    checklist: [item("tests-pass", "code", "passed"), item("secrets-scanned", "security", "passed", "0 findings")],
    preProduction: REVIEW,
    ...patch,
  });
}

function text(message: SlackMessage): string {
  return sectionTexts(message).join("\n");
}

describe("the approval card's pre-production review", () => {
  it("shows staging's tests and performance, the checklist's security items and the rollback plan", () => {
    const shown = text(card());
    expect(shown).toContain(
      [
        "🧭 *Pre-production review*",
        "*Proven in staging:* `d-staging01` succeeded 2026-12-06 07:30 UTC, ran 4 minutes",
        "• Tests: Unit Tests: PASS (1,234 tests) · E2E: PASS (78 tests, 2 skipped)",
        "• Performance: p95 130ms vs baseline 120ms (+8%); error rate 0.2% vs baseline 0.3%",
        "• Downtime: 0 seconds · Issues: None",
      ].join("\n"),
    );
    expect(shown).toContain("*Checklist:* 2/2 passed\n*Security:*\n• ✅ secrets scanned — 0 findings");
    expect(shown).toContain(
      "*Rollback plan:* back to v1.1.0: traffic back to the stable version, then the target's rollback action, then 2 validation checks (Previous version running, Users can access system)\n• Verified before deploying by _verify-rollback_\n• Automatic when a metric trigger trips",
    );
  });

  it("says so when the version has no staging run on record, or there is no earlier environment", () => {
    const { proof: _none, ...unproven } = REVIEW;
    expect(text(card({ preProduction: unproven }))).toContain(
      "*Proven in staging:* v1.2.0 has no successful staging run on record",
    );
    const { provenIn: _nowhere, ...alone } = unproven;
    expect(text(card({ preProduction: alone }))).toContain("*Proven before:* no earlier environment to prove it in");
  });

  it("stays within Slack's limits with a long checklist, long evidence and a big release", () => {
    const message = card({
      checklist: Array.from({ length: 60 }, (_, i) =>
        item(`item-${i}-${"x".repeat(80)}`, i % 2 ? "security" : "code", i % 3 ? "passed" : "failed", "e".repeat(900)),
      ),
      preProduction: {
        ...REVIEW,
        rollbackPlan: { ...REVIEW.rollbackPlan, validation: Array.from({ length: 50 }, (_, i) => `check ${i}`) },
      },
      whatChanged: whatChanged(
        Array.from({ length: 500 }, (_, i) => ({
          sha: `${i}`,
          author: "Ann",
          at: T0,
          subject: `feat: ${"long ".repeat(30)}${i}`,
          body: "",
        })),
        "v1.1.0",
      ),
    });
    expectWithinSlackLimits(message);
    // Nothing is cut mid-text, and the buttons are never what is left out.
    expectNothingCut(message);
    expect(message.blocks.some((b) => b.type === "actions")).toBe(true);
    expect(text(message)).toContain("…and 22 more");
  });
});
