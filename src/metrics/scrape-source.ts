/*
 * Measures versions by reading their `/metrics` endpoints directly, for
 * small setups without a Prometheus server. Rates need two readings, so a
 * measurement compares the scrape kept from the previous call with a new
 * one; on the first call (or when the kept one is too old) it scrapes twice,
 * `intervalMs` apart.
 *
 * From the two readings of each version:
 *
 *   requests, request rate  increase of http_requests_total
 *   error rate              increase of its 5xx statuses / all requests
 *   p95                     histogram_quantile(0.95) over the increase of
 *                           http_request_duration_seconds_bucket, per `le`
 *   cpu                     rate of process_cpu_seconds_total
 *   memory                  process_resident_memory_bytes /
 *                           process_max_memory_bytes (latest reading)
 *
 * Samples carrying the version label count for that version only; samples
 * without it (typically process metrics of a per-version endpoint) count for
 * every version read from that endpoint. A series that appears between the
 * readings counts from 0, as counters with labels are created on first use
 * (the first 5xx of a version is such a series).
 */
import { setTimeout as delay } from "node:timers/promises";
import { counterIncrease, histogramQuantile, type Snapshot } from "../domain/analysis.js";
import { parseExposition, parseSampleValue, type Sample } from "./exposition.js";
import { fetchText } from "./http.js";
import type { MetricSelector, ScrapeExpression } from "./scrape-expression.js";
import { type Fetch, type MetricSource, type SnapshotRequest, type SourceSnapshot, throwIfAborted } from "./source.js";

export interface MetricNames {
  /** Counter of requests with a status label. Default `http_requests_total`. */
  readonly requests: string;
  /** Histogram of response times in seconds, without `_bucket`. Default `http_request_duration_seconds`. */
  readonly duration: string;
  /** Counter of CPU seconds. Default `process_cpu_seconds_total`. */
  readonly cpu: string;
  /** Gauge of resident memory. Default `process_resident_memory_bytes`. */
  readonly residentMemory: string;
  /** Gauge of the memory limit. Default `process_max_memory_bytes`. */
  readonly maxMemory: string;
}

export const DEFAULT_METRIC_NAMES: MetricNames = {
  requests: "http_requests_total",
  duration: "http_request_duration_seconds",
  cpu: "process_cpu_seconds_total",
  residentMemory: "process_resident_memory_bytes",
  maxMemory: "process_max_memory_bytes",
};

/** `candidate` is the version being rolled out, `stable` its baseline. */
export type Slot = "candidate" | "stable";

export const DEFAULT_SCRAPE_INTERVAL_MS = 10_000;
export const DEFAULT_SCRAPE_MAX_AGE_MS = 5 * 60_000;
export const DEFAULT_SCRAPE_TIMEOUT_MS = 5000;

export interface ScrapeSourceOptions {
  /**
   * Exposition URLs keyed by version (`v1.2.0`) or by slot (`candidate`,
   * `stable`); a version's own key wins over its slot.
   */
  readonly targets?: Readonly<Record<string, string>>;
  /** A URL with `{{version}}` for versions not in `targets`, e.g. `http://metrics-gateway:8080/{{version}}/metrics`. */
  readonly template?: string;
  /** Time between the two scrapes of a first measurement. Default 10000. */
  readonly intervalMs?: number;
  /** A kept scrape older than this is not used; the source scrapes twice instead. Default 5 minutes. */
  readonly maxAgeMs?: number;
  /** How long one scrape may take. Default 5000. */
  readonly timeoutMs?: number;
  /** Metric names replacing the defaults. */
  readonly names?: Partial<MetricNames>;
  /** The label naming the version. Default `version`. */
  readonly versionLabel?: string;
  /** The label holding the HTTP status; `5xx` values are errors. Default `status`. */
  readonly statusLabel?: string;
  /** Default: the global fetch. */
  readonly fetch?: Fetch;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** Waits between scrapes. Default: a timer that the signal cancels. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** The manifest's own metrics, each computed from the two readings (see scrape-expression.ts). */
  readonly custom?: readonly CustomScrape[];
}

