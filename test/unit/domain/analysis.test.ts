import { describe, expect, it } from "vitest";
import {
  analyse,
  analysisInterval,
  type Bucket,
  type Check,
  type CheckName,
  type CustomMetric,
  counterIncrease,
  counterRate,
  DEFAULT_TRIGGERS,
  dashboardSummary,
  formatMilliseconds,
  formatPercent,
  formatRequestRate,
  histogramQuantile,
  keepHistory,
  requestsInWindow,
  type Snapshot,
  sustainedAbove,
  type Verdict,
  withDefaultTriggers,
} from "../../../src/domain/analysis.js";

const T0 = Date.UTC(2025, 0, 15, 10, 0, 0);

function snap(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    version: "v1.3.0",
    at: T0,
    windowSeconds: 30,
    requests: 1200,
    requestRate: 40,
    errorRate: 0.004,
    p95Seconds: 0.15,
    cpu: 0.3,
    memory: 0.5,
    ...overrides,
  };
}

const baseline = snap({ version: "v1.2.0", requests: 22_800, requestRate: 760 });
const healthy = { healthy: true };

function check(verdict: Verdict, name: CheckName): Check {
  const found = verdict.checks.find((c) => c.name === name);
  if (found === undefined) throw new Error(`no ${name} check in ${JSON.stringify(verdict.checks)}`);
  return found;
}

describe("counterIncrease and counterRate", () => {
  it("takes the difference of two readings", () => {
    expect(counterIncrease(100, 160)).toBe(60);
    expect(counterIncrease(5, 5)).toBe(0);
    expect(counterRate({ at: T0, value: 100 }, { at: T0 + 15_000, value: 160 })).toBe(4);
  });

  it("treats a drop as a restart from zero", () => {
    expect(counterIncrease(220, 20)).toBe(20);
    expect(counterRate({ at: T0, value: 220 }, { at: T0 + 10_000, value: 20 })).toBe(2);
  });

  it("rates a recorded series across a counter reset", () => {
    const recorded = [
      { at: T0, value: 100 },
      { at: T0 + 15_000, value: 160 },
      { at: T0 + 30_000, value: 220 },
      { at: T0 + 45_000, value: 20 },
      { at: T0 + 60_000, value: 80 },
    ];
    const rates = recorded.slice(1).map((later, i) => counterRate(recorded[i] ?? later, later));
    expect(rates.map((r) => (r === undefined ? r : Number(r.toFixed(3))))).toEqual([4, 4, 1.333, 4]);
    const total = recorded
      .slice(1)
      .reduce((sum, later, i) => sum + (counterIncrease(recorded[i]?.value ?? 0, later.value) ?? 0), 0);
    expect(total).toBe(200);
  });

  it("gives undefined for unusable readings or times", () => {
    expect(counterIncrease(Number.NaN, 5)).toBeUndefined();
    expect(counterIncrease(5, Number.NaN)).toBeUndefined();
    expect(counterIncrease(-1, 5)).toBeUndefined();
    expect(counterIncrease(5, Number.POSITIVE_INFINITY)).toBeUndefined();
    expect(counterRate({ at: T0, value: 1 }, { at: T0, value: 2 })).toBeUndefined();
    expect(counterRate({ at: T0 + 1, value: 1 }, { at: T0, value: 2 })).toBeUndefined();
    expect(counterRate({ at: T0, value: 0 }, { at: T0 + 1000, value: 0 })).toBe(0);
  });
});

