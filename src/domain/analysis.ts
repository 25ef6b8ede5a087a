/*
 * Canary analysis: the seed's automatic rollback triggers as data, the maths
 * that turns counters and histograms into rates and quantiles, and the
 * verdict that compares the new version with the stable one measured over
 * the same window.
 *
 * A verdict is pass, fail or inconclusive, and it is shaped to never promote
 * on no data:
 *
 *   fail          any check tripped its trigger (roll back);
 *   inconclusive  nothing tripped, but some check could not be decided:
 *                 a value was missing or NaN, or there was too little traffic
 *                 to judge error rate and latency (pause and say why);
 *   pass          every enabled check had its data and stayed within limits.
 *
 * Memory, CPU and health do not depend on traffic, so they can fail a canary
 * that has too few requests for the other checks. Every check states what
 * was observed, the baseline and the threshold, in words for the thread.
 *
 * Pure: no I/O and no clock; times come in with the snapshots.
 */
import { formatDuration } from "./progress.js";

/** A deployment's last analysis against a baseline, as its record and the go/no-go material show it. */
export interface PerformanceImpact {
  readonly errorRate?: { readonly observed: number; readonly baseline: number };
  readonly p95Ms?: { readonly observed: number; readonly baseline: number };
}

/* Measurements ------------------------------------------------------------- */

/**
 * What one version measured over one window. Ratios are fractions (0.05 is
 * 5 %); a value that is undefined or NaN was not measured.
 */
export interface Snapshot {
  readonly version: string;
  /** When the window ended, epoch milliseconds. */
  readonly at: number;
  /** How long a window the rates cover, in seconds. */
  readonly windowSeconds: number;
  /** Requests served in the window. When absent: `requestRate × windowSeconds`. */
  readonly requests?: number;
  /** Requests per second. */
  readonly requestRate?: number;
  /** Fraction of requests that failed (HTTP 5xx), 0..1. */
  readonly errorRate?: number;
  /** 95th percentile response time, seconds. */
  readonly p95Seconds?: number;
  /** CPU seconds used per second: 1 is one core fully busy. */
  readonly cpu?: number;
  /** Resident memory as a fraction of the process's limit, 0..1. */
  readonly memory?: number;
  /** The manifest's own metrics, by name, in their declared unit; a name absent was not measured. */
  readonly custom?: Readonly<Record<string, number>>;
}

/** The latest result of the target's health check. */
export interface HealthObservation {
  readonly healthy: boolean;
  /** Why it failed, in the health check's words. */
  readonly detail?: string;
}

/* Triggers ----------------------------------------------------------------- */

/**
 * The automatic rollback triggers. A number can be replaced by `false` to
 * switch that trigger off.
 */
export interface RollbackTriggers {
  /** Roll back when the error rate exceeds the baseline's by more than this many percentage points. Default 5. */
  readonly errorRateIncrease: number | false;
  /** Roll back when p95 latency exceeds this multiple of the baseline's. Default 2. */
  readonly latencyFactor: number | false;
  /** Roll back when p95 latency exceeds this many milliseconds, whatever the baseline. Default: no absolute limit. */
  readonly latencyMaxMs?: number;
  /** Roll back when the target's health check fails. Default true. */
  readonly healthCheck: boolean;
  /** Roll back when resident memory exceeds this percentage of the limit. Default 90. */
  readonly memoryPercent: number | false;
  /** Roll back when CPU stays above this percentage of one core for `cpuSustainedMs`. Default 80. */
  readonly cpuPercent: number | false;
  /** How long CPU must stay above `cpuPercent` to trip. Default 2 minutes. */
  readonly cpuSustainedMs: number;
}

export const DEFAULT_TRIGGERS: RollbackTriggers = {
  errorRateIncrease: 5,
  latencyFactor: 2,
  healthCheck: true,
  memoryPercent: 90,
  cpuPercent: 80,
  cpuSustainedMs: 2 * 60_000,
};

/** Requests a window needs before its error rate and latency are judged. */
export const DEFAULT_MIN_REQUESTS = 50;

/** How a custom metric's value reads: seconds shown in ms, a ratio (0..1) shown in %, a plain number, a rate per second. */
export type MetricUnit = "seconds" | "ratio" | "number" | "perSecond";

/**
 * A metric the manifest declares beyond the seed's triggers (p99 latency,
 * active users, conversion rate…): which way is worse, an absolute limit
 * and/or how far it may move from the baseline, and whether crossing them
 * rolls back or is only shown.
 */
