import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { analyse, DEFAULT_TRIGGERS } from "../../../src/domain/analysis.js";
import { metricsConfigSchema } from "../../../src/metrics/config.js";
import { createMetricSource } from "../../../src/metrics/create-source.js";
import {
  DEFAULT_QUERIES,
  PrometheusSource,
  renderQuery,
  sameHourRequestRateQuery,
} from "../../../src/metrics/prometheus-source.js";
import { DEFAULT_METRIC_NAMES, ScrapeSource } from "../../../src/metrics/scrape-source.js";

function section(yaml: string): unknown {
  return (parse(yaml) as { metrics: unknown }).metrics;
}

function messages(input: unknown): string[] {
  const result = metricsConfigSchema.safeParse(input);
  if (result.success) return [];
  return result.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
}

describe("metricsConfigSchema", () => {
  it("parses the Prometheus form with every default filled in", () => {
    const parsed = metricsConfigSchema.parse(
      section(`
metrics:
  source: prometheus
  url: http://127.0.0.1:9090
`),
    );
    expect(parsed).toEqual({
      source: "prometheus",
      url: "http://127.0.0.1:9090",
      window: "1m",
      queries: DEFAULT_QUERIES,
      intervalMs: 30_000,
      timeoutMs: 5000,
      minRequests: 50,
      triggers: DEFAULT_TRIGGERS,
      custom: [],
    });
  });

  it("takes overrides of queries, interval, traffic minimum and each trigger", () => {
    const parsed = metricsConfigSchema.parse(
      section(`
metrics:
  source: prometheus
  url: https://prometheus.internal/prom
  window: 2m
  queries: { errorRate: 'sum(rate(errors_total{app="{{service}}",version="{{version}}"}[{{window}}]))' }
  interval: 1m
  timeout: 10s
  minRequests: 200
  triggers: { errorRateIncrease: 2, latencyFactor: 1.5, latencyMaxMs: 250, memoryPercent: false, cpuPercent: 70, cpuSustained: 5m, healthCheck: false }
`),
    );
    expect(parsed).toMatchObject({ window: "2m", intervalMs: 60_000, timeoutMs: 10_000, minRequests: 200 });
    if (parsed.source !== "prometheus") throw new Error("expected the prometheus form");
    expect(parsed.queries.errorRate).toContain("errors_total");
    expect(parsed.queries.p95).toBe(DEFAULT_QUERIES.p95);
    expect(parsed.triggers).toEqual({
      errorRateIncrease: 2,
      latencyFactor: 1.5,
      latencyMaxMs: 250,
      healthCheck: false,
      memoryPercent: false,
      cpuPercent: 70,
      cpuSustainedMs: 300_000,
    });
  });

  it("parses the scrape form", () => {
    const parsed = metricsConfigSchema.parse(
      section(`
metrics:
  source: scrape
  scrape:
    targets: { candidate: http://127.0.0.1:8081/metrics, stable: http://127.0.0.1:8080/metrics }
    template: http://metrics-gateway:8080/{{version}}/metrics
    interval: 15s
  triggers: { cpuSustained: 1m }
`),
    );
    expect(parsed).toEqual({
      source: "scrape",
      targets: { candidate: "http://127.0.0.1:8081/metrics", stable: "http://127.0.0.1:8080/metrics" },
      template: "http://metrics-gateway:8080/{{version}}/metrics",
      scrapeIntervalMs: 15_000,
      versionLabel: "version",
      statusLabel: "status",
      names: DEFAULT_METRIC_NAMES,
      intervalMs: 30_000,
      timeoutMs: 5000,
      minRequests: 50,
      triggers: { ...DEFAULT_TRIGGERS, cpuSustainedMs: 60_000 },
      custom: [],
    });
  });

  it("explains what is wrong", () => {
    expect(messages({ url: "http://x" })).toEqual([
      "source: set source: prometheus (with url: http://prometheus:9090) or source: scrape (with scrape.targets or scrape.template)",
    ]);
    expect(messages({ source: "prometheus", url: "ftp://x" })).toEqual([
      "url: 'ftp://x' is not an http(s) URL; write one such as http://prometheus:9090",
    ]);
    expect(messages({ source: "scrape", scrape: {} })).toEqual([
      "scrape: say where to scrape: targets such as { candidate: http://web-canary:8080/metrics, stable: http://web:8080/metrics }, or a template with {{version}}",
    ]);
    expect(messages({ source: "scrape", scrape: { template: "http://web/metrics" } })).toEqual([
      "scrape.template: a template needs {{version}}, e.g. http://metrics-gateway:8080/{{version}}/metrics",
    ]);
    expect(messages({ source: "scrape", scrape: { template: "http://web-{{version}}/metrics" } })[0]).toMatch(
      /put \{\{version\}\} in the path, not the host name$/,
    );
    expect(messages({ source: "prometheus", url: "http://p", queries: { p95: 'x{pod="{{pod}}"}' } })).toEqual([
      "queries.p95: unknown placeholder {{pod}}; a query may use {{service}}, {{environment}}, {{version}}, {{baselineVersion}}, {{window}}",
    ]);
    expect(messages({ source: "prometheus", url: "http://p", interval: "soon" })[0]).toMatch(
      /^interval: duration 'soon'/,
    );
    expect(messages({ source: "prometheus", url: "http://p", minRequests: 2.5 })).toEqual([
      "minRequests: expected a whole number of requests, got 2.5",
    ]);
    expect(messages({ source: "prometheus", url: "http://p", triggers: { memoryPercent: "lots" } })).toEqual([
      "triggers.memoryPercent: expected a number such as 90, or false to switch the trigger off",
    ]);
    expect(messages({ source: "prometheus", url: "http://p", triggers: { cpuSustained: "2 minutes" } })[0]).toMatch(
      /^triggers.cpuSustained: duration/,
    );
    expect(messages({ source: "scrape", url: "http://p", scrape: { template: "http://w/{{version}}" } })[0]).toMatch(
      /url/,
    );
  });

  it("parses custom metrics: a query or scrape expression, unit, direction, limits, and whether they roll back", () => {
    const parsed = metricsConfigSchema.parse(
      section(`
metrics:
  source: scrape
  scrape: { template: "http://gateway/{{version}}/metrics" }
  custom:
    - { name: p99, scrape: "quantile(0.99, http_request_duration_seconds)", unit: seconds, worse: higher, vsBaseline: 50, rollback: false }
    - { name: active-users, scrape: value(active_users), worse: lower, limit: 1 }
    - { name: conversion-rate, title: conversion, scrape: 'ratio(checkout_conversions_total, checkout_visits_total{page="cart"})', unit: ratio, worse: lower, limit: 0.05, vsBaseline: 30 }
`),
    );
    expect(parsed.custom).toEqual([
      {
        name: "p99",
        title: "p99",
        unit: "seconds",
        worse: "higher",
        vsBaseline: 50,
        rollback: false,
        expression: { fn: "quantile", q: 0.99, metric: { name: "http_request_duration_seconds", labels: {} } },
      },
      {
        name: "active-users",
        title: "active users",
        unit: "number",
        worse: "lower",
        limit: 1,
        rollback: true,
        expression: { fn: "value", metric: { name: "active_users", labels: {} } },
      },
      {
        name: "conversion-rate",
        title: "conversion",
        unit: "ratio",
        worse: "lower",
        limit: 0.05,
        vsBaseline: 30,
        rollback: true,
        expression: {
          fn: "ratio",
          part: { name: "checkout_conversions_total", labels: {} },
          whole: { name: "checkout_visits_total", labels: { page: "cart" } },
        },
      },
    ]);
    const prometheus = metricsConfigSchema.parse({
      source: "prometheus",
      url: "http://p",
      custom: [
        {
          name: "p50",
          query: 'histogram_quantile(0.5, x{version="{{version}}"})',
          unit: "seconds",
          worse: "higher",
          limit: 0.2,
        },
      ],
    });
    expect(prometheus.custom[0]?.query).toBe('histogram_quantile(0.5, x{version="{{version}}"})');
  });

  it("explains what is wrong with a custom metric", () => {
    const scrape = (custom: unknown[]) => ({ source: "scrape", scrape: { template: "http://g/{{version}}" }, custom });
    expect(messages(scrape([{ name: "users", scrape: "value(active_users)", worse: "lower" }]))).toEqual([
      "custom.0: a metric that may roll back needs a limit, a vsBaseline percentage or both; or set rollback: false to only show it",
    ]);
    expect(messages(scrape([{ name: "users", scrape: "value(active_users)", limit: 1 }]))).toEqual([
      "custom.0.worse: say which way is worse: worse: higher (latency) or worse: lower (conversion)",
    ]);
    expect(messages(scrape([{ name: "users", query: "active_users", worse: "lower", limit: 1 }]))).toEqual([
      "custom.0.scrape: metric 'users' needs scrape: with this source, e.g. value(active_users)",
    ]);
    expect(
      messages({
        source: "prometheus",
        url: "http://p",
        custom: [{ name: "users", scrape: "value(u)", worse: "lower", limit: 1 }],
      }),
    ).toEqual([
      `custom.0.query: metric 'users' needs query: with this source, e.g. 'sum(active_users{version="{{version}}"})'`,
    ]);
    expect(messages(scrape([{ name: "users", scrape: "avg(active_users)", worse: "lower", limit: 1 }]))).toEqual([
      "custom.0.scrape: unknown function avg(); write rate(name), increase(name), ratio(part, whole), quantile(0.99, name) or value(name)",
    ]);
    expect(messages(scrape([{ name: "p99", scrape: "quantile(99, latency)", worse: "higher", limit: 1 }]))).toEqual([
      "custom.0.scrape: quantile() takes a quantile from 0 to 1 and a histogram, e.g. quantile(0.99, http_request_duration_seconds)",
    ]);
    expect(messages(scrape([{ name: "x", scrape: "value(a{b=c})", worse: "higher", limit: 1 }]))).toEqual([
      `custom.0.scrape: 'b=c' is not a label matcher such as status="200"`,
    ]);
    expect(
      messages({
        source: "prometheus",
        url: "http://p",
        custom: [{ name: "x", query: "{{pod}}", worse: "higher", limit: 1 }],
      })[0],
    ).toMatch(/^custom.0.query: unknown placeholder \{\{pod\}\}/);
    expect(messages(scrape([{ name: "Conversion Rate", scrape: "value(c)", worse: "lower", limit: 1 }]))).toEqual([
      "custom.0.name: a name such as conversion-rate: lower-case letters, digits and -",
    ]);
    expect(messages(scrape([{ name: "cpu", scrape: "value(c)", worse: "higher", limit: 1 }]))).toEqual([
      "custom.0.name: 'cpu' is a measure of its own; name the metric differently",
    ]);
    const twice = { name: "users", scrape: "value(u)", worse: "lower", limit: 1 };
    expect(messages(scrape([twice, twice]))).toEqual(["custom.1.name: 'users' is declared twice"]);
  });

  it("measures request rate against the same hour a day or a week ago, from Prometheus's history", () => {
    const parsed = metricsConfigSchema.parse({
      source: "prometheus",
      url: "http://p:9090",
      window: "1h",
      custom: [{ name: "traffic-vs-last-week", sameHour: "1w", worse: "lower", limit: 0.5 }],
    });
    const [metric] = parsed.custom;
    expect(metric).toMatchObject({ name: "traffic-vs-last-week", unit: "ratio", worse: "lower", limit: 0.5 });
    const query = renderQuery(metric?.query ?? "", {
      service: "shop",
      environment: "production",
      version: "v1.2.0",
      baselineVersion: "",
      window: "1h",
    });
    // Every version of the service, now and at the same time a week ago: the version live then is another one.
    expect(query).toBe(
      'sum(rate(http_requests_total{service="shop",environment="production"}[1h])) / sum(rate(http_requests_total{service="shop",environment="production"}[1h] offset 1w))',
    );
    expect(sameHourRequestRateQuery("1d")).toContain("[{{window}}] offset 1d))");
  });

  it("explains what is wrong with a same-hour metric", () => {
    const metric = { name: "traffic", sameHour: "1d", worse: "lower", limit: 0.5 };
    expect(
      messages({
        source: "scrape",
        scrape: { template: "http://m/{{version}}/metrics" },
        custom: [metric],
      }),
    ).toEqual([
      "custom.0.sameHour: metric 'traffic' compares with the same hour 1d ago, and the scrape source keeps no history: read it from Prometheus (source: prometheus), or leave it out",
    ]);
    expect(
      messages({
        source: "prometheus",
        url: "http://p:9090",
        custom: [
          { ...metric, query: "sum(up)" },
          { ...metric, name: "yesterday", sameHour: "2d" },
        ],
      }),
    ).toEqual([
      "custom.0: sameHour measures the request rate itself; remove query and scrape, or remove sameHour",
      "custom.1.sameHour: write 1d (the same hour yesterday) or 1w (a week ago)",
    ]);
  });

  it("builds the source it describes", () => {
    const prometheus = metricsConfigSchema.parse({ source: "prometheus", url: "http://p:9090" });
    expect(createMetricSource(prometheus)).toBeInstanceOf(PrometheusSource);
    const scrape = metricsConfigSchema.parse({ source: "scrape", scrape: { targets: { stable: "http://s/metrics" } } });
    expect(createMetricSource(scrape)).toBeInstanceOf(ScrapeSource);
  });
});

