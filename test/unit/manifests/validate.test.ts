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
    expect(out.lines()).toEqual(["✓ 2 services valid: api, web"]);
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