export interface CustomMetric {
  /** Its key in a snapshot's `custom`, e.g. `conversion-rate`. */
  readonly name: string;
  /** How the thread calls it, e.g. `conversion rate`. */
  readonly title: string;
  readonly unit: MetricUnit;
  /** `higher`: a higher value is worse (latency, errors); `lower`: a lower one is (conversion, users). */
  readonly worse: "higher" | "lower";
  /** Absolute limit, in the metric's unit: the value may not go past it in the worse direction. */
  readonly limit?: number;
  /** Relative limit: how many percent worse than the baseline the value may be. */
  readonly vsBaseline?: number;
  /** Whether crossing a limit (or missing data) may roll back; false shows it on the dashboard only. */
  readonly rollback: boolean;
}

/** The default triggers with the given ones replacing them; keys given as undefined keep the default. */
export function withDefaultTriggers(overrides: Partial<RollbackTriggers> = {}): RollbackTriggers {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  return { ...DEFAULT_TRIGGERS, ...given };
}

/* Maths -------------------------------------------------------------------- */

function isCount(value: number): boolean {
  return Number.isFinite(value) && value >= 0;
}

/**
 * How much a counter grew between two readings. A counter only goes up, so a
 * lower later reading means the process restarted and counted again from 0:
 * the increase is then the later value, as Prometheus's `increase()` has it.
 * Undefined when either reading is negative, NaN or infinite.
 */
export function counterIncrease(earlier: number, later: number): number | undefined {
  if (!isCount(earlier) || !isCount(later)) return undefined;
  return later >= earlier ? later - earlier : later;
}

/** A reading of a counter or gauge at a time (epoch milliseconds). */
export interface TimedValue {
  readonly at: number;
  readonly value: number;
}

/**
 * A counter's per-second rate between two readings, resets handled as in
 * {@link counterIncrease}. Undefined when the readings are not in time order
 * or either value is unusable.
 */
export function counterRate(earlier: TimedValue, later: TimedValue): number | undefined {
  const seconds = (later.at - earlier.at) / 1000;
  if (!(seconds > 0)) return undefined;
  const increase = counterIncrease(earlier.value, later.value);
  return increase === undefined ? undefined : increase / seconds;
}

/** One cumulative histogram bucket: observations less than or equal to `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/**
 * The q-quantile of a cumulative histogram, as Prometheus's
 * `histogram_quantile` computes it: buckets sorted by bound, equal bounds
 * summed, counts made monotonic, then linear interpolation inside the bucket
 * holding the rank (the lowest bucket starts at 0 when its bound is
 * positive). A rank in the `+Inf` bucket gives the highest finite bound.
 *
 * Undefined where Prometheus answers NaN: no `+Inf` bucket, fewer than two
 * buckets, no observations (an empty histogram), q NaN, or a rank in an
 * empty lowest bucket. q below 0 gives -Infinity and above 1 gives
 * +Infinity, as in Prometheus.
 */
export function histogramQuantile(q: number, buckets: readonly Bucket[]): number | undefined {
  if (Number.isNaN(q)) return undefined;
  if (q < 0) return Number.NEGATIVE_INFINITY;
  if (q > 1) return Number.POSITIVE_INFINITY;
  const byBound = new Map<number, number>();
  for (const bucket of buckets) {
    if (Number.isNaN(bucket.le) || Number.isNaN(bucket.count)) continue;
    byBound.set(bucket.le, (byBound.get(bucket.le) ?? 0) + bucket.count);
  }
  const sorted = [...byBound.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
  const last = sorted.at(-1);
  if (last === undefined || last.le !== Number.POSITIVE_INFINITY || sorted.length < 2) return undefined;
  let highest = Number.NEGATIVE_INFINITY;
  for (const bucket of sorted) {
    if (bucket.count < highest) bucket.count = highest;
    else highest = bucket.count;
  }
  const observations = last.count;
  if (!(observations > 0)) return undefined;
  let rank = q * observations;
  let index = sorted.findIndex((bucket, i) => i < sorted.length - 1 && bucket.count >= rank);
  if (index === -1) index = sorted.length - 1;
  const bucket = sorted[index];
  if (bucket === undefined) return undefined;
  if (index === sorted.length - 1) return sorted[sorted.length - 2]?.le;
  if (index === 0 && bucket.le <= 0) return bucket.le;
  let start = 0;
  let count = bucket.count;
  const previous = sorted[index - 1];
  if (previous !== undefined) {
    start = previous.le;
    count -= previous.count;
    rank -= previous.count;
  }
  const quantile = start + (bucket.le - start) * (rank / count);
  return Number.isNaN(quantile) ? undefined : quantile;
}

/** How long a series has stayed above a threshold, counted back from its latest point. */
export interface SustainedResult {
  /** Whether the latest point is above the threshold. */
  readonly above: boolean;
  /** From the first point of the unbroken run above the threshold to the latest point, ms; 0 when not above. */
  readonly forMs: number;
  /** Above for at least the window. */
  readonly sustained: boolean;
}

/**
 * Whether the series has been above `threshold` for at least `windowMs`:
 * the run of points above it that ends at the latest point must span the
 * window. A point at or below the threshold, or a missing (NaN) point, ends
 * the run, since nobody knows what happened there. Points may come in any
 * order; they are taken in time order.
 */
export function sustainedAbove(series: readonly TimedValue[], threshold: number, windowMs: number): SustainedResult {
  const points = [...series].filter((point) => Number.isFinite(point.at)).sort((a, b) => a.at - b.at);
  const latest = points.at(-1);
  if (latest === undefined || !(latest.value > threshold)) return { above: false, forMs: 0, sustained: false };
  let start = latest.at;
  for (let i = points.length - 2; i >= 0; i -= 1) {
    const point = points[i];
    if (point === undefined || !(point.value > threshold)) break;
    start = point.at;
  }
  const forMs = latest.at - start;
  return { above: true, forMs, sustained: forMs >= windowMs };
}

/* Words -------------------------------------------------------------------- */

function trimZeros(text: string): string {
  return text.includes(".") && !text.includes("e") ? text.replace(/0+$/, "").replace(/\.$/, "") : text;
}

/** A plain number for people: `5`, `2.5`, `0.25`. */
function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return String(value);
  return trimZeros(value.toFixed(Math.abs(value) >= 10 ? 1 : 2));
}

