import { describe, expect, it } from "vitest";
import { analyse } from "../../../src/domain/analysis.js";
import { parseScrapeExpression, type ScrapeExpression } from "../../../src/metrics/scrape-expression.js";
import { ScrapeSource } from "../../../src/metrics/scrape-source.js";
import type { Fetch } from "../../../src/metrics/source.js";

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);

interface AppState {
  ok: number;
  notFound?: number;
  errors?: number;
  /** Cumulative counts for le 0.1, 0.25, 0.5, +Inf. */
  buckets: [number, number, number, number];
  cpuSeconds: number;
  resident: number;
  max?: number;
}

function exposition(version: string, state: AppState): string {
  const v = `version="${version}"`;
  const lines = [
    "# HELP http_requests_total Requests served.",
    "# TYPE http_requests_total counter",
    `http_requests_total{${v},method="GET",status="200"} ${state.ok}`,
  ];
  if (state.notFound !== undefined) lines.push(`http_requests_total{${v},method="GET",status="404"} ${state.notFound}`);
  if (state.errors !== undefined) lines.push(`http_requests_total{${v},method="GET",status="500"} ${state.errors}`);
  lines.push("# TYPE http_request_duration_seconds histogram");
  ["0.1", "0.25", "0.5", "+Inf"].forEach((le, i) => {
    lines.push(`http_request_duration_seconds_bucket{${v},le="${le}"} ${state.buckets[i]}`);
  });
  lines.push(
    "# TYPE process_cpu_seconds_total counter",
    `process_cpu_seconds_total ${state.cpuSeconds}`,
    "# TYPE process_resident_memory_bytes gauge",
    `process_resident_memory_bytes ${state.resident}`,
  );
  if (state.max !== undefined) lines.push(`process_max_memory_bytes ${state.max}`);
  return `${lines.join("\n")}\n`;
}

/** Endpoints whose successive answers are scripted; the clock only moves when the source sleeps. */
function fakeEndpoints(script: Record<string, (string | number)[]>) {
  let now = T0;
  const calls: string[] = [];
  const fetch: Fetch = async (input) => {
    calls.push(input);
    const answers = script[input];
    const next = answers?.shift();
    if (next === undefined) throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED") });
    if (typeof next === "number") return new Response("oops", { status: next });
    return new Response(next, { headers: { "content-type": "text/plain; version=0.0.4" } });
  };
  const sleeps: number[] = [];
  const sleep = async (ms: number) => {
    sleeps.push(ms);
    now += ms;
  };
  return {
    fetch,
    sleep,
    calls,
    sleeps,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
  };
}

const CANARY = "http://canary.test/metrics";
const STABLE = "http://stable.test/metrics";
const MiB = 1024 * 1024;