describe("histogramQuantile", () => {
  const latency: Bucket[] = [
    { le: 0.1, count: 50 },
    { le: 0.25, count: 80 },
    { le: 0.5, count: 95 },
    { le: 1, count: 99 },
    { le: Number.POSITIVE_INFINITY, count: 100 },
  ];

  it("interpolates linearly inside the bucket holding the rank, as histogram_quantile does", () => {
    expect(histogramQuantile(0.95, latency)).toBeCloseTo(0.5, 12);
    expect(histogramQuantile(0.5, latency)).toBeCloseTo(0.1, 12);
    expect(histogramQuantile(0.9, latency)).toBeCloseTo(0.25 + 0.25 * (10 / 15), 12);
    expect(histogramQuantile(0.25, latency)).toBeCloseTo(0.05, 12);
    expect(histogramQuantile(0.99, latency)).toBeCloseTo(1, 12);
  });

  it("gives the highest finite bound when the rank falls in the +Inf bucket", () => {
    expect(histogramQuantile(0.995, latency)).toBe(1);
    expect(
      histogramQuantile(0.95, [
        { le: 0.1, count: 10 },
        { le: Number.POSITIVE_INFINITY, count: 100 },
      ]),
    ).toBe(0.1);
  });

  it("sorts buckets, sums equal bounds and repairs non-monotonic counts", () => {
    const shuffled = [latency[3], latency[0], latency[4], latency[2], latency[1]].filter((b) => b !== undefined);
    expect(histogramQuantile(0.95, shuffled)).toBeCloseTo(0.5, 12);
    const split: Bucket[] = [
      { le: 0.1, count: 20 },
      { le: 0.1, count: 30 },
      { le: Number.POSITIVE_INFINITY, count: 40 },
      { le: Number.POSITIVE_INFINITY, count: 60 },
    ];
    expect(histogramQuantile(0.25, split)).toBeCloseTo(0.05, 12);
    const dipping: Bucket[] = [
      { le: 0.1, count: 50 },
      { le: 0.25, count: 40 },
      { le: 0.5, count: 100 },
      { le: Number.POSITIVE_INFINITY, count: 100 },
    ];
    expect(histogramQuantile(0.5, dipping)).toBeCloseTo(0.1, 12);
    expect(histogramQuantile(0.75, dipping)).toBeCloseTo(0.25 + 0.25 * (25 / 50), 12);
  });

  it("returns the bound of a first bucket at or below zero", () => {
    const withZero: Bucket[] = [
      { le: 0, count: 10 },
      { le: 1, count: 20 },
      { le: Number.POSITIVE_INFINITY, count: 20 },
    ];
    expect(histogramQuantile(0.25, withZero)).toBe(0);
    expect(histogramQuantile(0.75, withZero)).toBeCloseTo(0.5, 12);
  });

  it("is undefined where Prometheus gives NaN: empty, no +Inf bucket, a single bucket, NaN q", () => {
    expect(histogramQuantile(0.95, [])).toBeUndefined();
    expect(
      histogramQuantile(0.95, [
        { le: 0.1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 0 },
      ]),
    ).toBeUndefined();
    expect(
      histogramQuantile(0.95, [
        { le: 0.1, count: 5 },
        { le: 1, count: 10 },
      ]),
    ).toBeUndefined();
    expect(histogramQuantile(0.95, [{ le: Number.POSITIVE_INFINITY, count: 10 }])).toBeUndefined();
    expect(histogramQuantile(Number.NaN, latency)).toBeUndefined();
    expect(
      histogramQuantile(0, [
        { le: 0.1, count: 0 },
        { le: Number.POSITIVE_INFINITY, count: 4 },
      ]),
    ).toBeUndefined();
  });

  it("answers quantiles outside 0..1 with infinities, as Prometheus does", () => {
    expect(histogramQuantile(-0.1, latency)).toBe(Number.NEGATIVE_INFINITY);
    expect(histogramQuantile(1.1, latency)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("sustainedAbove", () => {
  const every30s = (values: number[]) => values.map((value, i) => ({ at: T0 + i * 30_000, value }));

  it("trips when the run above the threshold spans the window", () => {
    const result = sustainedAbove(every30s([50, 85, 90, 95, 85, 90]), 80, 120_000);
    expect(result).toEqual({ above: true, forMs: 120_000, sustained: true });
  });

  it("does not trip on a run shorter than the window", () => {
    expect(sustainedAbove(every30s([50, 60, 85, 90, 95, 85]), 80, 120_000)).toEqual({
      above: true,
      forMs: 90_000,
      sustained: false,
    });
  });

  it("is not above when the latest point is at or below the threshold", () => {
    expect(sustainedAbove(every30s([90, 90, 90, 90, 90, 80]), 80, 60_000)).toEqual({
      above: false,
      forMs: 0,
      sustained: false,
    });
  });

  it("breaks the run at a missing point", () => {
    expect(sustainedAbove(every30s([90, 90, Number.NaN, 90, 90]), 80, 90_000).forMs).toBe(30_000);
  });

  it("orders points by time and handles an empty series", () => {
    const points = every30s([85, 90, 95]).reverse();
    expect(sustainedAbove(points, 80, 60_000).sustained).toBe(true);
    expect(sustainedAbove([], 80, 60_000)).toEqual({ above: false, forMs: 0, sustained: false });
  });

  it("with a zero window trips on the latest point alone", () => {
    expect(sustainedAbove([{ at: T0, value: 81 }], 80, 0).sustained).toBe(true);
  });
});

describe("analyse", () => {
  it("passes a canary within every limit and says so with the numbers", () => {
    const verdict = analyse({ canary: snap(), baseline, health: healthy });
    expect(verdict.outcome).toBe("pass");
    expect(verdict.summary).toBe("all checks passed");
    expect(verdict.checks.map((c) => c.name)).toEqual(["traffic", "errorRate", "latency", "health", "memory", "cpu"]);
    expect(verdict.checks.every((c) => c.status === "pass")).toBe(true);
    expect(check(verdict, "errorRate").text).toBe(
      "error rate 0.4% vs baseline 0.4% (limit: baseline + 5 points = 5.4%)",
    );
    expect(check(verdict, "latency").text).toBe("p95 latency 150ms vs baseline 150ms (limit: 2× baseline = 300ms)");
    expect(check(verdict, "traffic").text).toBe("traffic 1,200 requests in 30s (40 req/s) (minimum 50)");
    expect(check(verdict, "memory").text).toBe("memory 50% of its limit vs baseline 50% (limit: 90%)");
  });

  it("fails an error rate more than 5 points above the baseline, stating observed, baseline and limit", () => {
    const verdict = analyse({ canary: snap({ errorRate: 0.213 }), baseline, health: healthy });
    expect(verdict.outcome).toBe("fail");
    const errors = check(verdict, "errorRate");
    expect(errors).toMatchObject({ status: "fail", unit: "%", observed: 21.3, baseline: 0.4 });
    expect(errors.threshold).toBeCloseTo(5.4, 10);
    expect(errors.text).toBe("error rate 21.3% vs baseline 0.4% (limit: baseline + 5 points = 5.4%)");
    expect(verdict.summary).toBe(
      "rollback triggered: error rate 21.3% vs baseline 0.4% (limit: baseline + 5 points = 5.4%)",
    );
  });

  it("compares with the baseline, not an absolute 5%: a noisy baseline raises the limit", () => {
    const noisy = { ...baseline, errorRate: 0.04 };
    expect(analyse({ canary: snap({ errorRate: 0.08 }), baseline: noisy, health: healthy }).outcome).toBe("pass");
    expect(analyse({ canary: snap({ errorRate: 0.0901 }), baseline: noisy, health: healthy }).outcome).toBe("fail");
  });

  it("holds exactly at the limit and trips just above it", () => {
    expect(check(analyse({ canary: snap({ errorRate: 0.054 }), baseline, health: healthy }), "errorRate").status).toBe(
      "pass",
    );
    expect(check(analyse({ canary: snap({ errorRate: 0.0541 }), baseline, health: healthy }), "errorRate").status).toBe(
      "fail",
    );
    expect(check(analyse({ canary: snap({ p95Seconds: 0.3 }), baseline, health: healthy }), "latency").status).toBe(
      "pass",
    );
    const slow = analyse({ canary: snap({ p95Seconds: 0.31 }), baseline, health: healthy });
    expect(check(slow, "latency")).toMatchObject({ status: "fail", observed: 310, baseline: 150, threshold: 300 });
    expect(check(slow, "latency").text).toBe("p95 latency 310ms vs baseline 150ms (limit: 2× baseline = 300ms)");
  });

  it("handles zeros: a clean baseline and a clean canary pass, a zero baseline latency is a zero limit", () => {
    const clean = { ...baseline, errorRate: 0, p95Seconds: 0 };
    const verdict = analyse({ canary: snap({ errorRate: 0, p95Seconds: 0 }), baseline: clean, health: healthy });
    expect(verdict.outcome).toBe("pass");
    expect(check(verdict, "errorRate").text).toBe("error rate 0% vs baseline 0% (limit: baseline + 5 points = 5%)");
    expect(check(analyse({ canary: snap(), baseline: clean, health: healthy }), "latency").status).toBe("fail");
  });

  it("is inconclusive, never pass, with too little traffic", () => {
    const quiet = snap({ requests: 12, requestRate: 0.4, errorRate: 0 });
    const verdict = analyse({ canary: quiet, baseline, health: healthy });
    expect(verdict.outcome).toBe("inconclusive");
    expect(check(verdict, "traffic")).toMatchObject({ status: "inconclusive", observed: 12, threshold: 50 });
    expect(check(verdict, "traffic").text).toBe(
      "too little traffic: 12 requests in 30s (0.4 req/s), fewer than the 50 needed to judge error rate and latency",
    );
    expect(check(verdict, "errorRate").status).toBe("inconclusive");
    expect(check(verdict, "latency").status).toBe("inconclusive");
    expect(verdict.summary).toMatch(/^inconclusive, not promoting: too little traffic: 12 requests/);
  });

  it("does not judge a terrible error rate on a handful of requests, but still fails on memory", () => {
    const quiet = snap({ requests: 10, errorRate: 0.5 });
    expect(analyse({ canary: quiet, baseline, health: healthy }).outcome).toBe("inconclusive");
    expect(analyse({ canary: { ...quiet, memory: 0.95 }, baseline, health: healthy }).outcome).toBe("fail");
  });

  it("names a short window as precisely as the rate beside it: 191 requests in 1.9s is 101 req/s", () => {
    const short = snap({ requests: 191, requestRate: 191 / 1.893, windowSeconds: 1.893 });
    expect(check(analyse({ canary: short, baseline, health: healthy }), "traffic").text).toBe(
      "traffic 191 requests in 1.9s (101 req/s) (minimum 50)",
    );
    const minutes = snap({ requests: 6_000, requestRate: 40, windowSeconds: 150 });
    expect(check(analyse({ canary: minutes, baseline, health: healthy }), "traffic").text).toBe(
      "traffic 6,000 requests in 2m 30s (40 req/s) (minimum 50)",
    );
  });

  it("takes the minimum from the caller and the request count from the rate when no count is given", () => {
    const fromRate = snap({ requests: undefined, requestRate: 1.5, windowSeconds: 30 });
    expect(requestsInWindow(fromRate)).toBe(45);
    expect(analyse({ canary: fromRate, baseline, health: healthy }).outcome).toBe("inconclusive");
    expect(analyse({ canary: fromRate, baseline, health: healthy, minRequests: 40 }).outcome).toBe("pass");
  });

  it("is inconclusive when a value is missing or NaN, and names it", () => {
    const noErrors = analyse({ canary: snap({ errorRate: Number.NaN }), baseline, health: healthy });
    expect(noErrors.outcome).toBe("inconclusive");
    expect(check(noErrors, "errorRate").text).toBe("error rate of v1.3.0 missing, so it cannot be judged");

    const noP95 = analyse({ canary: snap({ p95Seconds: undefined }), baseline, health: healthy });
    expect(check(noP95, "latency")).toMatchObject({ status: "inconclusive", observed: undefined });

    const noBaselineErrors = analyse({
      canary: snap(),
      baseline: { ...baseline, errorRate: undefined },
      health: healthy,
    });
    expect(noBaselineErrors.outcome).toBe("inconclusive");
    expect(check(noBaselineErrors, "errorRate").text).toBe(
      "error rate 0.4%, but the error rate of the baseline v1.2.0 missing, so it cannot be judged",
    );
  });

  it("is inconclusive when nothing at all was measured, and passes the source's reasons on", () => {
    const empty: Snapshot = { version: "v1.3.0", at: T0, windowSeconds: 30 };
    const reasons = ["canary v1.3.0 requestRate: Prometheus did not answer within 5000ms"];
    const verdict = analyse({ canary: empty, baseline: undefined, health: healthy, missing: reasons });
    expect(verdict.outcome).toBe("inconclusive");
    expect(verdict.missing).toEqual(reasons);
    expect(verdict.summary).toContain("Prometheus did not answer within 5000ms");
    expect(check(verdict, "traffic").text).toMatch(/unknown/);
  });

  it("zero requests with a NaN error rate is inconclusive", () => {
    const idle = snap({ requests: 0, requestRate: 0, errorRate: Number.NaN, p95Seconds: Number.NaN });
    expect(analyse({ canary: idle, baseline, health: healthy }).outcome).toBe("inconclusive");
  });

  it("without a baseline holds the error rate to an absolute limit and skips the latency comparison", () => {
    const first = analyse({ canary: snap({ errorRate: 0.01 }), baseline: undefined, health: healthy });
    expect(first.outcome).toBe("pass");
    expect(check(first, "errorRate").text).toBe("error rate 1% with no baseline (limit: 5%)");
    expect(check(first, "latency").status).toBe("skipped");
    const bad = analyse({ canary: snap({ errorRate: 0.06 }), baseline: undefined, health: healthy });
    expect(bad.outcome).toBe("fail");
  });

  it("applies an absolute latency limit as well when one is set", () => {
    const triggers = withDefaultTriggers({ latencyMaxMs: 200 });
    const verdict = analyse({ canary: snap({ p95Seconds: 0.25 }), baseline, health: healthy, triggers });
    expect(check(verdict, "latency").status).toBe("pass");
    expect(check(verdict, "latencyTarget")).toMatchObject({ status: "fail", observed: 250, threshold: 200 });
    expect(check(verdict, "latencyTarget").text).toBe("p95 latency 250ms vs baseline 150ms (limit: 200ms)");
  });

  it("fails on failing health checks and is inconclusive when they did not run", () => {
    const failing = analyse({ canary: snap(), baseline, health: { healthy: false, detail: "GET /healthz → 503" } });
    expect(failing.outcome).toBe("fail");
    expect(check(failing, "health").text).toBe(
      "health checks failing: GET /healthz → 503 (rule: every health check passes)",
    );
    const unknown = analyse({ canary: snap(), baseline });
    expect(unknown.outcome).toBe("inconclusive");
    expect(check(unknown, "health").text).toBe("health checks not run, so health cannot be judged");
  });

  it("fails above 90% memory whatever the baseline", () => {
    const verdict = analyse({ canary: snap({ memory: 0.931 }), baseline, health: healthy });
    expect(check(verdict, "memory")).toMatchObject({ status: "fail", threshold: 90, baseline: 50 });
    expect(check(verdict, "memory").observed).toBeCloseTo(93.1, 10);
    expect(check(verdict, "memory").text).toBe("memory 93.1% of its limit vs baseline 50% (limit: 90%)");
  });

  it("fails on CPU above 80% only once it has lasted the sustained window", () => {
    const history = [0, 30, 60, 90].map((s, i) =>
      snap({ at: T0 + s * 1000, cpu: i === 0 ? 0.5 : 0.9, version: "v1.3.0" }),
    );
    const short = analyse({ canary: snap({ at: T0 + 120_000, cpu: 0.92 }), history, baseline, health: healthy });
    expect(check(short, "cpu").status).toBe("pass");
    expect(check(short, "cpu").text).toBe(
      "CPU 92% vs baseline 30%, above 80% for 1m 30s so far (limit: 80% sustained for 2m 00s)",
    );
    const long = analyse({
      canary: snap({ at: T0 + 150_000, cpu: 0.92 }),
      history: [...history, snap({ at: T0 + 120_000, cpu: 0.95 })],
      baseline,
      health: healthy,
    });
    expect(long.outcome).toBe("fail");
    expect(check(long, "cpu").text).toBe(
      "CPU 92% vs baseline 30%, above 80% for 2m 00s (limit: 80% sustained for 2m 00s)",
    );
  });

  it("never trips on spikes shorter than the window, however often they come, carrying the history round to round", () => {
    // Analysed every 2s with an 8s window, as the history is kept between rounds: 4s spikes every 20s.
    const sustainedMs = 8_000;
    const triggers = withDefaultTriggers({ cpuSustainedMs: sustainedMs });
    let history: Snapshot[] = [];
    const outcomes: string[] = [];
    for (let t = 0; t <= 60_000; t += 2_000) {
      const spiking = t % 20_000 < 4_000 || t % 20_000 === 4_000;
      const canary = snap({ at: T0 + t, cpu: spiking ? 1.5 : 0.05 });
      outcomes.push(analyse({ canary, history, baseline, health: healthy, triggers }).outcome);
      history = keepHistory(history, canary, sustainedMs);
    }
    expect(new Set(outcomes)).toEqual(new Set(["pass"]));
    // The same readings kept above the limit trip once the run spans the window, and not a round before.
    history = [];
    const steady: string[] = [];
    for (let t = 0; t <= 10_000; t += 2_000) {
      const canary = snap({ at: T0 + t, cpu: 0.9 });
      steady.push(analyse({ canary, history, baseline, health: healthy, triggers }).outcome);
      history = keepHistory(history, canary, sustainedMs);
    }
    expect(steady).toEqual(["pass", "pass", "pass", "pass", "fail", "fail"]);
  });

  it("ignores history of another version and lets the window be overridden", () => {
    const other = [0, 60, 120].map((s) => snap({ version: "v1.2.0", at: T0 + s * 1000, cpu: 0.99 }));
    const canary = snap({ at: T0 + 180_000, cpu: 0.99 });
    expect(analyse({ canary, history: other, baseline, health: healthy }).outcome).toBe("pass");
    const instant = withDefaultTriggers({ cpuSustainedMs: 0 });
    expect(analyse({ canary, baseline, health: healthy, triggers: instant }).outcome).toBe("fail");
  });

  it("lets each trigger be overridden or switched off", () => {
    expect(withDefaultTriggers()).toEqual(DEFAULT_TRIGGERS);
    expect(withDefaultTriggers({ errorRateIncrease: undefined }).errorRateIncrease).toBe(5);
    const strict = withDefaultTriggers({ errorRateIncrease: 1 });
    expect(analyse({ canary: snap({ errorRate: 0.02 }), baseline, health: healthy, triggers: strict }).outcome).toBe(
      "fail",
    );
    const off = withDefaultTriggers({
      errorRateIncrease: false,
      latencyFactor: false,
      healthCheck: false,
      memoryPercent: false,
      cpuPercent: false,
    });
    const verdict = analyse({ canary: snap({ errorRate: 0.5, memory: 0.99 }), baseline, triggers: off });
    expect(verdict.checks.map((c) => c.name)).toEqual(["traffic"]);
    expect(verdict.outcome).toBe("pass");
  });

  it("keeps the measurements with the verdict, and a history trimmed to a window", () => {
    const canary = snap({ at: T0 + 90_000 });
    const verdict = analyse({ canary, baseline, health: healthy });
    expect(verdict.canary).toBe(canary);
    expect(verdict.baseline).toBe(baseline);
    expect(analyse({ canary, baseline: undefined, health: healthy })).not.toHaveProperty("baseline");
    const earlier = [0, 30, 60].map((s) => snap({ at: T0 + s * 1000 }));
    const kept = keepHistory([...earlier, snap({ version: "v1.2.0", at: T0 + 60_000 })], canary, 60_000);
    expect(kept.map((s) => s.at - T0)).toEqual([30_000, 60_000, 90_000]);
  });

  it("prefers fail over inconclusive when both occur", () => {
    const verdict = analyse({ canary: snap({ p95Seconds: undefined, errorRate: 0.3 }), baseline, health: healthy });
    expect(verdict.outcome).toBe("fail");
  });
});

describe("custom metrics", () => {
  const conversion: CustomMetric = {
    name: "conversion-rate",
    title: "conversion rate",
    unit: "ratio",
    worse: "lower",
    limit: 0.05,
    vsBaseline: 30,
    rollback: true,
  };
  const p99: CustomMetric = {
    name: "p99",
    title: "p99 latency",
    unit: "seconds",
    worse: "higher",
    limit: 0.5,
    rollback: false,
  };
  const judge = (
    canaryValues: Record<string, number>,
    baselineValues?: Record<string, number>,
    custom = [conversion, p99],
  ) =>
    analyse({
      canary: snap({ custom: canaryValues }),
      baseline: baselineValues === undefined ? undefined : snap({ version: "v1.2.0", custom: baselineValues }),
      health: healthy,
      custom,
    });
  const customCheck = (verdict: Verdict, name: string) => {
    const found = verdict.checks.find((c) => c.metric === name);
    if (!found) throw new Error(`no check of ${name}`);
    return found;
  };

  it("holds a lower-is-worse metric to the stricter of its absolute limit and its distance from the baseline", () => {
    const fine = judge({ "conversion-rate": 0.28, p99: 0.2 }, { "conversion-rate": 0.3, p99: 0.2 });
    expect(fine.outcome).toBe("pass");
    expect(customCheck(fine, "conversion-rate")).toMatchObject({ status: "pass", unit: "%", baseline: 30 });
    expect(customCheck(fine, "conversion-rate").threshold).toBeCloseTo(21, 9);
    expect(customCheck(fine, "conversion-rate").text).toBe(
      "conversion rate 28% vs baseline 30% (limit: ≥ 21%, baseline − 30%)",
    );
    const fallen = judge({ "conversion-rate": 0.06, p99: 0.2 }, { "conversion-rate": 0.3, p99: 0.2 });
    expect(fallen.outcome).toBe("fail");
    expect(customCheck(fallen, "conversion-rate").text).toBe(
      "conversion rate 6% vs baseline 30% (limit: ≥ 21%, baseline − 30%)",
    );
    expect(fallen.summary).toBe(
      "rollback triggered: conversion rate 6% vs baseline 30% (limit: ≥ 21%, baseline − 30%)",
    );
    // Without a baseline only the absolute limit holds.
    const alone = judge({ "conversion-rate": 0.06, p99: 0.2 });
    expect(customCheck(alone, "conversion-rate")).toMatchObject({ status: "pass", threshold: 5 });
    expect(customCheck(alone, "conversion-rate").text).toBe("conversion rate 6% (limit: ≥ 5%)");
    expect(judge({ "conversion-rate": 0.04, p99: 0.2 }).outcome).toBe("fail");
  });

  it("treats missing data as inconclusive, never a pass, and a dashboard-only metric as deciding nothing", () => {
    const missing = judge({ p99: 0.2 }, { "conversion-rate": 0.3, p99: 0.2 });
    expect(missing.outcome).toBe("inconclusive");
    expect(customCheck(missing, "conversion-rate").text).toBe(
      "conversion rate of v1.3.0 missing, so it cannot be judged",
    );
    const noBaseline = judge({ "conversion-rate": 0.3, p99: 0.2 }, { p99: 0.2 });
    expect(noBaseline.outcome).toBe("inconclusive");
    expect(customCheck(noBaseline, "conversion-rate").text).toBe(
      "conversion rate 30%, but the conversion rate of the baseline v1.2.0 missing, so it cannot be judged",
    );
    // p99 is past its limit and then missing: shown, but the verdict is decided by the others.
    const slow = judge({ "conversion-rate": 0.3, p99: 0.9 }, { "conversion-rate": 0.3, p99: 0.2 });
    expect(slow.outcome).toBe("pass");
    expect(customCheck(slow, "p99")).toMatchObject({
      status: "fail",
      advisory: true,
      unit: "ms",
      observed: 900,
      threshold: 500,
    });
    expect(customCheck(slow, "p99").text).toBe("p99 latency 900ms vs baseline 200ms (limit: ≤ 500ms) — dashboard only");
    expect(judge({ "conversion-rate": 0.3 }, { "conversion-rate": 0.3 }).outcome).toBe("pass");
  });
});

describe("dashboardSummary", () => {
  it("shows the seed dashboard's lines", () => {
    const summary = dashboardSummary({
      canary: snap({ errorRate: 0.0002, p95Seconds: 0.145, requestRate: 61.7 }),
      baseline: snap({ version: "v1.2.0", errorRate: 0.0001, requestRate: 1172.3 }),
      limits: withDefaultTriggers({ latencyMaxMs: 200 }),
    });
    expect(summary.errors).toBe("0.02% (baseline: 0.01%)");
    expect(summary.response).toBe("145ms (target: <200ms)");
    expect(summary.traffic).toBe("1,234 req/s (new version: 61.7 req/s)");
    expect(summary.lines).toEqual([
      "Errors: 0.02% (baseline: 0.01%)",
      "Response: 145ms (target: <200ms)",
      "Traffic: 1,234 req/s (new version: 61.7 req/s)",
    ]);
  });

  it("takes the target from the limits a verdict was judged by", () => {
    const canary = snap({ p95Seconds: 0.145 });
    const verdict = analyse({ canary, baseline: undefined, triggers: withDefaultTriggers({ latencyMaxMs: 300 }) });
    expect(verdict.responseLimits).toEqual({ latencyFactor: 2, latencyMaxMs: 300 });
    expect(dashboardSummary({ canary, limits: verdict.responseLimits }).response).toBe("145ms (target: <300ms)");
  });

  it("derives the target from the baseline and copes with missing data", () => {
    const summary = dashboardSummary({ canary: snap({ p95Seconds: 0.12 }), baseline: snap({ p95Seconds: 0.1 }) });
    expect(summary.response).toBe("120ms (target: <200ms, 2× baseline)");
    const empty = dashboardSummary({ canary: undefined });
    expect(empty.lines).toEqual(["Errors: no data", "Response: no data", "Traffic: no data"]);
    expect(dashboardSummary({ canary: snap({ requestRate: 3.25 }) }).traffic).toBe("3.3 req/s");
  });
});

describe("number formats", () => {
  it.each([
    [21.3, "21.3%"],
    [5.4, "5.4%"],
    [5, "5%"],
    [0.4, "0.4%"],
    [0.02, "0.02%"],
    [0.0213, "0.021%"],
    [0.001, "<0.01%"],
    [0, "0%"],
    [100, "100%"],
    [Number.NaN, "n/a"],
  ])("formatPercent(%d) → %s", (points, text) => {
    expect(formatPercent(points)).toBe(text);
  });

  it.each([
    [145, "145ms"],
    [2.5, "2.5ms"],
    [0.25, "0.25ms"],
    [1250, "1.25s"],
    [0, "0ms"],
  ])("formatMilliseconds(%d) → %s", (ms, text) => {
    expect(formatMilliseconds(ms)).toBe(text);
  });

  it.each([
    [1234.4, "1,234 req/s"],
    [12.34, "12.3 req/s"],
    [0.4, "0.4 req/s"],
    [1_234_567, "1,234,567 req/s"],
  ])("formatRequestRate(%d) → %s", (rate, text) => {
    expect(formatRequestRate(rate)).toBe(text);
  });
});

describe("analysisInterval", () => {
  it("is the metrics interval for a normal deployment", () => {
    expect(analysisInterval(30_000, false)).toBe(30_000);
    expect(analysisInterval(30_000, false, 5_000)).toBe(30_000);
  });

  it("watches a hotfix three times as often, or as often as its environment says", () => {
    expect(analysisInterval(30_000, true)).toBe(10_000);
    expect(analysisInterval(30_000, true, 5_000)).toBe(5_000);
  });

  it("never analyses a hotfix more than once a second by default", () => {
    expect(analysisInterval(2_000, true)).toBe(1_000);
  });
});