/** Percentage points for people: `21.3%`, `5.4%`, `0.4%`, `0.02%`, `<0.01%`, `0%`. */
export function formatPercent(points: number): string {
  if (!Number.isFinite(points)) return "n/a";
  if (points === 0) return "0%";
  const size = Math.abs(points);
  if (size < 0.01) return points > 0 ? "<0.01%" : "-<0.01%";
  if (size < 1) return `${trimZeros(points.toPrecision(2))}%`;
  return `${trimZeros(points.toFixed(1))}%`;
}

/** A response time for people: `145ms`, `2.5ms`, `1.25s`. */
export function formatMilliseconds(ms: number): string {
  if (!Number.isFinite(ms)) return "n/a";
  if (Math.abs(ms) >= 1000) return `${trimZeros((ms / 1000).toFixed(2))}s`;
  if (Math.abs(ms) >= 10) return `${Math.round(ms)}ms`;
  if (ms === 0) return "0ms";
  return `${trimZeros(ms.toFixed(Math.abs(ms) >= 1 ? 1 : 2))}ms`;
}

function groupThousands(value: number): string {
  const [whole = "0", fraction] = value.toString().split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
}

/** Requests per second for people: `1,234 req/s`, `12.5 req/s`, `0.4 req/s`. */
export function formatRequestRate(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "n/a";
  if (Math.abs(perSecond) >= 100) return `${groupThousands(Math.round(perSecond))} req/s`;
  return `${formatNumber(Number(perSecond.toFixed(1)))} req/s`;
}

function formatCount(count: number): string {
  return groupThousands(Math.round(count));
}

/* Verdict ------------------------------------------------------------------ */

export type CheckName = "traffic" | "errorRate" | "latency" | "latencyTarget" | "health" | "memory" | "cpu" | "custom";

/**
 * `skipped` is a check that cannot apply by design (a comparison with a
 * baseline when there is no stable version), as opposed to data that should
 * be there and is not, which is `inconclusive`.
 */
export type CheckStatus = "pass" | "fail" | "inconclusive" | "skipped";

/** `check` is the health check: 1 passing, 0 failing. */
export type CheckUnit = "%" | "ms" | "requests" | "check" | "number" | "per second";

/** One trigger evaluated, with the numbers behind it (in `unit`) and the words for the thread. */
export interface Check {
  readonly name: CheckName;
  readonly status: CheckStatus;
  readonly observed: number | undefined;
  readonly baseline: number | undefined;
  /** The limit the observed value was held to (for traffic, the minimum). */
  readonly threshold: number | undefined;
  readonly unit: CheckUnit;
  /** e.g. `error rate 21.3% vs baseline 0.4% (limit: baseline + 5 points = 5.4%)` */
  readonly text: string;
  /** For a custom check: the metric's name and title. */
  readonly metric?: string;
  readonly metricTitle?: string;
  /** Shown only: a custom metric declared with `rollback: false` never fails or holds up the verdict. */
  readonly advisory?: boolean;
}

export type Outcome = "pass" | "fail" | "inconclusive";

export interface Verdict {
  readonly outcome: Outcome;
  readonly checks: readonly Check[];
  /** The measurements judged, kept with the verdict for the dashboard and the next round's history. */
  readonly canary: Snapshot;
  readonly baseline?: Snapshot;
  /** One line: the failed checks, else the undecided ones, else that all passed. */
  readonly summary: string;
  /** What the metric source could not measure, in its words. */
  readonly missing: readonly string[];
  /** The latency limits the verdict was judged by: the dashboard's response-time target. */
  readonly responseLimits?: ResponseLimits;
}

/** The triggers that set the dashboard's response-time target. */
export type ResponseLimits = Pick<RollbackTriggers, "latencyMaxMs" | "latencyFactor">;

