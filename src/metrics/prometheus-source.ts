/*
 * Measures versions through the Prometheus HTTP API: one instant query
 * (`GET /api/v1/query`) per measure and version, from PromQL templates.
 *
 * Whatever goes wrong with a query (Prometheus down, an HTTP error, a
 * `status: "error"` answer, no series, NaN, too slow) becomes a line in
 * `missing` and an undefined measure, which the analysis reports as
 * inconclusive. Only the caller's own abort rejects.
 */
import { z } from "zod";
import type { Snapshot } from "../domain/analysis.js";
import { parseDuration } from "../domain/duration.js";
import { fetchText } from "./http.js";
import {
  type Fetch,
  MEASURES,
  type Measure,
  type MetricSource,
  type SnapshotRequest,
  type SourceSnapshot,
  throwIfAborted,
} from "./source.js";

/** A PromQL template per measure. Each must give one number: a scalar or a single-series vector. */
export type QueryTemplates = Readonly<Record<Measure, string>>;

/** What a template may refer to as `{{name}}`. Values are escaped for use inside a double-quoted PromQL string. */
export const PLACEHOLDERS = ["service", "environment", "version", "baselineVersion", "window"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

const SELECTOR = 'service="{{service}}",environment="{{environment}}",version="{{version}}"';

/**
 * Defaults for applications instrumented the usual way (prom-client or the
 * Go client with a `version` label), scraped by Prometheus with `service`
 * and `environment` target labels. The error rate counts 5xx statuses and
 * reads 0, not "no data", when there has never been one.
 */
export const DEFAULT_QUERIES: QueryTemplates = {
  requestRate: `sum(rate(http_requests_total{${SELECTOR}}[{{window}}]))`,
  errorRate: `(sum(rate(http_requests_total{${SELECTOR},status=~"5.."}[{{window}}])) or vector(0)) / sum(rate(http_requests_total{${SELECTOR}}[{{window}}]))`,
  p95: `histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${SELECTOR}}[{{window}}])))`,
  cpu: `sum(rate(process_cpu_seconds_total{${SELECTOR}}[{{window}}]))`,
  memory: `sum(process_resident_memory_bytes{${SELECTOR}}) / sum(process_max_memory_bytes{${SELECTOR}})`,
};

/** How far back `sameHour` compares: the same hour yesterday, or a week ago (the same weekday too). */
export const SAME_HOUR_OFFSETS = ["1d", "1w"] as const;
export type SameHourOffset = (typeof SAME_HOUR_OFFSETS)[number];

/**
 * The service's request rate now over its rate at the same time `offset`
 * ago, every version together (the version live then is usually not the one
 * live now): 1 when traffic is as usual, 0.5 when half of it is missing.
 * Reads `http_requests_total` with `service` and `environment` labels, as
 * the default queries do; no data when Prometheus has no history that old.
 */
export function sameHourRequestRateQuery(offset: SameHourOffset): string {
  const selector = 'http_requests_total{service="{{service}}",environment="{{environment}}"}';
  return `sum(rate(${selector}[{{window}}])) / sum(rate(${selector}[{{window}}] offset ${offset}))`;
}

export const DEFAULT_QUERY_WINDOW = "1m";
export const DEFAULT_QUERY_TIMEOUT_MS = 5000;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** The `{{names}}` a template uses that are not placeholders. */
export function unknownPlaceholders(template: string): string[] {
  const names = [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? "");
  return [...new Set(names.filter((name) => !isPlaceholder(name)))];
}

/** Escapes a value for a double-quoted PromQL string: backslash, double quote and line breaks. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n\r]/g, (char) => {
    if (char === "\n") return "\\n";
    if (char === "\r") return "\\r";
    return `\\${char}`;
  });
}

/** Fills a template's placeholders; unknown ones are left as written. */
export function renderQuery(template: string, values: Readonly<Record<Placeholder, string>>): string {
  return template.replace(PLACEHOLDER, (whole, name: string) =>
    isPlaceholder(name) ? escapeLabelValue(values[name]) : whole,
  );
}

export interface PrometheusSourceOptions {
  /** Base URL of the Prometheus server, e.g. `http://prometheus:9090`; a path prefix is kept. */
  readonly url: string;
  /** Templates replacing the defaults, per measure. */
  readonly queries?: Partial<QueryTemplates>;
  /** The range used by rates, `{{window}}` in templates. Default `1m`. */
  readonly window?: string;
  /** How long one query may take. Default 5000. */
  readonly timeoutMs?: number;
  /** Default: the global fetch. */
  readonly fetch?: Fetch;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** The manifest's own metrics: a PromQL template each, with the same placeholders. */
  readonly custom?: readonly { readonly name: string; readonly query: string }[];
}

const sampleValue = z.tuple([z.number(), z.string()]);

const apiResponse = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("success"),
    data: z.discriminatedUnion("resultType", [
      z.object({
        resultType: z.literal("vector"),
        result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: sampleValue })),
      }),
      z.object({ resultType: z.literal("scalar"), result: sampleValue }),
      z.object({ resultType: z.literal("string"), result: z.unknown() }),
      z.object({ resultType: z.literal("matrix"), result: z.unknown() }),
    ]),
  }),
  z.object({
    status: z.literal("error"),
    errorType: z.string().optional(),
    error: z.string().optional(),
  }),
]);

