import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { metricsConfigSchema, type PrometheusMetricsConfig } from "../../src/metrics/config.js";
import { createMetricSource } from "../../src/metrics/create-source.js";
import {
  PrometheusSource,
  renderQuery,
  SAME_HOUR_OFFSETS,
  sameHourRequestRateQuery,
} from "../../src/metrics/prometheus-source.js";
import { eventually } from "../support/eventually.js";
import { findPrometheus, PROMETHEUS_SKIP_REASON, PrometheusServer } from "../support/prometheus-server.js";
import { type Load, type SampleStack, startLoad, startSampleStack } from "../support/sample-stack.js";
import { ROOT } from "../support/slipway-process.js";

/*
 * The example service's own metrics as the Kubernetes copy of its manifest
 * declares them (p50, p99, active users, conversion rate), run as Slipway
 * runs them: each PromQL template filled for one version and asked of a real
 * Prometheus scraping the sample service under load. Each must answer one
 * number; a query that names the wrong metric or label answers "no data".
 */

const PROMETHEUS = findPrometheus();
if (PROMETHEUS === undefined) console.warn(`Skipping the example's queries: ${PROMETHEUS_SKIP_REASON}`);

const SERVICE = "example";
const ENVIRONMENT = "production";
const VERSION = "v1.1.0";

async function kubernetesMetrics(): Promise<PrometheusMetricsConfig> {
  const configMap = parse(await readFile(join(ROOT, "manifests/k8s/configmap.yaml"), "utf8")) as {
    data: Record<string, string>;
  };
  const manifest = parse(configMap.data["example.yaml"] ?? "") as { metrics: unknown };
  const config = metricsConfigSchema.parse(manifest.metrics);
  if (config.source !== "prometheus") throw new Error(`the example reads ${config.source}, not prometheus`);
  return config;
}

describe.skipIf(PROMETHEUS === undefined)("the example's Prometheus queries against a real Prometheus", () => {
  let stack: SampleStack;
  let load: Load;
  let prometheus: PrometheusServer;

  beforeAll(async () => {
    stack = await startSampleStack(VERSION, 2);
    load = await startLoad(stack.url, 40);
    prometheus = await PrometheusServer.start(PROMETHEUS ?? "", [
      {
        name: "example",
        target: new URL(stack.url).host,
        metricsPath: "/_admin/metrics",
        labels: { service: SERVICE, environment: ENVIRONMENT },
      },
    ]);
  }, 60_000);

  afterAll(async () => {
    await load?.stop();
    await prometheus?.stop();
    await stack?.stop();
  }, 60_000);

  it("answers each declared metric with a number for the running version", async () => {
    const declared = await kubernetesMetrics();
    expect(declared.custom.map((m) => m.name)).toEqual([
      "p50",
      "p99",
      "active-users",
      "conversion-rate",
      "traffic-vs-last-week",
    ]);
    const source = createMetricSource({ ...declared, url: prometheus.url });
    const request = { service: SERVICE, environment: ENVIRONMENT, version: VERSION };

    // Rates need two scrapes inside the window: ask until every metric answers, or say which never did. The
    // same-hour comparison needs a week of history (the next test shows its query answers no data until then).
    const sameHour = declared.custom.find((m) => m.name === "traffic-vs-last-week");
    expect(sameHour?.query).toBe(sameHourRequestRateQuery("1w"));
    const names = declared.custom.filter((m) => m !== sameHour).map((m) => m.name);
    const custom = await eventually(
      "every declared metric of the example to answer",
      async () => {
        const { canary, missing } = await source.snapshot(request);
        const unanswered = missing.filter((line) => names.some((name) => line.includes(` ${name}: `)));
        return unanswered.length === 0 ? (canary.custom ?? {}) : new Error(unanswered.join("\n"));
      },
      30_000,
      500,
    );
    for (const name of names) expect(Number.isFinite(custom[name]), `${name}: ${custom[name]}`).toBe(true);

    // The numbers are what the sample service does: 10–20 ms answers, 3 visits in 10 convert, visitors active.
    expect(custom.p50).toBeGreaterThan(0.005);
    expect(custom.p50).toBeLessThan(0.1);
    expect(custom.p99).toBeGreaterThanOrEqual(custom.p50 ?? Number.POSITIVE_INFINITY);
    expect(custom["active-users"]).toBeGreaterThan(0);
    expect(custom["conversion-rate"]).toBeGreaterThan(0.15);
    expect(custom["conversion-rate"]).toBeLessThan(0.45);
  }, 90_000);

  it("accepts the same-hour request-rate query, answering no data while it has no history that old", async () => {
    const source = new PrometheusSource({ url: prometheus.url });
    const values = { service: SERVICE, environment: ENVIRONMENT, version: VERSION, baselineVersion: "", window: "1m" };
    for (const offset of SAME_HOUR_OFFSETS) {
      const result = await source.query(renderQuery(sameHourRequestRateQuery(offset), values));
      expect(result).toEqual({ ok: false, reason: "no data: the query returned no series" });
    }
    // The same query without the offset reads today's traffic: the query is right, only the history is missing.
    const now = sameHourRequestRateQuery("1d").split(" / ")[0] ?? "";
    const today = await source.query(renderQuery(now, values));
    expect(today.ok && today.value > 0, JSON.stringify(today)).toBe(true);
  }, 30_000);
});