export interface AnalysisInput {
  /** The new version over the latest window. */
  readonly canary: Snapshot;
  /**
   * The stable version over the same window. Undefined when there is none
   * (a first deployment): the error rate is then held to the increase as an
   * absolute limit and the latency comparison is skipped.
   */
  readonly baseline: Snapshot | undefined;
  /** Earlier snapshots of the canary, any order, for the sustained CPU trigger. */
  readonly history?: readonly Snapshot[];
  /** Default {@link DEFAULT_TRIGGERS}. */
  readonly triggers?: RollbackTriggers;
  /** Requests the canary's window needs before error rate and latency are judged. Default 50. */
  readonly minRequests?: number;
  /** The target's latest health check; without it the health trigger is inconclusive. */
  readonly health?: HealthObservation;
  /** What the metric source reported missing, passed through to the verdict. */
  readonly missing?: readonly string[];
  /** The manifest's own metrics, judged after the seed's triggers. */
  readonly custom?: readonly CustomMetric[];
}

function known(value: number | undefined): value is number {
  return value !== undefined && Number.isFinite(value);
}

/** Requests in the snapshot's window, from the count or from the rate. */
export function requestsInWindow(snapshot: Snapshot): number | undefined {
  if (known(snapshot.requests)) return snapshot.requests;
  if (known(snapshot.requestRate) && known(snapshot.windowSeconds)) {
    return snapshot.requestRate * snapshot.windowSeconds;
  }
  return undefined;
}

function percentOf(ratio: number | undefined): number | undefined {
  return known(ratio) ? ratio * 100 : undefined;
}

function msOf(seconds: number | undefined): number | undefined {
  return known(seconds) ? seconds * 1000 : undefined;
}

/** Allowance for floating-point noise when a value sits exactly on its limit. */
const EPSILON = 1e-9;

function exceeds(observed: number, threshold: number): boolean {
  return observed > threshold + EPSILON * Math.max(1, Math.abs(threshold));
}

/** The measured window, as precise as the request rate shown beside it: `1.9s`, not a floored `1s`. */
function windowText(snapshot: Snapshot): string {
  const seconds = snapshot.windowSeconds;
  if (!known(seconds) || seconds <= 0) return "the window";
  return seconds < 60 ? `${formatNumber(Number(seconds.toFixed(1)))}s` : formatDuration(seconds * 1000);
}

function trafficCheck(canary: Snapshot, minRequests: number): Check {
  const requests = requestsInWindow(canary);
  const base = { name: "traffic" as const, baseline: undefined, threshold: minRequests, unit: "requests" as const };
  if (requests === undefined) {
    return {
      ...base,
      status: "inconclusive",
      observed: undefined,
      text: `traffic of ${canary.version} unknown: no request count or rate, so error rate and latency cannot be judged`,
    };
  }
  const during = `in ${windowText(canary)}`;
  const rate = known(canary.requestRate) ? ` (${formatRequestRate(canary.requestRate)})` : "";
  if (requests < minRequests) {
    return {
      ...base,
      status: "inconclusive",
      observed: requests,
      text: `too little traffic: ${formatCount(requests)} requests ${during}${rate}, fewer than the ${formatCount(minRequests)} needed to judge error rate and latency`,
    };
  }
  return {
    ...base,
    status: "pass",
    observed: requests,
    text: `traffic ${formatCount(requests)} requests ${during}${rate} (minimum ${formatCount(minRequests)})`,
  };
}

interface Context {
  readonly canary: Snapshot;
  readonly baseline: Snapshot | undefined;
  readonly enoughTraffic: boolean;
  readonly requests: number | undefined;
  readonly minRequests: number;
}

function tooLittleTraffic(ctx: Context, what: string): string {
  const count = ctx.requests === undefined ? "an unknown number of" : formatCount(ctx.requests);
  return `${what} not judged: ${count} requests, ${formatCount(ctx.minRequests)} needed`;
}

function missingText(what: string, snapshot: Snapshot, role: "canary" | "baseline"): string {
  return `${what} of ${role === "baseline" ? "the baseline " : ""}${snapshot.version} missing, so it cannot be judged`;
}

