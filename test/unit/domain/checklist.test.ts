import { describe, expect, it } from "vitest";
import {
  type ChecklistSource,
  describeComparison,
  gate,
  type ItemResult,
  itemsFor,
  tickItem,
} from "../../../src/domain/checklist.js";
import type { ChecklistItemConfig } from "../../../src/manifests/schema.js";

function result(id: string, status: ItemResult["status"], required = true): ItemResult {
  return { id, title: id, section: "code", required, status, evidence: "" };
}

describe("gate", () => {
  it("passes when every required item passed, whatever advisory items did", () => {
    expect(gate([result("a", "passed"), result("b", "failed", false), result("c", "waiting", false)])).toEqual({
      state: "passed",
      blocking: [],
    });
    expect(gate([])).toEqual({ state: "passed", blocking: [] });
  });

  it("fails on a required failure or error, listing every required item not yet passed", () => {
    const results = [result("a", "waiting"), result("b", "failed"), result("c", "error"), result("d", "passed")];
    const outcome = gate(results);
    expect(outcome.state).toBe("failed");
    expect(outcome.blocking.map((r) => r.id)).toEqual(["a", "b", "c"]);
  });

  it("waits while a required manual item is unticked", () => {
    const outcome = gate([result("a", "passed"), result("b", "waiting"), result("c", "failed", false)]);
    expect(outcome).toEqual({ state: "waiting", blocking: [result("b", "waiting")] });
  });
});

function item(id: string, section: ChecklistItemConfig["section"]): ChecklistItemConfig {
  return { id, title: id, section, required: true, check: { kind: "manual" } };
}

describe("itemsFor", () => {
  const checklist = [
    item("coverage", "code"),
    item("migrations", "environment"),
    item("secrets", "security"),
    item("app-starts", "deployment"),
    item("no-log-errors", "deployment"),
    item("previous-version", "validation"),
    item("healthy", "validation"),
  ];
  const manifest: ChecklistSource<ChecklistItemConfig> = {
    checklist,
    environments: {
      development: { checklist: ["secrets", "no-log-errors", "coverage", "app-starts"] },
      staging: { checklist: ["coverage", "healthy"] },
      production: {},
    },
  };

  it("defaults to every item outside the deployment and validation sections", () => {
    expect(itemsFor(manifest, "production").map((i) => i.id)).toEqual(["coverage", "migrations", "secrets"]);
  });

  it("keeps the environment's own list and order, without deployment or validation items", () => {
    expect(itemsFor(manifest, "development").map((i) => i.id)).toEqual(["secrets", "coverage"]);
    expect(itemsFor(manifest, "staging").map((i) => i.id)).toEqual(["coverage"]);
  });

  it("gives validation items after a rollback: the listed ones, or all of them", () => {
    expect(itemsFor(manifest, "staging", "post-rollback").map((i) => i.id)).toEqual(["healthy"]);
    expect(itemsFor(manifest, "production", "post-rollback").map((i) => i.id)).toEqual(["previous-version", "healthy"]);
    expect(itemsFor(manifest, "development", "post-rollback").map((i) => i.id)).toEqual([
      "previous-version",
      "healthy",
    ]);
  });

  it("gives deployment items after the last step: only those the environment lists, in its order", () => {
    expect(itemsFor(manifest, "development", "post-deployment").map((i) => i.id)).toEqual([
      "no-log-errors",
      "app-starts",
    ]);
    expect(itemsFor(manifest, "staging", "post-deployment")).toEqual([]);
    expect(itemsFor(manifest, "production", "post-deployment")).toEqual([]);
  });

  it("refuses an environment the manifest does not have", () => {
    expect(() => itemsFor(manifest, "qa")).toThrow("the manifest has no environment 'qa'");
  });
});

describe("describeComparison", () => {
  it.each([
    [86.4, ">=", 80, "86.4 ≥ 80"],
    [72.1, ">=", 80, "72.1 < 80 (needs ≥ 80)"],
    [145, "<=", 200, "145 ≤ 200"],
    [250, "<=", 200, "250 > 200 (needs ≤ 200)"],
    [0, "==", 0, "0 = 0"],
    [2, "==", 0, "2 ≠ 0 (needs = 0)"],
    [5, ">", 5, "5 ≤ 5 (needs > 5)"],
    [5, "<", 5, "5 ≥ 5 (needs < 5)"],
  ] as const)("%d %s %d → %s", (actual, op, expected, text) => {
    expect(describeComparison(actual, op, expected)).toBe(text);
  });
});

describe("tickItem", () => {
  const results = [result("coverage", "passed"), { ...result("comms", "waiting"), title: "Communication plan ready" }];

  it("marks a waiting item passed by the person who ticked it", () => {
    const ticked = tickItem(results, "comms", "U0LEAD01", 1_000);
    expect(ticked.ok).toBe(true);
    if (!ticked.ok) return;
    expect(ticked.results[1]).toMatchObject({
      status: "passed",
      evidence: "ticked by <@U0LEAD01>",
      tickedBy: "U0LEAD01",
      at: 1_000,
    });
    expect(results[1]?.status).toBe("waiting");

    const again = tickItem(ticked.results, "comms", "U0LEAD02", 2_000);
    expect(again).toEqual({
      ok: false,
      reason: "'Communication plan ready' was already ticked by <@U0LEAD01>; nothing changed",
    });
  });

  it("refuses automatic items and unknown ids", () => {
    const automatic = tickItem(results, "coverage", "U1", 1);
    expect(automatic.ok).toBe(false);
    if (!automatic.ok) expect(automatic.reason).toContain("is checked automatically");
    const unknown = tickItem(results, "nope", "U1", 1);
    expect(unknown.ok).toBe(false);
  });
});
