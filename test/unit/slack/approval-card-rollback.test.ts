import { describe, expect, it } from "vitest";
import type { RollbackGap } from "../../../src/domain/on-failure.js";
import { renderApprovalCard } from "../../../src/slack/renderers/gates.js";
import { awaitingApproval, sectionTexts } from "../../support/slack-message.js";

const T0 = Date.UTC(2025, 0, 6, 9, 0, 0);

function cardText(gaps: readonly RollbackGap[]): string {
  return sectionTexts(renderApprovalCard(awaitingApproval(T0, { failurePolicy: { onFailure: "stop", gaps } }))).join(
    "\n",
  );
}

describe("the approval card's rollback warning", () => {
  it("says plainly when the environment's rollback is not prepared and tested", () => {
    expect(cardText(["rollback-action", "verify-rollback-stage"])).toContain(
      "⚠️ *Rollback not prepared and tested:* the target has no rollback action, so Slipway cannot roll this version back by itself; no stage checks that the rollback works before this version is deployed. If this version fails, undoing it is up to you.",
    );
    expect(cardText(["verify-rollback-stage"])).toContain(
      "⚠️ *Rollback not prepared and tested:* no stage checks that the rollback works before this version is deployed. If this version fails, its rollback runs untested.",
    );
  });

  it("says nothing about the rollback when it is prepared and tested", () => {
    expect(cardText([])).not.toContain("Rollback not prepared");
  });
});