function errorRateCheck(ctx: Context, increase: number): Check {
  const observed = percentOf(ctx.canary.errorRate);
  const baselinePoints = ctx.baseline === undefined ? undefined : percentOf(ctx.baseline.errorRate);
  const base = { name: "errorRate" as const, unit: "%" as const, observed, baseline: baselinePoints };
  if (observed === undefined) {
    return {
      ...base,
      status: "inconclusive",
      threshold: undefined,
      text: missingText("error rate", ctx.canary, "canary"),
    };
  }
  if (ctx.baseline === undefined) {
    const threshold = increase;
    const text = `error rate ${formatPercent(observed)} with no baseline (limit: ${formatPercent(threshold)})`;
    if (!ctx.enoughTraffic) {
      return {
        ...base,
        status: "inconclusive",
        threshold,
        text: tooLittleTraffic(ctx, `error rate ${formatPercent(observed)}`),
      };
    }
    return { ...base, status: exceeds(observed, threshold) ? "fail" : "pass", threshold, text };
  }
  if (baselinePoints === undefined) {
    // Without the baseline's rate, the increase alone is the limit: a canary already past it fails anyway.
    const clearlyBad = ctx.enoughTraffic && exceeds(observed, increase);
    return {
      ...base,
      status: clearlyBad ? "fail" : "inconclusive",
      threshold: clearlyBad ? increase : undefined,
      text: clearlyBad
        ? `error rate ${formatPercent(observed)} above ${formatPercent(increase)} even without the baseline, whose ${missingText("error rate", ctx.baseline, "baseline")}`
        : `error rate ${formatPercent(observed)}, but the ${missingText("error rate", ctx.baseline, "baseline")}`,
    };
  }
  const threshold = baselinePoints + increase;
  if (!ctx.enoughTraffic) {
    return {
      ...base,
      status: "inconclusive",
      threshold,
      text: tooLittleTraffic(ctx, `error rate ${formatPercent(observed)} vs baseline ${formatPercent(baselinePoints)}`),
    };
  }
  return {
    ...base,
    status: exceeds(observed, threshold) ? "fail" : "pass",
    threshold,
    text: `error rate ${formatPercent(observed)} vs baseline ${formatPercent(baselinePoints)} (limit: baseline + ${formatNumber(increase)} points = ${formatPercent(threshold)})`,
  };
}

function latencyCheck(ctx: Context, factor: number): Check {
  const observed = msOf(ctx.canary.p95Seconds);
  const baselineMs = ctx.baseline === undefined ? undefined : msOf(ctx.baseline.p95Seconds);
  const base = { name: "latency" as const, unit: "ms" as const, observed, baseline: baselineMs };
  if (observed === undefined) {
    return {
      ...base,
      status: "inconclusive",
      threshold: undefined,
      text: missingText("p95 latency", ctx.canary, "canary"),
    };
  }
  if (ctx.baseline === undefined) {
    return {
      ...base,
      status: "skipped",
      threshold: undefined,
      text: `p95 latency ${formatMilliseconds(observed)}; no baseline to compare with (set an absolute limit with latencyMaxMs)`,
    };
  }
  if (baselineMs === undefined) {
    return {
      ...base,
      status: "inconclusive",
      threshold: undefined,
      text: `p95 latency ${formatMilliseconds(observed)}, but the ${missingText("p95 latency", ctx.baseline, "baseline")}`,
    };
  }
  const threshold = baselineMs * factor;
  const compared = `p95 latency ${formatMilliseconds(observed)} vs baseline ${formatMilliseconds(baselineMs)}`;
  if (!ctx.enoughTraffic) {
    return { ...base, status: "inconclusive", threshold, text: tooLittleTraffic(ctx, compared) };
  }
  return {
    ...base,
    status: exceeds(observed, threshold) ? "fail" : "pass",
    threshold,
    text: `${compared} (limit: ${formatNumber(factor)}× baseline = ${formatMilliseconds(threshold)})`,
  };
}

function latencyTargetCheck(ctx: Context, maxMs: number): Check {
  const observed = msOf(ctx.canary.p95Seconds);
  const baselineMs = ctx.baseline === undefined ? undefined : msOf(ctx.baseline.p95Seconds);
  const base = {
    name: "latencyTarget" as const,
    unit: "ms" as const,
    observed,
    baseline: baselineMs,
    threshold: maxMs,
  };
  if (observed === undefined) {
    return { ...base, status: "inconclusive", text: missingText("p95 latency", ctx.canary, "canary") };
  }
  const shown = `p95 latency ${formatMilliseconds(observed)}`;
  if (!ctx.enoughTraffic) return { ...base, status: "inconclusive", text: tooLittleTraffic(ctx, shown) };
  const versus = baselineMs === undefined ? "" : ` vs baseline ${formatMilliseconds(baselineMs)}`;
  return {
    ...base,
    status: exceeds(observed, maxMs) ? "fail" : "pass",
    text: `${shown}${versus} (limit: ${formatMilliseconds(maxMs)})`,
  };
}

function healthCheck(health: HealthObservation | undefined): Check {
  const base = { name: "health" as const, unit: "check" as const, baseline: undefined, threshold: 1 };
  if (health === undefined) {
    return {
      ...base,
      status: "inconclusive",
      observed: undefined,
      text: "health checks not run, so health cannot be judged",
    };
  }
  if (health.healthy) return { ...base, status: "pass", observed: 1, text: "health checks passing" };
  const detail = health.detail === undefined || health.detail.trim() === "" ? "" : `: ${health.detail.trim()}`;
  return {
    ...base,
    status: "fail",
    observed: 0,
    text: `health checks failing${detail} (rule: every health check passes)`,
  };
}

