import { describe, expect, it } from "vitest";
import { analyse } from "../../../src/domain/analysis.js";
import {
  DEFAULT_QUERIES,
  escapeLabelValue,
  PrometheusSource,
  renderQuery,
  unknownPlaceholders,
} from "../../../src/metrics/prometheus-source.js";
import type { Fetch } from "../../../src/metrics/source.js";

const NOW = Date.UTC(2025, 0, 15, 10, 0, 0);
const request = { version: "v1.3.0", baselineVersion: "v1.2.0", service: "web", environment: "production" };

function vector(value: string, metric: Record<string, string> = {}) {
  return { status: "success", data: { resultType: "vector", result: [{ metric, value: [NOW / 1000, value] }] } };
}

function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });
}

/** A fake Prometheus: answers each query by what its text contains. */
function fakePrometheus(answer: (query: string) => Response | Promise<Response>) {
  const queries: string[] = [];
  const urls: string[] = [];
  const fetch: Fetch = async (input) => {
    urls.push(input);
    const query = new URL(input).searchParams.get("query") ?? "";
    queries.push(query);
    return answer(query);
  };
  return { fetch, queries, urls };
}

function healthyAnswers(query: string): Response {
  const bad = query.includes('version="v1.3.0"');
  if (query.startsWith("(sum(rate(http_requests_total")) return json(vector(bad ? "0.213" : "0.004"));
  if (query.startsWith("sum(rate(http_requests_total")) return json(vector(bad ? "40" : "760"));
  if (query.startsWith("histogram_quantile")) return json(vector(bad ? "0.16" : "0.15"));
  if (query.startsWith("sum(rate(process_cpu")) return json(vector("0.3"));
  if (query.startsWith("sum(process_resident")) return json(vector("0.5"));
  return json({ status: "error", errorType: "bad_data", error: "unexpected query" }, 400);
}

