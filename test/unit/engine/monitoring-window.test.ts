import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { monitoringWindows } from "../../../src/engine/watch.js";
import { Catalog } from "../../../src/manifests/catalog.js";
import { loadManifests } from "../../../src/manifests/load.js";
import { type ManifestDir, makeManifestDir } from "../manifests/helpers.js";

const MINUTE = 60_000;
const T = Date.UTC(2026, 11, 7, 10);
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
metrics:
  source: prometheus
  url: "http://127.0.0.1:9090"
  custom: [{ name: conversion-rate, query: "c", unit: ratio, worse: lower, limit: 0.1 }]
environments:
  staging:
    stages: [{ name: deploy, action: deploy }]
  development:
    monitoring: { immediate: 5m, extended: false }
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
    [
      "a deployment: immediate, then extended",
      { id: "d-prod1", environment: "production" },
      { immediateUntil: T + 15 * MINUTE, monitorUntil: T + 75 * MINUTE },
    ],
    [
      "a sensitive one: both twice as long",
      { id: "d-prod1", environment: "production", sensitive: true as const },
      { immediateUntil: T + 30 * MINUTE, monitorUntil: T + 150 * MINUTE },
    ],
    [
      "the waiting deployment of a hotfix path: as usual",
      { id: "d-prod1", environment: "production", hotfixPath: PATH },
      { immediateUntil: T + 15 * MINUTE, monitorUntil: T + 75 * MINUTE },
    ],
    [
      "the first of a hotfix path: its soak was its watch",
      { id: "d-stage1", environment: "staging", hotfixPath: PATH },
      undefined,
    ],
    [
      "an environment saying nothing: the seed's immediate 15 minutes, then an hour's extended window",
      { id: "d-stage2", environment: "staging" },
      { immediateUntil: T + 15 * MINUTE, monitorUntil: T + 75 * MINUTE },
    ],
    [
      "an environment whose extended window is off: the immediate window only",
      { id: "d-dev1", environment: "development" },
      { immediateUntil: T + 5 * MINUTE, monitorUntil: T + 5 * MINUTE },
    ],
    [
      "a /rollback deployment: the immediate window only, it returns to a version already watched",
      { id: "d-prod2", environment: "production", rollbackOf: "v2.0.0" },
      { immediateUntil: T + 15 * MINUTE, monitorUntil: T + 15 * MINUTE },
    ],
  ])("%s", (_, d, expected) => {
    expect(monitoringWindows(catalog.require("web"), d, T)).toEqual(expected);
  });
});

describe("monitoring.extended in a manifest", () => {
  let dir: ManifestDir;
  beforeEach(async () => {
    dir = await makeManifestDir();
  });
  afterEach(() => dir.remove());

  /** The manifest's errors with this `extended`, and these custom metrics (YAML flow list). */
  async function errorsOf(
    extended: string,
    custom = `[{ name: conversion-rate, query: "c", unit: ratio, worse: lower, limit: 0.1 }]`,
  ): Promise<string[]> {
    await dir.write(
      "web.yaml",
      `service: web
channels: { deploy: C0DEPLOYS }
target:
  type: command
  actions: { deploy: [node, deploy.mjs] }
metrics:
  source: prometheus
  url: "http://127.0.0.1:9090"
  custom: ${custom}
environments:
  production:
    monitoring: { immediate: 15m, extended: ${extended} }
    stages: [{ name: deploy, action: deploy }]
`,
    );
    const loaded = await loadManifests(dir.dir);
    return loaded.errors.map((error) => JSON.stringify(error));
  }

  it("takes a length, or its own length, interval and metrics", async () => {
    expect(await errorsOf("2h")).toEqual([]);
    expect(await errorsOf("{ for: 24h, interval: 5m, metrics: [conversion-rate] }")).toEqual([]);
    expect(await errorsOf("{ interval: 5m }")).toEqual([]);
  });

  it("is on by default over the custom metrics, and needs some to watch when asked for", async () => {
    expect(await errorsOf("false")).toEqual([]);
    expect((await errorsOf("1h", "[]")).join()).toContain(
      "the extended window watches the service's custom metrics, and metrics.custom declares none",
    );
  });

  it("refuses more than 24h, an unknown metric and an unknown key, saying what is allowed", async () => {
    expect((await errorsOf("25h")).join()).toContain("extended monitoring lasts more than 0 and at most 24h, e.g. 1h");
    expect((await errorsOf("{ for: 1h, metrics: [revenue] }")).join()).toContain(
      "'revenue' is not a metric of this service; metrics.custom declares conversion-rate",
    );
    expect((await errorsOf("{ every: 5m }")).join()).toContain("unknown key 'every' (allowed: for, interval, metrics)");
  });
});