function memoryCheck(ctx: Context, limit: number): Check {
  const observed = percentOf(ctx.canary.memory);
  const baselinePercent = ctx.baseline === undefined ? undefined : percentOf(ctx.baseline.memory);
  const base = { name: "memory" as const, unit: "%" as const, observed, baseline: baselinePercent, threshold: limit };
  if (observed === undefined) {
    return { ...base, status: "inconclusive", text: missingText("memory use", ctx.canary, "canary") };
  }
  const versus = baselinePercent === undefined ? "" : ` vs baseline ${formatPercent(baselinePercent)}`;
  return {
    ...base,
    status: exceeds(observed, limit) ? "fail" : "pass",
    text: `memory ${formatPercent(observed)} of its limit${versus} (limit: ${formatPercent(limit)})`,
  };
}

function cpuCheck(ctx: Context, history: readonly Snapshot[], limit: number, sustainedMs: number): Check {
  const observed = percentOf(ctx.canary.cpu);
  const baselinePercent = ctx.baseline === undefined ? undefined : percentOf(ctx.baseline.cpu);
  const base = { name: "cpu" as const, unit: "%" as const, observed, baseline: baselinePercent, threshold: limit };
  const rule = `limit: ${formatPercent(limit)} sustained for ${formatDuration(sustainedMs)}`;
  if (observed === undefined) {
    return { ...base, status: "inconclusive", text: missingText("CPU use", ctx.canary, "canary") };
  }
  const series = [...history, ctx.canary]
    .filter((snapshot) => snapshot.version === ctx.canary.version)
    .map((snapshot) => ({ at: snapshot.at, value: percentOf(snapshot.cpu) ?? Number.NaN }));
  const run = sustainedAbove(series, limit, sustainedMs);
  const versus = baselinePercent === undefined ? "" : ` vs baseline ${formatPercent(baselinePercent)}`;
  if (!run.above) {
    return { ...base, status: "pass", text: `CPU ${formatPercent(observed)}${versus} (${rule})` };
  }
  if (run.sustained) {
    return {
      ...base,
      status: "fail",
      text: `CPU ${formatPercent(observed)}${versus}, above ${formatPercent(limit)} for ${formatDuration(run.forMs)} (${rule})`,
    };
  }
  return {
    ...base,
    status: "pass",
    text: `CPU ${formatPercent(observed)}${versus}, above ${formatPercent(limit)} for ${formatDuration(run.forMs)} so far (${rule})`,
  };
}

/** A custom metric's value in the unit its check shows, and how it reads. */
function shown(metric: CustomMetric, value: number): { value: number; text: string } {
  switch (metric.unit) {
    case "seconds":
      return { value: value * 1000, text: formatMilliseconds(value * 1000) };
    case "ratio":
      return { value: value * 100, text: formatPercent(value * 100) };
    case "perSecond":
      return { value, text: `${formatNumber(value)}/s` };
    case "number":
      return { value, text: formatNumber(value) };
    default: {
      const unreachable: never = metric.unit;
      return unreachable;
    }
  }
}

const CHECK_UNIT: Record<MetricUnit, CheckUnit> = {
  seconds: "ms",
  ratio: "%",
  number: "number",
  perSecond: "per second",
};

function customValue(snapshot: Snapshot | undefined, name: string): number | undefined {
  const value = snapshot?.custom?.[name];
  return known(value) ? value : undefined;
}

/**
 * A custom metric against its limits. The absolute limit and the one
 * relative to the baseline both apply; the stricter is the threshold shown.
 * Missing data is inconclusive, never a pass; a relative limit without a
 * baseline to compare with (a first deployment, after promotion) leaves
 * only the absolute one, or skips the check when there is none.
 */
