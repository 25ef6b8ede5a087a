import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { validateCommand } from "../../../src/manifests/validate.js";
import { type ManifestDir, makeManifestDir, webManifest } from "./helpers.js";

let dir: ManifestDir;

beforeEach(async () => {
  dir = await makeManifestDir();
});

afterEach(async () => {
  await dir.remove();
});

function collector(): { write(text: string): void; lines(): string[] } {
  let text = "";
  return {
    write(chunk) {
      text += chunk;
    },
    lines: () => text.split("\n").filter((line) => line !== ""),
  };
}

describe("validateCommand", () => {
  it("summarises valid services and exits 0", async () => {
    await dir.write("web.yaml", webManifest());
    await dir.write("api.yaml", webManifest({ service: "api" }));
    const out = collector();

    const code = await validateCommand(dir.dir, out);

    expect(code).toBe(0);
    expect(out.lines().at(-1)).toBe("✓ 2 services valid: api, web");
  });

  it("warns, without failing, about an environment that requires approval without a prepared and tested rollback", async () => {
    await dir.write("web.yaml", webManifest());
    const prepared = webManifest({
      service: "api",
      productionStages: `
      - name: verify-rollback
        action: verifyRollback
      - name: deploy
        action: deploy`,
    }).replace(
      "    setTraffic: [node, traffic.mjs]",
      "    setTraffic: [node, traffic.mjs]\n    verifyRollback: [node, verify.mjs]\n    rollback: [node, rollback.mjs]",
    );
    await dir.write("api.yaml", prepared);
    const out = collector();

    const code = await validateCommand(dir.dir, out);

    expect(code).toBe(0);
    expect(out.lines()).toEqual([
      "⚠ services/web.yaml: environments.production: requires approval, but its rollback is not prepared and tested: the target has no rollback action, so Slipway cannot roll a failure back; add target.actions.rollback",
      "⚠ services/web.yaml: environments.production: requires approval, but its rollback is not prepared and tested: no stage verifies the rollback before deploying; add a stage with action: verifyRollback (and target.actions.verifyRollback)",
      "✓ 2 services valid: api, web",
    ]);
  });

  it("refuses an onFailure that is not a policy, and rollback without the target's rollback action", async () => {
    await dir.write(
      "web.yaml",
      webManifest()
        .replace("  development:\n", "  development:\n    onFailure: rolback\n")
        .replace("    strategy: blue-green\n", "    strategy: blue-green\n    onFailure: rollback\n"),
    );
    const out = collector();

    const code = await validateCommand(dir.dir, out);

    expect(code).toBe(1);
    expect(out.lines()).toEqual([
      "services/web.yaml: environments.development.onFailure: 'rolback' is not a rollback policy: write rollback (Slipway rolls back by itself to the last good version), stop (the deployment ends failed and offers Roll back) or pause (it pauses and says what is live where) — did you mean 'rollback'?",
      "services/web.yaml: environments.production.onFailure: onFailure: rollback needs the target's rollback action to return to the last good version; add target.actions.rollback, or write stop or pause",
      "✗ 2 errors in 1 file",
    ]);
  });

  it("prints one line per error and exits 1", async () => {
    await dir.write("web.yaml", webManifest().replace("run: [node, smoke.mjs]", "run: node smoke.mjs"));
    await dir.write("api.yaml", webManifest({ service: "api" }));
    const out = collector();

    const code = await validateCommand(dir.dir, out);

    expect(code).toBe(1);
    expect(out.lines()).toEqual([
      "services/web.yaml: environments.production.stages[2].run: expected an array of strings, got a string",
      "✗ 1 error in 1 file",
    ]);
  });

  it("exits 1 for a missing directory", async () => {
    const out = collector();

    const code = await validateCommand(path.join(dir.root, "missing"), out);

    expect(code).toBe(1);
    expect(out.lines()[0]).toContain("set SLIPWAY_MANIFESTS");
  });
});
