import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
    expect([...sections].sort()).toEqual(["code", "deployment", "environment", "security", "validation"]);
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

  it("validates development after its last step as the seed does, an error logged since then failing it", async () => {
    const items = itemsFor(example.manifest, "development", "post-deployment");
    expect(items.map((item) => item.title)).toEqual([
      "Application starts successfully",
      "Health checks passing",
      "Basic functionality works",
      "No errors in logs",
    ]);
    expect(itemsFor(example.manifest, "production", "post-deployment")).toEqual([]);
    // Nothing the example's scripts did in a test environment since now: every item passes.
    const since = Date.now();
    const environment = `test-${since}`;
    const env = { SLIPWAY_ENVIRONMENT: environment, SLIPWAY_VERSION: "v1.2.0" };
    const results = await evaluateItems(items, { ...context(), env, since });
    expect(results.map((r) => `${r.id} ${r.status}`)).toEqual([
      "app-starts passed",
      "health-checks-passing passed",
      "basic-functionality passed",
      "no-errors-in-logs passed",
    ]);
    expect(results.at(-1)?.evidence).toBe(`0 error lines since ${new Date(since).toISOString()} (at most 0)`);

    // A noisy version's deploy in the ledger since then: its error line fails the log check.
    const state = await mkdtemp(join(tmpdir(), "slipway-example-logs-"));
    try {
      const at = new Date(since + 1_000).toISOString();
      const deploy = {
        key: "k",
        action: "deploy",
        attempt: 1,
        at,
        service: "example",
        environment,
        version: "v1.3.0-noisy",
      };
      await writeFile(join(state, "ledger.jsonl"), `${JSON.stringify(deploy)}\n`);
      const logs = items.filter((item) => item.id === "no-errors-in-logs");
      const [noisy] = await evaluateItems(logs, { ...context(), env: { ...env, SLIPWAY_EXAMPLE_STATE: state }, since });
      expect(noisy).toMatchObject({
        status: "failed",
        evidence: `1 error line since ${new Date(since).toISOString()} (at most 0): ${at} ERROR v1.3.0-noisy: payment provider timed out after 5000 ms`,
      });
    } finally {
      await rm(state, { recursive: true, force: true });
    }
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