function customCheck(ctx: Context, metric: CustomMetric): Check {
  const higher = metric.worse === "higher";
  const observedRaw = customValue(ctx.canary, metric.name);
  const baselineRaw = customValue(ctx.baseline, metric.name);
  const observed = observedRaw === undefined ? undefined : shown(metric, observedRaw);
  const baseline = baselineRaw === undefined ? undefined : shown(metric, baselineRaw);
  const base = {
    name: "custom" as const,
    metric: metric.name,
    metricTitle: metric.title,
    unit: CHECK_UNIT[metric.unit],
    observed: observed?.value,
    baseline: baseline?.value,
    ...(metric.rollback ? {} : { advisory: true }),
  };
  const suffix = metric.rollback ? "" : " — dashboard only";
  if (observed === undefined) {
    return {
      ...base,
      status: "inconclusive",
      threshold: undefined,
      text: `${missingText(metric.title, ctx.canary, "canary")}${suffix}`,
    };
  }
  const limits: { value: number; words: string }[] = [];
  if (metric.limit !== undefined) {
    limits.push({ value: shown(metric, metric.limit).value, words: shown(metric, metric.limit).text });
  }
  const relativeWanted = metric.vsBaseline !== undefined && ctx.baseline !== undefined;
  if (relativeWanted && baselineRaw !== undefined && metric.vsBaseline !== undefined) {
    const factor = higher ? 1 + metric.vsBaseline / 100 : 1 - metric.vsBaseline / 100;
    const relative = shown(metric, baselineRaw * factor);
    limits.push({
      value: relative.value,
      words: `${relative.text}, baseline ${higher ? "+" : "−"} ${formatNumber(metric.vsBaseline)}%`,
    });
  }
  const versus = baseline === undefined ? "" : ` vs baseline ${baseline.text}`;
  const sign = higher ? "≤" : "≥";
  const worse = (limit: number) => (higher ? exceeds(observed.value, limit) : exceeds(-observed.value, -limit));
  const tripped = limits.find((limit) => worse(limit.value));
  const strictest = limits.reduce<(typeof limits)[number] | undefined>(
    (best, limit) => (!best || (higher ? limit.value < best.value : limit.value > best.value) ? limit : best),
    undefined,
  );
  const threshold = tripped ?? strictest;
  const rule = threshold === undefined ? "" : ` (limit: ${sign} ${threshold.words})`;
  const text = `${metric.title} ${observed.text}${versus}${rule}${suffix}`;
  if (tripped) return { ...base, status: "fail", threshold: tripped.value, text };
  if (relativeWanted && baselineRaw === undefined) {
    return {
      ...base,
      status: "inconclusive",
      threshold: threshold?.value,
      text: `${metric.title} ${observed.text}, but the ${missingText(metric.title, ctx.baseline ?? ctx.canary, "baseline")}${suffix}`,
    };
  }
  if (threshold === undefined) return { ...base, status: "skipped", threshold: undefined, text };
  return { ...base, status: "pass", threshold: threshold.value, text };
}

function summarise(outcome: Outcome, checks: readonly Check[], missing: readonly string[]): string {
  if (outcome === "fail") {
    return `rollback triggered: ${checks
      .filter((check) => check.status === "fail" && !check.advisory)
      .map((check) => check.text)
      .join("; ")}`;
  }
  if (outcome === "inconclusive") {
    const undecided = checks
      .filter((check) => check.status === "inconclusive" && !check.advisory)
      .map((check) => check.text);
    const reasons = [...undecided, ...missing.filter((reason) => !undecided.includes(reason))];
    return `inconclusive, not promoting: ${reasons.join("; ")}`;
  }
  return "all checks passed";
}

/**
 * Judges the canary against the triggers, comparing it with the baseline
 * measured over the same window. See the module comment for how checks
 * combine into an outcome.
 */
export function analyse(input: AnalysisInput): Verdict {
  const triggers = input.triggers ?? DEFAULT_TRIGGERS;
  const minRequests = input.minRequests ?? DEFAULT_MIN_REQUESTS;
  const missing = [...(input.missing ?? [])];
  const traffic = trafficCheck(input.canary, minRequests);
  const ctx: Context = {
    canary: input.canary,
    baseline: input.baseline,
    enoughTraffic: traffic.status === "pass",
    requests: traffic.observed,
    minRequests,
  };
  const checks: Check[] = [traffic];
  if (triggers.errorRateIncrease !== false) checks.push(errorRateCheck(ctx, triggers.errorRateIncrease));
  if (triggers.latencyFactor !== false) checks.push(latencyCheck(ctx, triggers.latencyFactor));
  if (triggers.latencyMaxMs !== undefined) checks.push(latencyTargetCheck(ctx, triggers.latencyMaxMs));
  if (triggers.healthCheck) checks.push(healthCheck(input.health));
  if (triggers.memoryPercent !== false) checks.push(memoryCheck(ctx, triggers.memoryPercent));
  if (triggers.cpuPercent !== false) {
    checks.push(cpuCheck(ctx, input.history ?? [], triggers.cpuPercent, triggers.cpuSustainedMs));
  }
  for (const metric of input.custom ?? []) checks.push(customCheck(ctx, metric));
  const deciding = checks.filter((check) => !check.advisory);
  const outcome: Outcome = deciding.some((check) => check.status === "fail")
    ? "fail"
    : deciding.some((check) => check.status === "inconclusive")
      ? "inconclusive"
      : "pass";
  const summary = summarise(outcome, checks, missing);
  const measured =
    input.baseline === undefined ? { canary: input.canary } : { canary: input.canary, baseline: input.baseline };
  const responseLimits: ResponseLimits =
    triggers.latencyMaxMs === undefined
      ? { latencyFactor: triggers.latencyFactor }
      : { latencyFactor: triggers.latencyFactor, latencyMaxMs: triggers.latencyMaxMs };
  return { outcome, checks, ...measured, summary, missing, responseLimits };
}