/** One number, or why there is none. */
export type QueryResult = { ok: true; value: number } | { ok: false; reason: string };

const SHOWN_QUERY_LENGTH = 240;

function shortQuery(query: string): string {
  return query.length <= SHOWN_QUERY_LENGTH ? query : `${query.slice(0, SHOWN_QUERY_LENGTH - 1)}…`;
}

function readValue(text: string): QueryResult {
  const value = Number(text);
  if (Number.isNaN(value))
    return { ok: false, reason: "the value is NaN (no requests or observations in the window?)" };
  if (!Number.isFinite(value)) return { ok: false, reason: `the value is ${text}` };
  return { ok: true, value };
}

function interpret(body: unknown, status: number): QueryResult {
  const parsed = apiResponse.safeParse(body);
  const http = status >= 200 && status < 300 ? "" : `HTTP ${status}: `;
  if (!parsed.success) return { ok: false, reason: `${http}the answer is not a Prometheus API response` };
  const answer = parsed.data;
  if (answer.status === "error") {
    const kind = answer.errorType === undefined ? "" : `${answer.errorType}: `;
    return { ok: false, reason: `${http}Prometheus refused the query: ${kind}${answer.error ?? "no reason given"}` };
  }
  if (http !== "") return { ok: false, reason: `${http}unexpected status for a successful answer` };
  switch (answer.data.resultType) {
    case "scalar":
      return readValue(answer.data.result[1]);
    case "vector": {
      const series = answer.data.result;
      const only = series[0];
      if (only === undefined) return { ok: false, reason: "no data: the query returned no series" };
      if (series.length > 1) {
        return {
          ok: false,
          reason: `the query returned ${series.length} series, not one; aggregate it, e.g. with sum(…)`,
        };
      }
      return readValue(only.value[1]);
    }
    case "string":
    case "matrix":
      return {
        ok: false,
        reason: `the query returned a ${answer.data.resultType}, not a number; write an instant query that gives one value`,
      };
    default: {
      const unreachable: never = answer.data;
      return unreachable;
    }
  }
}

/** A metric source backed by a Prometheus server. */
export class PrometheusSource implements MetricSource {
  readonly #url: string;
  readonly #queries: QueryTemplates;
  readonly #window: string;
  readonly #windowSeconds: number;
  readonly #timeoutMs: number;
  readonly #fetch: Fetch;
  readonly #now: () => number;
  readonly #custom: readonly { readonly name: string; readonly query: string }[];

