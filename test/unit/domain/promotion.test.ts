import { describe, expect, it } from "vitest";
import { promotionDecision, type VersionHistory } from "../../../src/domain/promotion.js";
import { promotionRefusalText } from "../../../src/slack/renderers/request-answer.js";

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 11, 7, 12, 0);
const RULE = { environment: "staging", soakMs: 24 * HOUR };

describe("promotionDecision", () => {
  it.each<[string, VersionHistory, boolean, string]>([
    ["never in staging", {}, false, "never-passed"],
    ["never in staging, hotfix: staging first", {}, true, "hotfix-path"],
    ["too early", { passedAt: NOW - 3 * HOUR }, false, "too-early"],
    [
      "rolled back after passing",
      { passedAt: NOW - 30 * HOUR, trouble: { at: NOW - HOUR, how: "rolled_back" } },
      false,
      "troubled",
    ],
    ["failed since", { passedAt: NOW - 30 * HOUR, trouble: { at: NOW - 2 * HOUR, how: "failed" } }, false, "troubled"],
    ["failed and never passed", { trouble: { at: NOW - 2 * HOUR, how: "failed" } }, false, "troubled"],
    ["failed and never passed, hotfix", { trouble: { at: NOW - 2 * HOUR, how: "failed" } }, true, "troubled"],
    [
      "rolled back, hotfix",
      { passedAt: NOW - 30 * HOUR, trouble: { at: NOW - HOUR, how: "rolled_back" } },
      true,
      "troubled",
    ],
    ["ok: soaked", { passedAt: NOW - 24 * HOUR }, false, "soaked"],
    [
      "ok: passed again after a failure",
      { passedAt: NOW - 25 * HOUR, trouble: { at: NOW - 26 * HOUR, how: "failed" } },
      false,
      "soaked",
    ],
    ["hotfix: passed minutes ago, soak waived", { passedAt: NOW - 5 * 60_000 }, true, "hotfix"],
  ])("%s", (_, history, hotfix, expected) => {
    const decision = promotionDecision(RULE, history, NOW, hotfix);
    expect(decision.ok ? decision.why : decision.code).toBe(expected);
  });

  it("sends a hotfix that never passed staging through staging first, naming the rule", () => {
    expect(promotionDecision(RULE, {}, NOW, true)).toEqual({ ok: true, why: "hotfix-path", rule: RULE });
  });

  it("lets anything through where no rule is set", () => {
    expect(promotionDecision(undefined, {}, NOW, false)).toEqual({ ok: true, why: "no-rule" });
  });

  it("says when a soaking version may go", () => {
    const decision = promotionDecision(RULE, { passedAt: NOW - 3 * HOUR }, NOW, false);
    expect(decision).toMatchObject({ ok: false, code: "too-early", readyAt: NOW + 21 * HOUR });
  });
});

describe("promotionRefusalText", () => {
  const subject = { version: "v1.2.0", environment: "production" };

  it("says how long ago it passed, what is needed and from when, or --hotfix", () => {
    const decision = promotionDecision(RULE, { passedAt: NOW - 3 * HOUR }, NOW, false);
    if (decision.ok) throw new Error("expected a refusal");
    expect(promotionRefusalText(decision, subject, NOW)).toBe(
      "v1.2.0 passed staging 3h 00m ago; production needs 1d 00h of staging — from <!date^1796720400^{date_short_pretty} at {time}|2026-12-08 09:00 UTC>, or `--hotfix` for an urgent fix.",
    );
  });

  it("asks for staging first when the version never passed it", () => {
    const decision = promotionDecision(RULE, {}, NOW, false);
    if (decision.ok) throw new Error("expected a refusal");
    expect(promotionRefusalText(decision, subject, NOW)).toMatch(
      /^v1\.2\.0 has not succeeded in staging; production needs 1d 00h of staging\. Deploy it to staging first, or `--hotfix` for an urgent fix \(staging first with its short soak, then production by itself\)\.$/,
    );
  });

  it("names a rollback from staging", () => {
    const decision = promotionDecision(
      RULE,
      { passedAt: NOW - 30 * HOUR, trouble: { at: NOW - HOUR, how: "rolled_back" } },
      NOW,
      false,
    );
    if (decision.ok) throw new Error("expected a refusal");
    expect(promotionRefusalText(decision, subject, NOW)).toContain(
      "v1.2.0 was rolled back from staging at <!date^1796641200^{date_short_pretty} at {time}|2026-12-07 11:00 UTC>",
    );
  });

  it("without a soak asks only for a success", () => {
    const decision = promotionDecision({ environment: "development", soakMs: 0 }, {}, NOW, false);
    if (decision.ok) throw new Error("expected a refusal");
    expect(promotionRefusalText(decision, { version: "v2.0.0", environment: "staging" }, NOW)).toContain(
      "staging needs a success in development",
    );
  });
});