/** A hotfix is watched intensively: analysed this many times as often, unless its environment says how often. */
export const HOTFIX_INTENSITY = 3;

/** How often a deployment is analysed: the metrics interval, or for a hotfix its own (never under 1 s). */
export function analysisInterval(intervalMs: number, hotfix: boolean, hotfixIntervalMs?: number): number {
  if (!hotfix) return intervalMs;
  return hotfixIntervalMs ?? Math.max(1_000, Math.round(intervalMs / HOTFIX_INTENSITY));
}

/**
 * The canary history to keep for the next analysis: earlier snapshots of
 * the same version plus this one, dropping those older than `keepMs` before
 * it (keep at least the sustained CPU window).
 */
export function keepHistory(history: readonly Snapshot[], latest: Snapshot, keepMs: number): Snapshot[] {
  return [...history, latest]
    .filter((snapshot) => snapshot.version === latest.version && snapshot.at >= latest.at - keepMs)
    .sort((a, b) => a.at - b.at);
}

/* Dashboard ---------------------------------------------------------------- */

/** A check's observed value for people, in its unit: `30%`, `145ms`, `1,234 requests`, `12/s`. */
export function formatObserved(check: Pick<Check, "observed" | "unit">): string {
  const value = check.observed;
  if (value === undefined) return NO_DATA;
  switch (check.unit) {
    case "%":
      return formatPercent(value);
    case "ms":
      return formatMilliseconds(value);
    case "requests":
      return `${formatCount(value)} requests`;
    case "check":
      return value >= 1 ? "passing" : "failing";
    case "number":
      return formatNumber(value);
    case "per second":
      return `${formatNumber(value)}/s`;
    default: {
      const unreachable: never = check.unit;
      return unreachable;
    }
  }
}

export interface DashboardInput {
  readonly canary: Snapshot | undefined;
  readonly baseline?: Snapshot;
  /** For the response-time target: `latencyMaxMs`, else `latencyFactor` × the baseline's p95. Default the default triggers'. */
  readonly limits?: ResponseLimits;
}

/** The metric lines of the root message, after their labels. */
export interface DashboardSummary {
  /** `0.02% (baseline: 0.01%)` */
  readonly errors: string;
  /** `145ms (target: <200ms)` */
  readonly response: string;
  /** `1,234 req/s` (both versions), with the canary's share when there is a baseline. */
  readonly traffic: string;
  /** `Errors: …`, `Response: …`, `Traffic: …` */
  readonly lines: readonly string[];
}

const NO_DATA = "no data";

function responseTarget(baseline: Snapshot | undefined, triggers: ResponseLimits): string | undefined {
  if (triggers.latencyMaxMs !== undefined) return `<${formatMilliseconds(triggers.latencyMaxMs)}`;
  const baselineMs = baseline === undefined ? undefined : msOf(baseline.p95Seconds);
  if (triggers.latencyFactor === false || baselineMs === undefined) return undefined;
  return `<${formatMilliseconds(baselineMs * triggers.latencyFactor)}, ${formatNumber(triggers.latencyFactor)}× baseline`;
}

/** The seed dashboard's metric lines: error rate vs baseline, p95 vs target, requests per second. */
export function dashboardSummary(input: DashboardInput): DashboardSummary {
  const { canary, baseline } = input;
  const triggers = input.limits ?? DEFAULT_TRIGGERS;

  const canaryErrors = percentOf(canary?.errorRate);
  const baselineErrors = percentOf(baseline?.errorRate);
  const errorsShown = canaryErrors === undefined ? NO_DATA : formatPercent(canaryErrors);
  const errors =
    baselineErrors === undefined ? errorsShown : `${errorsShown} (baseline: ${formatPercent(baselineErrors)})`;

  const p95 = msOf(canary?.p95Seconds);
  const target = responseTarget(baseline, triggers);
  const p95Shown = p95 === undefined ? NO_DATA : formatMilliseconds(p95);
  const response = target === undefined ? p95Shown : `${p95Shown} (target: ${target})`;

  const canaryRate = known(canary?.requestRate) ? canary.requestRate : undefined;
  const baselineRate = known(baseline?.requestRate) ? baseline.requestRate : undefined;
  let traffic = NO_DATA;
  if (canaryRate !== undefined && baselineRate !== undefined) {
    traffic = `${formatRequestRate(canaryRate + baselineRate)} (new version: ${formatRequestRate(canaryRate)})`;
  } else if (canaryRate !== undefined) {
    traffic = formatRequestRate(canaryRate);
  }
  return {
    errors,
    response,
    traffic,
    lines: [`Errors: ${errors}`, `Response: ${response}`, `Traffic: ${traffic}`],
  };
}