describe("the example service's metrics", () => {
  const file = (path: string) => readFile(new URL(`../../../${path}`, import.meta.url), "utf8");

  it("declares, as deployed to Kubernetes, p50, p99, active users and traffic vs last week shown, and a conversion rate that may roll back", async () => {
    const configMap = parse(await file("manifests/k8s/configmap.yaml")) as { data: Record<string, string> };
    const config = metricsConfigSchema.parse(section(configMap.data["example.yaml"] ?? ""));
    expect(config.triggers.latencyMaxMs).toBe(200);
    expect(
      config.custom.map(({ name, unit, worse, limit, vsBaseline, rollback }) => ({
        name,
        unit,
        worse,
        limit,
        vsBaseline,
        rollback,
      })),
    ).toEqual([
      { name: "p50", unit: "seconds", worse: "higher", limit: undefined, vsBaseline: undefined, rollback: false },
      { name: "p99", unit: "seconds", worse: "higher", limit: 0.5, vsBaseline: 100, rollback: false },
      {
        name: "active-users",
        unit: "number",
        worse: "lower",
        limit: undefined,
        vsBaseline: undefined,
        rollback: false,
      },
      { name: "conversion-rate", unit: "ratio", worse: "lower", limit: 0.1, vsBaseline: 50, rollback: true },
      {
        name: "traffic-vs-last-week",
        unit: "ratio",
        worse: "lower",
        limit: 0.5,
        vsBaseline: undefined,
        rollback: false,
      },
    ]);
    // Each reads the version under analysis, but the same-hour comparison, which measures every version together.
    for (const metric of config.custom) {
      if (metric.name === "traffic-vs-last-week") expect(metric.query).toBe(sameHourRequestRateQuery("1w"));
      else expect(metric.query).toContain('version="{{version}}"');
    }
  });

  it("is inconclusive, never a pass, when the conversion rate has no data, and fails on a conversion that falls", () => {
    const config = metricsConfigSchema.parse({
      source: "prometheus",
      url: "http://p:9090",
      custom: [{ name: "conversion-rate", query: "c", unit: "ratio", worse: "lower", limit: 0.1, vsBaseline: 50 }],
    });
    const reading = (version: string, custom: Record<string, number>) => ({
      version,
      at: 0,
      windowSeconds: 60,
      requests: 600,
      requestRate: 10,
      errorRate: 0,
      p95Seconds: 0.02,
      cpu: 0.1,
      memory: 0.3,
      custom,
    });
    const judge = (canary: Record<string, number>) =>
      analyse({
        canary: reading("v1.3.0", canary),
        baseline: reading("v1.2.0", { "conversion-rate": 0.3 }),
        health: { healthy: true },
        triggers: config.triggers,
        minRequests: config.minRequests,
        custom: config.custom,
      });
    expect(judge({ "conversion-rate": 0.28 }).outcome).toBe("pass");
    const missing = judge({});
    expect(missing.outcome).toBe("inconclusive");
    expect(missing.summary).toContain("conversion rate of v1.3.0 missing, so it cannot be judged");
    const fallen = judge({ "conversion-rate": 0.05 });
    expect(fallen.outcome).toBe("fail");
    expect(fallen.summary).toContain("conversion rate 5%");
  });
});