describe("ScrapeSource", () => {
  it("scrapes twice, intervalMs apart, and measures each version", async () => {
    const env = fakeEndpoints({
      [CANARY]: [
        exposition("v1.3.0", {
          ok: 1000,
          buckets: [900, 990, 1000, 1000],
          cpuSeconds: 10,
          resident: 100 * MiB,
          max: 1024 * MiB,
        }),
        exposition("v1.3.0", {
          ok: 1080,
          errors: 20,
          buckets: [900 + 60, 990 + 80, 1000 + 95, 1000 + 100],
          cpuSeconds: 13,
          resident: 200 * MiB,
          max: 1024 * MiB,
        }),
      ],
      [STABLE]: [
        exposition("v1.2.0", {
          ok: 5000,
          notFound: 10,
          buckets: [4800, 4990, 5010, 5010],
          cpuSeconds: 50,
          resident: 300 * MiB,
          max: 1000 * MiB,
        }),
        exposition("v1.2.0", {
          ok: 5400,
          notFound: 20,
          buckets: [5190, 5390, 5410, 5410],
          cpuSeconds: 53,
          resident: 300 * MiB,
          max: 1000 * MiB,
        }),
      ],
    });
    const source = new ScrapeSource({
      targets: { candidate: CANARY, stable: STABLE },
      intervalMs: 10_000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
    });
    const result = await source.snapshot({
      version: "v1.3.0",
      baselineVersion: "v1.2.0",
      service: "web",
      environment: "production",
    });
    expect(result.missing).toEqual([]);
    expect(env.calls).toHaveLength(4);
    expect(Math.max(...env.sleeps)).toBe(10_000);
    const { canary, baseline } = result;
    expect(canary).toMatchObject({
      version: "v1.3.0",
      at: T0 + 10_000,
      windowSeconds: 10,
      requests: 100,
      requestRate: 10,
    });
    expect(canary.errorRate).toBeCloseTo(0.2, 12);
    expect(canary.p95Seconds).toBeCloseTo(0.5, 12);
    expect(canary.cpu).toBeCloseTo(0.3, 12);
    expect(canary.memory).toBeCloseTo(200 / 1024, 12);
    expect(baseline).toMatchObject({ version: "v1.2.0", requests: 410, errorRate: 0 });
    expect(baseline?.requestRate).toBeCloseTo(41, 12);
    expect(baseline?.memory).toBeCloseTo(0.3, 12);

    const verdict = analyse({ canary, baseline, health: { healthy: true } });
    expect(verdict.outcome).toBe("fail");
    expect(verdict.checks.find((c) => c.name === "errorRate")?.text).toBe(
      "error rate 20% vs baseline 0% (limit: baseline + 5 points = 5%)",
    );
  });

  it("computes the manifest's own metrics from the two readings, and says which it could not", async () => {
    const business = (visits: number, conversions: number, users: number) =>
      [
        exposition("v1.3.0", {
          ok: visits,
          buckets: [visits, visits, visits, visits],
          cpuSeconds: 1,
          resident: MiB,
          max: MiB * 4,
        }),
        `checkout_visits_total{version="v1.3.0",page="cart"} ${visits}`,
        `checkout_visits_total{version="v1.3.0",page="home"} ${visits * 10}`,
        `checkout_conversions_total{version="v1.3.0"} ${conversions}`,
        `active_users{version="v1.3.0",region="eu"} ${users}`,
        `active_users{version="v1.3.0",region="us"} ${users * 2}`,
        "",
      ].join("\n");
    const env = fakeEndpoints({ [CANARY]: [business(100, 10, 5), business(300, 40, 7)] });
    const expression = (text: string): ScrapeExpression => {
      const parsed = parseScrapeExpression(text);
      if (!parsed.ok) throw new Error(parsed.message);
      return parsed.expression;
    };
    const source = new ScrapeSource({
      targets: { candidate: CANARY },
      intervalMs: 10_000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
      custom: [
        {
          name: "conversion",
          expression: expression('ratio(checkout_conversions_total, checkout_visits_total{page="cart"})'),
        },
        { name: "visits", expression: expression("rate(checkout_visits_total)") },
        { name: "users", expression: expression("value(active_users)") },
        { name: "p50", expression: expression("quantile(0.5, http_request_duration_seconds)") },
        { name: "refunds", expression: expression("increase(refunds_total)") },
      ],
    });
    const { canary, missing } = await source.snapshot({ version: "v1.3.0", service: "web", environment: "production" });
    expect(canary.custom?.conversion).toBeCloseTo(30 / 200, 12);
    expect(canary.custom?.visits).toBeCloseTo(2200 / 10, 12);
    expect(canary.custom?.users).toBe(21);
    expect(canary.custom?.p50).toBeCloseTo(0.05, 12);
    expect(canary.custom).not.toHaveProperty("refunds");
    expect(missing).toEqual([`canary v1.3.0 refunds: no refunds_total{version="v1.3.0"} samples at ${CANARY}`]);
  });

  it("keeps the last scrape, so the next call scrapes once, and handles a counter reset", async () => {
    const state = (ok: number, cpu: number): string =>
      exposition("v1.3.0", { ok, buckets: [ok, ok, ok, ok], cpuSeconds: cpu, resident: 1, max: 10 });
    const env = fakeEndpoints({ [CANARY]: [state(100, 1), state(200, 2), state(30, 0.5)] });
    const source = new ScrapeSource({
      targets: { candidate: CANARY },
      intervalMs: 5000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
    });
    const req = { version: "v1.3.0", service: "web", environment: "staging" };
    const first = await source.snapshot(req);
    expect(first.canary).toMatchObject({ requests: 100, windowSeconds: 5 });

    env.advance(30_000);
    const second = await source.snapshot(req);
    expect(env.calls).toHaveLength(3);
    expect(env.sleeps).toEqual([5000]);
    expect(second.canary).toMatchObject({ requests: 30, windowSeconds: 30, requestRate: 1, errorRate: 0 });
    expect(second.canary.cpu).toBeCloseTo(0.5 / 30, 12);
  });

  it("waits out the rest of the interval when the kept scrape is recent, and rescrapes twice when it is stale", async () => {
    const text = exposition("v1.3.0", { ok: 1, buckets: [1, 1, 1, 1], cpuSeconds: 1, resident: 1, max: 2 });
    const env = fakeEndpoints({ [CANARY]: Array.from({ length: 5 }, () => text) });
    const source = new ScrapeSource({
      targets: { "v1.3.0": CANARY },
      intervalMs: 10_000,
      maxAgeMs: 60_000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
    });
    const req = { version: "v1.3.0", service: "web", environment: "staging" };
    await source.snapshot(req);
    env.advance(4000);
    await source.snapshot(req);
    expect(env.sleeps).toEqual([10_000, 6000]);
    env.advance(61_000);
    await source.snapshot(req);
    expect(env.sleeps).toEqual([10_000, 6000, 10_000]);
    expect(env.calls).toHaveLength(5);
  });

  it("reads one endpoint serving both versions once, keeping each version's samples apart", async () => {
    const both = (canaryOk: number, canaryErr: number, stableOk: number) =>
      [
        `http_requests_total{version="v1.3.0",status="200"} ${canaryOk}`,
        `http_requests_total{version="v1.3.0",status="503"} ${canaryErr}`,
        `http_requests_total{version="v1.2.0",status="200"} ${stableOk}`,
        'http_request_duration_seconds_bucket{version="v1.3.0",le="1"} 0',
        'http_request_duration_seconds_bucket{version="v1.3.0",le="+Inf"} 0',
        "process_cpu_seconds_total 4",
        "process_resident_memory_bytes 5",
        "process_max_memory_bytes 10",
      ].join("\n");
    const SHARED = "http://shared.test/metrics";
    const env = fakeEndpoints({ [SHARED]: [both(0, 0, 0), both(90, 10, 500)] });
    const source = new ScrapeSource({
      template: "http://ignored.test/{{version}}",
      targets: { candidate: SHARED, stable: SHARED },
      intervalMs: 1000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
    });
    const result = await source.snapshot({
      version: "v1.3.0",
      baselineVersion: "v1.2.0",
      service: "web",
      environment: "staging",
    });
    expect(env.calls).toHaveLength(2);
    expect(result.canary).toMatchObject({ requests: 100, errorRate: 0.1, cpu: 0, memory: 0.5 });
    expect(result.baseline).toMatchObject({ requests: 500, errorRate: 0 });
    expect(result.missing).toEqual([
      `canary v1.3.0 p95: no observations in http_request_duration_seconds_bucket between the two scrapes at ${SHARED}`,
      `baseline v1.2.0 p95: no http_request_duration_seconds_bucket{version="v1.2.0"} samples at ${SHARED}`,
    ]);
  });

  it("fills a URL template with the version and honours other metric and label names", async () => {
    const text = (n: number) =>
      [
        `reqs{release="v2.0.0",code="200"} ${n}`,
        `reqs{release="v2.0.0",code="5xx"} ${n / 10}`,
        `latency_bucket{release="v2.0.0",le="0.2"} ${n}`,
        `latency_bucket{release="v2.0.0",le="+Inf"} ${n}`,
        `cpu_total ${n / 100}`,
        "rss 1",
        "rss_limit 4",
      ].join("\n");
    const env = fakeEndpoints({ "http://gateway.test/v2.0.0/metrics": [text(100), text(200)] });
    const source = new ScrapeSource({
      template: "http://gateway.test/{{version}}/metrics",
      versionLabel: "release",
      statusLabel: "code",
      names: { requests: "reqs", duration: "latency", cpu: "cpu_total", residentMemory: "rss", maxMemory: "rss_limit" },
      intervalMs: 1000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
    });
    const result = await source.snapshot({ version: "v2.0.0", service: "web", environment: "staging" });
    expect(result.missing).toEqual([]);
    expect(result.canary).toMatchObject({ requests: 110, cpu: 1, memory: 0.25 });
    expect(result.canary.errorRate).toBeCloseTo(10 / 110, 12);
    expect(result.canary.p95Seconds).toBeCloseTo(0.19, 12);
  });

  it("says what is missing: no endpoint, an HTTP error, a refused connection, an unknown memory limit", async () => {
    const text = exposition("v1.3.0", { ok: 1, buckets: [1, 1, 1, 1], cpuSeconds: 1, resident: 1, max: -1 });
    const env = fakeEndpoints({ [CANARY]: [text, text], [STABLE]: [503] });
    const source = new ScrapeSource({
      targets: { candidate: CANARY, stable: STABLE },
      intervalMs: 1000,
      fetch: env.fetch,
      now: env.now,
      sleep: env.sleep,
    });
    const result = await source.snapshot({
      version: "v1.3.0",
      baselineVersion: "v1.2.0",
      service: "web",
      environment: "staging",
    });
    expect(result.missing).toEqual([
      `canary v1.3.0 errorRate: no requests between the two scrapes at ${CANARY}`,
      `canary v1.3.0 p95: no observations in http_request_duration_seconds_bucket between the two scrapes at ${CANARY}`,
      `canary v1.3.0 memory: process_max_memory_bytes is -1, so the limit is unknown at ${CANARY}`,
      `baseline v1.2.0: scraping ${STABLE} failed: HTTP 503`,
    ]);
    expect(result.baseline).toEqual({ version: "v1.2.0", at: env.now(), windowSeconds: 0 });
    expect(
      analyse({ canary: result.canary, baseline: result.baseline, missing: result.missing, health: { healthy: true } })
        .outcome,
    ).toBe("inconclusive");

    const refused = await source.snapshot({
      version: "v1.3.0",
      baselineVersion: "v1.2.0",
      service: "web",
      environment: "staging",
    });
    expect(refused.missing[0]).toBe(
      `canary v1.3.0: request to the metrics endpoint ${CANARY} failed: fetch failed (connect ECONNREFUSED)`,
    );

    const nowhere = new ScrapeSource({ targets: {}, fetch: env.fetch, now: env.now, sleep: env.sleep });
    const none = await nowhere.snapshot({ version: "v9.0.0", service: "web", environment: "staging" });
    expect(none.missing).toEqual([
      "canary v9.0.0: no metrics endpoint for it; add scrape.targets.candidate (or a key for the version) or a scrape.template",
    ]);
  });

  it("rejects when the caller aborts while it waits between scrapes", async () => {
    const text = exposition("v1.3.0", { ok: 1, buckets: [1, 1, 1, 1], cpuSeconds: 1, resident: 1, max: 2 });
    const env = fakeEndpoints({ [CANARY]: [text, text] });
    const controller = new AbortController();
    const source = new ScrapeSource({ targets: { candidate: CANARY }, intervalMs: 60_000, fetch: env.fetch });
    const pending = source.snapshot({ version: "v1.3.0", service: "web", environment: "staging" }, controller.signal);
    await new Promise((resolve) => setImmediate(resolve));
    controller.abort(new Error("shutting down"));
    await expect(pending).rejects.toThrow();
    expect(env.calls).toHaveLength(1);
  });
});