  constructor(options: PrometheusSourceOptions) {
    this.#url = options.url.replace(/\/+$/, "");
    this.#queries = { ...DEFAULT_QUERIES, ...definedOnly(options.queries ?? {}) };
    this.#window = options.window ?? DEFAULT_QUERY_WINDOW;
    const window = parseDuration(this.#window);
    if (!window.ok) throw new RangeError(`window: ${window.message}`);
    this.#windowSeconds = window.ms / 1000;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
    this.#custom = options.custom ?? [];
  }

  async snapshot(request: SnapshotRequest, signal?: AbortSignal): Promise<SourceSnapshot> {
    throwIfAborted(signal);
    const baselineVersion = request.baselineVersion;
    const [canary, baseline] = await Promise.all([
      this.measure(request, request.version, "canary", signal),
      baselineVersion === undefined ? undefined : this.measure(request, baselineVersion, "baseline", signal),
    ]);
    const missing = [...canary.missing, ...(baseline?.missing ?? [])];
    return baseline === undefined
      ? { canary: canary.snapshot, missing }
      : { canary: canary.snapshot, baseline: baseline.snapshot, missing };
  }

  private async measure(
    request: SnapshotRequest,
    version: string,
    role: "canary" | "baseline",
    signal: AbortSignal | undefined,
  ): Promise<{ snapshot: Snapshot; missing: string[] }> {
    const values: Record<Placeholder, string> = {
      service: request.service,
      environment: request.environment,
      version,
      baselineVersion: request.baselineVersion ?? "",
      window: this.#window,
    };
    const templates = [
      ...MEASURES.map((measure) => ({ name: measure as string, query: this.#queries[measure] })),
      ...this.#custom,
    ];
    const results = await Promise.all(
      templates.map(async ({ query: template }): Promise<QueryResult> => {
        const unknown = unknownPlaceholders(template);
        if (unknown.length > 0) {
          const named = unknown.map((name) => `{{${name}}}`).join(", ");
          return {
            ok: false,
            reason: `the query template uses unknown placeholders ${named} (known: ${PLACEHOLDERS.join(", ")})`,
          };
        }
        const query = renderQuery(template, values);
        const result = await this.query(query, signal);
        return result.ok ? result : { ok: false, reason: `${result.reason} — query: ${shortQuery(query)}` };
      }),
    );
    const found: Partial<Record<string, number>> = {};
    const missing: string[] = [];
    templates.forEach(({ name }, index) => {
      const result = results[index];
      if (result === undefined) return;
      if (result.ok) found[name] = result.value;
      else missing.push(`${role} ${version} ${name}: ${result.reason}`);
    });
    const custom = Object.fromEntries(
      this.#custom.flatMap(({ name }) => (found[name] === undefined ? [] : [[name, found[name]]])),
    );
    const snapshot: Snapshot = {
      version,
      at: this.#now(),
      windowSeconds: this.#windowSeconds,
      requestRate: found.requestRate,
      errorRate: found.errorRate,
      p95Seconds: found.p95,
      cpu: found.cpu,
      memory: found.memory,
      ...(this.#custom.length > 0 ? { custom } : {}),
    };
    return { snapshot, missing };
  }

  /** Runs one instant query; never rejects except when `signal` is aborted. */
  async query(promql: string, signal?: AbortSignal): Promise<QueryResult> {
    const url = `${this.#url}/api/v1/query?${new URLSearchParams({ query: promql })}`;
    const answer = await fetchText(this.#fetch, url, {
      timeoutMs: this.#timeoutMs,
      accept: "application/json",
      who: "Prometheus",
      signal,
    });
    if (!answer.ok) return answer;
    let body: unknown;
    try {
      body = JSON.parse(answer.text);
    } catch {
      const http = answer.status >= 200 && answer.status < 300 ? "" : `HTTP ${answer.status}: `;
      return { ok: false, reason: `${http}the answer is not JSON: ${shortQuery(answer.text.trim()) || "empty body"}` };
    }
    return interpret(body, answer.status);
  }
}

function definedOnly(queries: Partial<QueryTemplates>): Partial<QueryTemplates> {
  return Object.fromEntries(Object.entries(queries).filter(([, value]) => value !== undefined));
}
