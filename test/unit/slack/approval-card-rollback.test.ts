import { describe, expect, it } from "vitest";
import { type Deployment, newDeployment } from "../../../src/domain/deployment.js";
import type { RollbackGap } from "../../../src/domain/on-failure.js";
import { renderApprovalCard } from "../../../src/slack/renderers/gates.js";

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

function awaitingApproval(gaps: readonly RollbackGap[]): Deployment {
  const d = newDeployment(
    {
      id: "d-card0001",
      service: "web",
      environment: "production",
      version: "v1.2.0",
      strategy: "canary",
      hotfix: false,
      requestedBy: "U0ENGINEER",
      source: "slack",
      steps: [{ name: "deploy", action: "deploy" }],
      channel: "C0DEPLOYS",
      waitLimitMs: 4 * 3_600_000,
      failurePolicy: { onFailure: "stop", gaps },
    },
    T0,
  );
  return {
    ...d,
    state: "awaiting_approval",
    approval: { needed: 1, allowSelfApproval: false, approvers: "<@U0LEAD01>", requestedAt: T0, votes: [] },
  };
}

function cardText(d: Deployment): string {
  return renderApprovalCard(d)
    .blocks.flatMap((b) => (b.type === "section" ? [b.text.text] : []))
    .join("\n");
}

describe("the approval card's rollback warning", () => {
  it("says plainly when the environment's rollback is not prepared and tested", () => {
    expect(cardText(awaitingApproval(["rollback-action", "verify-rollback-stage"]))).toContain(
      "⚠️ *Rollback not prepared and tested:* the target has no rollback action, so Slipway cannot roll this version back by itself; no stage checks that the rollback works before this version is deployed. If this version fails, undoing it is up to you.",
    );
    expect(cardText(awaitingApproval(["verify-rollback-stage"]))).toContain(
      "⚠️ *Rollback not prepared and tested:* no stage checks that the rollback works before this version is deployed. If this version fails, its rollback runs untested.",
    );
  });

  it("says nothing about the rollback when it is prepared and tested", () => {
    expect(cardText(awaitingApproval([]))).not.toContain("Rollback not prepared");
  });
});