export interface CustomScrape {
  readonly name: string;
  readonly expression: ScrapeExpression;
}

interface Reading {
  readonly at: number;
  readonly samples: readonly Sample[];
}

type ReadingPair = { ok: true; earlier: Reading; later: Reading } | { ok: false; reason: string };

const SERVER_ERROR = /^5(?:\d\d|xx)$/i;

function seriesKey(sample: Sample): string {
  const labels = Object.entries(sample.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([sample.name, labels]);
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal === undefined ? undefined : { signal });
}

/** A metric source that scrapes exposition endpoints itself. */
export class ScrapeSource implements MetricSource {
  readonly #targets: Readonly<Record<string, string>>;
  readonly #template: string | undefined;
  readonly #intervalMs: number;
  readonly #maxAgeMs: number;
  readonly #timeoutMs: number;
  readonly #names: MetricNames;
  readonly #versionLabel: string;
  readonly #statusLabel: string;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  readonly #sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  readonly #kept = new Map<string, Reading>();
  readonly #custom: readonly CustomScrape[];

  constructor(options: ScrapeSourceOptions) {
    this.#targets = options.targets ?? {};
    this.#template = options.template;
    this.#intervalMs = options.intervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS;
    this.#maxAgeMs = options.maxAgeMs ?? DEFAULT_SCRAPE_MAX_AGE_MS;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_SCRAPE_TIMEOUT_MS;
    this.#names = { ...DEFAULT_METRIC_NAMES, ...options.names };
    this.#versionLabel = options.versionLabel ?? "version";
    this.#statusLabel = options.statusLabel ?? "status";
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? defaultSleep;
    this.#custom = options.custom ?? [];
  }