describe("PrometheusSource", () => {
  it("measures canary and baseline with the default queries", async () => {
    const prometheus = fakePrometheus(healthyAnswers);
    const source = new PrometheusSource({ url: "http://prom.test:9090/", fetch: prometheus.fetch, now: () => NOW });
    const result = await source.snapshot(request);
    expect(result.missing).toEqual([]);
    expect(result.canary).toEqual({
      version: "v1.3.0",
      at: NOW,
      windowSeconds: 60,
      requestRate: 40,
      errorRate: 0.213,
      p95Seconds: 0.16,
      cpu: 0.3,
      memory: 0.5,
    });
    expect(result.baseline).toMatchObject({ version: "v1.2.0", requestRate: 760, errorRate: 0.004 });
    expect(prometheus.urls.every((url) => url.startsWith("http://prom.test:9090/api/v1/query?query="))).toBe(true);
    expect(prometheus.queries).toHaveLength(10);
    expect(prometheus.queries).toContain(
      '(sum(rate(http_requests_total{service="web",environment="production",version="v1.3.0",status=~"5.."}[1m])) or vector(0)) / sum(rate(http_requests_total{service="web",environment="production",version="v1.3.0"}[1m]))',
    );

    const verdict = analyse({ canary: result.canary, baseline: result.baseline, health: { healthy: true } });
    expect(verdict.outcome).toBe("fail");
    expect(verdict.summary).toContain("error rate 21.3% vs baseline 0.4%");
  });

  it("reads a scalar answer and uses templates, window and a path prefix as given", async () => {
    const prometheus = fakePrometheus(() =>
      json({ status: "success", data: { resultType: "scalar", result: [NOW / 1000, "12.5"] } }),
    );
    const source = new PrometheusSource({
      url: "https://metrics.test/prometheus",
      window: "5m",
      queries: {
        requestRate: 'sum(rate(req{app="{{service}}",v="{{version}}",base="{{baselineVersion}}"}[{{window}}]))',
      },
      fetch: prometheus.fetch,
      now: () => NOW,
    });
    const result = await source.snapshot({ version: "v2.0.0", service: "api", environment: "staging" });
    expect(result.baseline).toBeUndefined();
    expect(result.canary.windowSeconds).toBe(300);
    expect(result.canary.requestRate).toBe(12.5);
    expect(prometheus.queries).toHaveLength(5);
    expect(prometheus.queries[0]).toBe('sum(rate(req{app="api",v="v2.0.0",base=""}[5m]))');
    expect(prometheus.urls[0]?.startsWith("https://metrics.test/prometheus/api/v1/query?")).toBe(true);
  });

  it("turns every kind of failure into missing data, never a crash", async () => {
    const prometheus = fakePrometheus((query) => {
      if (query.startsWith("sum(rate(http_requests_total")) return json(vector("NaN"));
      if (query.startsWith("(sum(rate")) {
        return json({ status: "error", errorType: "bad_data", error: "parse error at char 12" }, 400);
      }
      if (query.startsWith("histogram_quantile"))
        return json({ status: "success", data: { resultType: "vector", result: [] } });
      if (query.startsWith("sum(rate(process_cpu")) {
        return json({
          status: "success",
          data: {
            resultType: "vector",
            result: [
              { metric: { pod: "a" }, value: [1, "0.1"] },
              { metric: { pod: "b" }, value: [1, "0.2"] },
            ],
          },
        });
      }
      return new Response("upstream connect error", { status: 503 });
    });
    const source = new PrometheusSource({ url: "http://prom.test:9090", fetch: prometheus.fetch, now: () => NOW });
    const result = await source.snapshot({ ...request, baselineVersion: undefined });
    expect(result.canary).toEqual({ version: "v1.3.0", at: NOW, windowSeconds: 60 });
    const reasons = result.missing.map((line) => line.split(" — query:")[0]);
    expect(reasons).toEqual([
      "canary v1.3.0 requestRate: the value is NaN (no requests or observations in the window?)",
      "canary v1.3.0 errorRate: HTTP 400: Prometheus refused the query: bad_data: parse error at char 12",
      "canary v1.3.0 p95: no data: the query returned no series",
      "canary v1.3.0 cpu: the query returned 2 series, not one; aggregate it, e.g. with sum(…)",
      "canary v1.3.0 memory: HTTP 503: the answer is not JSON: upstream connect error",
    ]);
    expect(result.missing[2]).toContain("— query: histogram_quantile(0.95");

    const verdict = analyse({
      canary: result.canary,
      baseline: undefined,
      health: { healthy: true },
      missing: result.missing,
    });
    expect(verdict.outcome).toBe("inconclusive");
    expect(verdict.missing).toHaveLength(5);
  });

  it("reports a server that cannot be reached", async () => {
    const refused: Fetch = async () => {
      throw new TypeError("fetch failed", {
        cause: Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      });
    };
    const source = new PrometheusSource({ url: "http://127.0.0.1:1", fetch: refused, now: () => NOW });
    const result = await source.snapshot(request);
    expect(result.missing).toHaveLength(10);
    expect(result.missing[0]).toMatch(
      /^canary v1\.3\.0 requestRate: request to Prometheus failed: fetch failed \(ECONNREFUSED\)/,
    );
    expect(result.baseline).toEqual({ version: "v1.2.0", at: NOW, windowSeconds: 60 });
  });

  it("gives up on a slow answer after the timeout, even from a fetch that ignores its signal", async () => {
    const never: Fetch = () => new Promise<Response>(() => undefined);
    const source = new PrometheusSource({ url: "http://prom.test", fetch: never, timeoutMs: 20, now: () => NOW });
    const result = await source.snapshot(request);
    expect(result.missing).toHaveLength(10);
    expect(result.missing.every((line) => line.includes("Prometheus did not answer within 20ms"))).toBe(true);
  });

  it("rejects when the caller aborts", async () => {
    const controller = new AbortController();
    const waiting: Fetch = (_input, init) =>
      new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener("abort", () => reject(new Error("aborted by signal")));
      });
    const source = new PrometheusSource({ url: "http://prom.test", fetch: waiting, timeoutMs: 60_000 });
    const pending = source.snapshot(request, controller.signal);
    controller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow("shutting down");
    await expect(source.snapshot(request, controller.signal)).rejects.toThrow("shutting down");
  });

  it("reports a template with an unknown placeholder without querying", async () => {
    const prometheus = fakePrometheus(healthyAnswers);
    const source = new PrometheusSource({
      url: "http://prom.test",
      queries: { cpu: 'sum(rate(cpu{pod="{{pod}}"}[1m]))' },
      fetch: prometheus.fetch,
    });
    const result = await source.snapshot({ ...request, baselineVersion: undefined });
    expect(result.missing).toEqual([
      "canary v1.3.0 cpu: the query template uses unknown placeholders {{pod}} (known: service, environment, version, baselineVersion, window)",
    ]);
    expect(prometheus.queries).toHaveLength(4);
  });

  it("refuses a window it cannot read", () => {
    expect(() => new PrometheusSource({ url: "http://prom.test", window: "soon" })).toThrow(/window: duration 'soon'/);
  });
});

describe("query templates", () => {
  it("escape values for double-quoted PromQL strings", () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const query = renderQuery('up{version="{{version}}", env="{{ environment }}"}', {
      service: "web",
      environment: "prod",
      version: 'v1"} or vector(1) or up{x="',
      baselineVersion: "",
      window: "1m",
    });
    expect(query).toBe('up{version="v1\\"} or vector(1) or up{x=\\"", env="prod"}');
  });

  it("lists unknown placeholders and leaves them in place", () => {
    expect(unknownPlaceholders("{{service}} {{pod}} {{pod}} {{ region }}")).toEqual(["pod", "region"]);
    const values = { service: "s", environment: "e", version: "v", baselineVersion: "b", window: "1m" };
    expect(renderQuery("{{pod}}-{{service}}", values)).toBe("{{pod}}-s");
  });

  it("defaults use only known placeholders", () => {
    for (const template of Object.values(DEFAULT_QUERIES)) expect(unknownPlaceholders(template)).toEqual([]);
  });
});
