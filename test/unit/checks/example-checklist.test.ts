import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { evaluateItems } from "../../../src/checks/evaluate-item.js";
import { gate, itemsFor } from "../../../src/domain/checklist.js";
import { createLogger } from "../../../src/logger.js";
import { type LoadedManifest, loadManifests } from "../../../src/manifests/load.js";

let example: LoadedManifest;

beforeAll(async () => {
  const { services, errors } = await loadManifests(
    fileURLToPath(new URL("../../../manifests/services", import.meta.url)),
  );
  expect(errors).toEqual([]);
  const loaded = services.get("example");
  if (loaded === undefined) throw new Error("the example service did not load");
  example = loaded;
});

function context() {
  return { workdir: example.workdir, env: {}, log: createLogger("silent") };
}

describe("the example service's checklist", () => {
  it("has every seed checklist section", () => {
    const sections = new Set(example.manifest.checklist.map((item) => item.section));
    expect([...sections].sort()).toEqual(["code", "environment", "security", "validation"]);
  });

  it("keeps development fast and automatic: it passes without anyone ticking", async () => {
    const items = itemsFor(example.manifest, "development");
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((item) => item.check.kind !== "manual")).toBe(true);
    const results = await evaluateItems(items, context());
    expect(results.filter((r) => r.status !== "passed")).toEqual([]);
    expect(gate(results).state).toBe("passed");
    expect(results.find((r) => r.id === "coverage")?.evidence).toBe("86.4 ≥ 80");
  });

  it("checks every automatic production item green and waits for the manual ones", async () => {
    const items = itemsFor(example.manifest, "production");
    expect(items.map((item) => item.id)).toContain("communication-plan");
    const results = await evaluateItems(items, context());
    const notPassed = results.filter((r) => r.status !== "passed").map((r) => [r.id, r.status]);
    expect(notPassed).toEqual([
      ["docs-updated", "waiting"],
      ["communication-plan", "waiting"],
      ["access-controls", "waiting"],
    ]);
    const outcome = gate(results);
    expect(outcome.state).toBe("waiting");
    expect(outcome.blocking.map((r) => r.id)).toEqual(["communication-plan", "access-controls"]);
  });

  it("passes the post-rollback validation items", async () => {
    const items = itemsFor(example.manifest, "production", "post-rollback");
    expect(items.map((item) => item.section)).toEqual(items.map(() => "validation"));
    const results = await evaluateItems(items, context());
    expect(gate(results).state).toBe("passed");
  });

  it("needs two approvals in production and none in development", () => {
    expect(example.manifest.environments.production?.approval).toMatchObject({ required: true, count: 2 });
    expect(example.manifest.environments.development?.approval.required).toBe(false);
    expect(example.manifest.environments.staging?.approval.required).toBe(false);
  });
});