  /** The endpoint of a version, or undefined when neither targets nor template name one. */
  targetFor(version: string, slot: Slot): string | undefined {
    if (Object.hasOwn(this.#targets, version)) return this.#targets[version];
    if (Object.hasOwn(this.#targets, slot)) return this.#targets[slot];
    return this.#template?.replace(/\{\{\s*version\s*\}\}/g, encodeURIComponent(version));
  }

  async snapshot(request: SnapshotRequest, signal?: AbortSignal): Promise<SourceSnapshot> {
    throwIfAborted(signal);
    const canaryUrl = this.targetFor(request.version, "candidate");
    const baselineVersion = request.baselineVersion;
    const baselineUrl = baselineVersion === undefined ? undefined : this.targetFor(baselineVersion, "stable");
    const urls = new Set([canaryUrl, baselineUrl].filter((url) => url !== undefined));
    const pairs = new Map<string, ReadingPair>();
    await Promise.all(
      [...urls].map(async (url) => {
        pairs.set(url, await this.readTwice(url, signal));
      }),
    );
    const missing: string[] = [];
    const build = (version: string, slot: Slot, url: string | undefined): Snapshot => {
      const prefix = `${slot === "candidate" ? "canary" : "baseline"} ${version}`;
      const pair = url === undefined ? undefined : pairs.get(url);
      if (url === undefined || pair === undefined) {
        missing.push(
          `${prefix}: no metrics endpoint for it; add scrape.targets.${slot} (or a key for the version) or a scrape.template`,
        );
        return { version, at: this.#now(), windowSeconds: 0 };
      }
      if (!pair.ok) {
        missing.push(`${prefix}: ${pair.reason}`);
        return { version, at: this.#now(), windowSeconds: 0 };
      }
      const measured = this.measure(version, pair.earlier, pair.later);
      for (const reason of measured.missing) missing.push(`${prefix} ${reason} at ${url}`);
      return measured.snapshot;
    };
    const canary = build(request.version, "candidate", canaryUrl);
    if (baselineVersion === undefined) return { canary, missing };
    return { canary, baseline: build(baselineVersion, "stable", baselineUrl), missing };
  }

  /** The kept reading and a new one, or two new ones `intervalMs` apart. */
  private async readTwice(url: string, signal: AbortSignal | undefined): Promise<ReadingPair> {
    let earlier = this.#kept.get(url);
    if (earlier === undefined || this.#now() - earlier.at > this.#maxAgeMs || this.#now() < earlier.at) {
      const first = await this.read(url, signal);
      if (!first.ok) return first;
      earlier = first.reading;
      this.#kept.set(url, earlier);
    }
    const wait = this.#intervalMs - (this.#now() - earlier.at);
    if (wait > 0) await this.#sleep(wait, signal);
    throwIfAborted(signal);
    const second = await this.read(url, signal);
    if (!second.ok) return second;
    this.#kept.set(url, second.reading);
    return { ok: true, earlier, later: second.reading };
  }

  private async read(
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<{ ok: true; reading: Reading } | { ok: false; reason: string }> {
    const answer = await fetchText(this.#fetch, url, {
      timeoutMs: this.#timeoutMs,
      accept: "text/plain;version=0.0.4",
      who: `the metrics endpoint ${url}`,
      signal,
    });
    if (!answer.ok) return answer;
    if (answer.status < 200 || answer.status >= 300) {
      return { ok: false, reason: `scraping ${url} failed: HTTP ${answer.status}` };
    }
    const parsed = parseExposition(answer.text);
    return { ok: true, reading: { at: this.#now(), samples: parsed.samples } };
  }

  private forVersion(
    samples: readonly Sample[],
    name: string,
    version: string,
    labels: Readonly<Record<string, string>> = {},
  ): Sample[] {
    return samples.filter((sample) => {
      if (sample.name !== name) return false;
      if (Object.entries(labels).some(([key, value]) => sample.labels[key] !== value)) return false;
      const label = Object.hasOwn(sample.labels, this.#versionLabel) ? sample.labels[this.#versionLabel] : undefined;
      return label === undefined || label === version;
    });
  }

  /** Each series' increase between the readings, new series counted from 0. */
  private increases(
    name: string,
    version: string,
    earlier: Reading,
    later: Reading,
    labels: Readonly<Record<string, string>> = {},
  ) {
    const before = new Map(this.forVersion(earlier.samples, name, version, labels).map((s) => [seriesKey(s), s.value]));
    const found = this.forVersion(later.samples, name, version, labels);
    const out: { labels: Readonly<Record<string, string>>; increase: number }[] = [];
    for (const sample of found) {
      const increase = counterIncrease(before.get(seriesKey(sample)) ?? 0, sample.value);
      if (increase !== undefined) out.push({ labels: sample.labels, increase });
    }
    return { present: found.length > 0, series: out };
  }

  private measure(version: string, earlier: Reading, later: Reading): { snapshot: Snapshot; missing: string[] } {
    const names = this.#names;
    const missing: string[] = [];
    const seconds = (later.at - earlier.at) / 1000;
    const labelled = `{${this.#versionLabel}="${version}"}`;

    let requests: number | undefined;
    let requestRate: number | undefined;
    let errorRate: number | undefined;
    const counted = this.increases(names.requests, version, earlier, later);
    if (!counted.present) missing.push(`requests: no ${names.requests}${labelled} samples`);
    else {
      requests = counted.series.reduce((sum, s) => sum + s.increase, 0);
      requestRate = seconds > 0 ? requests / seconds : undefined;
      const errors = counted.series
        .filter((s) => SERVER_ERROR.test(s.labels[this.#statusLabel] ?? ""))
        .reduce((sum, s) => sum + s.increase, 0);
      if (requests > 0) errorRate = errors / requests;
      else missing.push(`errorRate: no requests between the two scrapes`);
    }

    let p95Seconds: number | undefined;
    const bucketName = `${names.duration}_bucket`;
    const buckets = this.increases(bucketName, version, earlier, later);
    if (!buckets.present) missing.push(`p95: no ${bucketName}${labelled} samples`);
    else {
      const perBound = buckets.series.flatMap((s) => {
        const le = parseSampleValue(s.labels.le ?? "");
        return le === undefined ? [] : [{ le, count: s.increase }];
      });
      p95Seconds = histogramQuantile(0.95, perBound);
      if (p95Seconds === undefined) missing.push(`p95: no observations in ${bucketName} between the two scrapes`);
    }

    let cpu: number | undefined;
    const cpuSeries = this.increases(names.cpu, version, earlier, later);
    if (!cpuSeries.present) missing.push(`cpu: no ${names.cpu} samples`);
    else if (seconds > 0) cpu = cpuSeries.series.reduce((sum, s) => sum + s.increase, 0) / seconds;

    let memory: number | undefined;
    const resident = this.forVersion(later.samples, names.residentMemory, version);
    const limit = this.forVersion(later.samples, names.maxMemory, version);
    if (resident.length === 0) missing.push(`memory: no ${names.residentMemory} samples`);
    else if (limit.length === 0) missing.push(`memory: no ${names.maxMemory} samples, so the limit is unknown`);
    else {
      const used = resident.reduce((sum, s) => sum + s.value, 0);
      const max = limit.reduce((sum, s) => sum + s.value, 0);
      if (max > 0 && Number.isFinite(max) && Number.isFinite(used)) memory = used / max;
      else missing.push(`memory: ${names.maxMemory} is ${max}, so the limit is unknown`);
    }

    const custom: Record<string, number> = {};
    for (const metric of this.#custom) {
      const value = this.evaluate(metric.expression, version, earlier, later);
      if (typeof value === "number") custom[metric.name] = value;
      else missing.push(`${metric.name}: ${value.missing}`);
    }

    return {
      snapshot: {
        version,
        at: later.at,
        windowSeconds: seconds,
        requests,
        requestRate,
        errorRate,
        p95Seconds,
        cpu,
        memory,
        ...(this.#custom.length > 0 ? { custom } : {}),
      },
      missing,
    };
  }

  /** A custom metric's value from the two readings, or what was missing. */
  private evaluate(
    expression: ScrapeExpression,
    version: string,
    earlier: Reading,
    later: Reading,
  ): number | { missing: string } {
    const shown = (m: MetricSelector) =>
      `${m.name}{${[`${this.#versionLabel}="${version}"`, ...Object.entries(m.labels).map(([k, v]) => `${k}="${v}"`)].join(",")}}`;
    const increase = (m: MetricSelector, name = m.name): number | { missing: string } => {
      const found = this.increases(name, version, earlier, later, m.labels);
      if (!found.present) return { missing: `no ${shown({ ...m, name })} samples` };
      return found.series.reduce((sum, s) => sum + s.increase, 0);
    };
    const seconds = (later.at - earlier.at) / 1000;
    switch (expression.fn) {
      case "increase":
        return increase(expression.metric);
      case "rate": {
        const counted = increase(expression.metric);
        if (typeof counted !== "number") return counted;
        return seconds > 0 ? counted / seconds : { missing: "the two scrapes were taken at the same time" };
      }
      case "ratio": {
        const part = increase(expression.part);
        if (typeof part !== "number") return part;
        const whole = increase(expression.whole);
        if (typeof whole !== "number") return whole;
        return whole > 0 ? part / whole : { missing: `${expression.whole.name} did not grow between the two scrapes` };
      }
      case "quantile": {
        const bucketName = `${expression.metric.name}_bucket`;
        const buckets = this.increases(bucketName, version, earlier, later, expression.metric.labels);
        if (!buckets.present) return { missing: `no ${shown({ ...expression.metric, name: bucketName })} samples` };
        const perBound = buckets.series.flatMap((s) => {
          const le = parseSampleValue(s.labels.le ?? "");
          return le === undefined ? [] : [{ le, count: s.increase }];
        });
        const quantile = histogramQuantile(expression.q, perBound);
        return quantile ?? { missing: `no observations in ${bucketName} between the two scrapes` };
      }
      case "value": {
        const found = this.forVersion(later.samples, expression.metric.name, version, expression.metric.labels);
        if (found.length === 0) return { missing: `no ${shown(expression.metric)} samples` };
        return found.reduce((sum, s) => sum + s.value, 0);
      }
      default: {
        const unreachable: never = expression;
        return unreachable;
      }
    }
  }
}
