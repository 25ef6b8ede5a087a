import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { monitoringMs } from "../../../src/engine/watch.js";
import { Catalog } from "../../../src/manifests/catalog.js";
import { loadManifests } from "../../../src/manifests/load.js";
import { type ManifestDir, makeManifestDir } from "../manifests/helpers.js";

const MINUTE = 60_000;
const PATH = { first: { id: "d-stage1", environment: "staging" }, last: { id: "d-prod1", environment: "production" } };

describe("how long a deployment is watched after it is live", () => {
  let dir: ManifestDir;
  let catalog: Catalog;

  beforeEach(async () => {
    dir = await makeManifestDir();
    await dir.write(
      "web.yaml",
      `service: web
channels: { deploy: C0DEPLOYS, incidents: C0INCIDENT }
roles: { security: { users: [U0SECURE01] } }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
metrics: { source: prometheus, url: "http://127.0.0.1:9090" }
environments:
  staging:
    stages: [{ name: deploy, action: deploy }]
  production:
    monitoring: { immediate: 15m, extended: 1h }
    windows: { timezone: UTC, lowTraffic: [{ days: [tue], from: "02:00", to: "05:00" }] }
    stages: [{ name: deploy, action: deploy }]
`,
    );
    const loaded = await loadManifests(dir.dir);
    expect(loaded.errors).toEqual([]);
    catalog = new Catalog(loaded.services);
  });

  afterEach(() => dir.remove());

  it.each([
    ["a deployment: immediate plus extended", { id: "d-prod1", environment: "production" }, 75 * MINUTE],
    [
      "a sensitive one: twice as long",
      { id: "d-prod1", environment: "production", sensitive: true as const },
      150 * MINUTE,
    ],
    [
      "the waiting deployment of a hotfix path: as usual",
      { id: "d-prod1", environment: "production", hotfixPath: PATH },
      75 * MINUTE,
    ],
    [
      "the first of a hotfix path: its soak was its watch",
      { id: "d-stage1", environment: "staging", hotfixPath: PATH },
      0,
    ],
    [
      "an environment saying nothing: the seed's immediate 15 minutes",
      { id: "d-stage2", environment: "staging" },
      15 * MINUTE,
    ],
  ])("%s", (_, d, expected) => {
    expect(monitoringMs(catalog.require("web"), d)).toBe(expected);
  });
});
