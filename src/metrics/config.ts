/*
 * The manifest's `metrics` section: where canary analysis reads its numbers
 * and which triggers roll back.
 *
 *   metrics:
 *     source: prometheus              # or scrape
 *     url: http://prometheus:9090     # prometheus
 *     window: 1m                      # prometheus: the range of rates, {{window}}
 *     queries: { errorRate: '…' }     # prometheus: overrides per measure
 *     scrape:                         # scrape
 *       targets: { candidate: http://web-canary:8080/metrics, stable: http://web:8080/metrics }
 *       template: http://metrics-gateway:8080/{{version}}/metrics
 *     interval: 30s                   # how often a canary step is analysed
 *     minRequests: 50
 *     triggers: { errorRateIncrease: 5, latencyFactor: 2, memoryPercent: 90, cpuPercent: 80, cpuSustained: 2m, healthCheck: true }
 *     custom:                         # the service's own metrics, judged beside the triggers
 *       - name: conversion-rate
 *         query: '…{{version}}…'      # prometheus: PromQL giving one number
 *         scrape: ratio(checkout_conversions_total, checkout_visits_total)   # scrape (see scrape-expression.ts)
 *         unit: ratio                 # seconds | ratio | number | perSecond
 *         worse: lower                # higher | lower
 *         limit: 0.05                 # absolute, in the unit
 *         vsBaseline: 30              # at most 30% worse than the stable version
 *         rollback: true              # false: shown on the dashboard only
 *       - name: traffic-vs-last-week
 *         sameHour: 1w                # prometheus, instead of query: request rate now / the same hour a week ago
 *         worse: lower
 *         limit: 0.5
 *
 * Parsing fills every default and turns durations into milliseconds, so the
 * parsed section is ready to build a source and to analyse with.
 */
import { z } from "zod";
import {
  type CustomMetric,
  DEFAULT_MIN_REQUESTS,
  type RollbackTriggers,
  withDefaultTriggers,
} from "../domain/analysis.js";
import { parseDuration } from "../domain/duration.js";
import {
  DEFAULT_QUERIES,
  DEFAULT_QUERY_WINDOW,
  PLACEHOLDERS,
  type QueryTemplates,
  SAME_HOUR_OFFSETS,
  sameHourRequestRateQuery,
  unknownPlaceholders,
} from "./prometheus-source.js";
import { parseScrapeExpression, type ScrapeExpression } from "./scrape-expression.js";
import { DEFAULT_METRIC_NAMES, type MetricNames } from "./scrape-source.js";

export const DEFAULT_ANALYSIS_INTERVAL = "30s";
export const DEFAULT_METRICS_TIMEOUT = "5s";
export const DEFAULT_SCRAPE_INTERVAL = "10s";
export const DEFAULT_CPU_SUSTAINED = "2m";

function durationMs(text: string): number {
  const parsed = parseDuration(text);
  return parsed.ok ? parsed.ms : 0;
}

const durationText = z.string().superRefine((text, ctx) => {
  const parsed = parseDuration(text);
  if (!parsed.ok) ctx.addIssue({ code: "custom", input: text, message: parsed.message });
});

const httpUrl = z.url({
  protocol: /^https?$/,
  error: (issue) => `'${String(issue.input)}' is not an http(s) URL; write one such as http://prometheus:9090`,
});

const query = z
  .string()
  .min(1, { error: "a query cannot be empty; remove the key to use the default" })
  .superRefine((template, ctx) => {
    const unknown = unknownPlaceholders(template);
    if (unknown.length === 0) return;
    ctx.addIssue({
      code: "custom",
      input: template,
      message: `unknown placeholder ${unknown.map((name) => `{{${name}}}`).join(", ")}; a query may use ${PLACEHOLDERS.map((name) => `{{${name}}}`).join(", ")}`,
    });
  });

const queriesSchema = z.strictObject({
  requestRate: query.optional(),
  errorRate: query.optional(),
  p95: query.optional(),
  cpu: query.optional(),
  memory: query.optional(),
});

function orOff(number: z.ZodNumber, example: string) {
  return z.union([number, z.literal(false)], {
    error: (issue) =>
      issue.code === "invalid_union"
        ? `expected a number such as ${example}, or false to switch the trigger off`
        : undefined,
  });
}

const triggersSchema = z.strictObject({
  /** Percentage points above the baseline's error rate. Default 5. */
  errorRateIncrease: orOff(z.number().gt(0).max(100), "5").optional(),
  /** Multiple of the baseline's p95 latency. Default 2. */
  latencyFactor: orOff(z.number().min(1), "2").optional(),
  /** Absolute p95 limit in milliseconds, also the dashboard's response-time target. Default none. */
  latencyMaxMs: z.number().gt(0).optional(),
  /** Roll back when the health check fails. Default true. */
  healthCheck: z.boolean().optional(),
  /** Percent of the memory limit. Default 90. */
  memoryPercent: orOff(z.number().gt(0).max(100), "90").optional(),
  /** Percent of one core. Default 80. */
  cpuPercent: orOff(z.number().gt(0), "80").optional(),
  /** How long CPU must stay above cpuPercent. Default 2m. */
  cpuSustained: durationText.optional(),
});

/** Names the sources use for their own measures; a custom metric may not take one. */
const RESERVED_NAMES = ["requestRate", "errorRate", "p95", "cpu", "memory"];

const customMetricSchema = z
  .strictObject({
    /** Its key: lower-case letters, digits and dashes, e.g. conversion-rate. */
    name: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, { error: "a name such as conversion-rate: lower-case letters, digits and -" })
      .refine((name) => !RESERVED_NAMES.includes(name), {
        error: (issue) => `'${String(issue.input)}' is a measure of its own; name the metric differently`,
      }),
    /** How the thread calls it. Default: the name with spaces for dashes. */
    title: z.string().min(1).max(60).optional(),
    /** Prometheus source: PromQL giving one number, with the query placeholders. */
    query: query.optional(),
    /**
     * Prometheus source, instead of a query: the service's request rate (every version) now against the same
     * hour `1d` or `1w` ago, as a ratio (1: traffic as usual), e.g. for the extended window.
     */
    sameHour: z.enum(SAME_HOUR_OFFSETS, { error: "write 1d (the same hour yesterday) or 1w (a week ago)" }).optional(),
    /** Scrape source: rate(…), increase(…), ratio(…, …), quantile(q, …) or value(…). */
    scrape: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseScrapeExpression(text);
        if (!parsed.ok) ctx.addIssue({ code: "custom", input: text, message: parsed.message });
      })
      .optional(),
    /** seconds (shown in ms), ratio (shown in %), number, perSecond. Default number. */
    unit: z.enum(["seconds", "ratio", "number", "perSecond"]).optional(),
    /** Which way is worse. */
    worse: z.enum(["higher", "lower"], {
      error: "say which way is worse: worse: higher (latency) or worse: lower (conversion)",
    }),
    /** Absolute limit, in the unit. */
    limit: z.number().optional(),
    /** How many percent worse than the baseline it may be. */
    vsBaseline: z.number().gt(0).optional(),
    /** Whether crossing a limit may roll back. Default true; false shows it only. */
    rollback: z.boolean().optional(),
  })
  .refine((metric) => metric.rollback === false || metric.limit !== undefined || metric.vsBaseline !== undefined, {
    error:
      "a metric that may roll back needs a limit, a vsBaseline percentage or both; or set rollback: false to only show it",
  })
  .refine((metric) => metric.sameHour === undefined || (metric.query === undefined && metric.scrape === undefined), {
    error: "sameHour measures the request rate itself; remove query and scrape, or remove sameHour",
  });

const customMetricsSchema = z.array(customMetricSchema).superRefine((metrics, ctx) => {
  const seen = new Set<string>();
  metrics.forEach((metric, index) => {
    if (seen.has(metric.name)) {
      ctx.addIssue({
        code: "custom",
        path: [index, "name"],
        input: metric.name,
        message: `'${metric.name}' is declared twice`,
      });
    }
    seen.add(metric.name);
  });
});

/** Each custom metric must say how this source measures it. */
function requireMeasure(field: "query" | "scrape", example: string) {
  return (section: { custom?: z.output<typeof customMetricsSchema> | undefined }, ctx: z.core.$RefinementCtx) => {
    (section.custom ?? []).forEach((metric, index) => {
      if (metric.sameHour !== undefined && field === "scrape") {
        ctx.addIssue({
          code: "custom",
          path: ["custom", index, "sameHour"],
          input: metric.sameHour,
          message: `metric '${metric.name}' compares with the same hour ${metric.sameHour} ago, and the scrape source keeps no history: read it from Prometheus (source: prometheus), or leave it out`,
        });
      } else if (metric[field] === undefined && metric.sameHour === undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["custom", index, field],
          input: metric,
          message: `metric '${metric.name}' needs ${field}: with this source, e.g. ${example}`,
        });
      }
    });
  };
}

const minRequests = z
  .number()
  .min(0)
  .refine(Number.isInteger, { error: (issue) => `expected a whole number of requests, got ${String(issue.input)}` });

const common = {
  /** How often a canary step is analysed. Default 30s. */
  interval: durationText.optional(),
  /** How long one query or scrape may take. Default 5s. */
  timeout: durationText.optional(),
  /** Requests the canary needs in a window before error rate and latency are judged. Default 50. */
  minRequests: minRequests.optional(),
  triggers: triggersSchema.optional(),
  /** The service's own metrics; see the module comment. */
  custom: customMetricsSchema.optional(),
};

const prometheusSchema = z
  .strictObject({
    source: z.literal("prometheus"),
    url: httpUrl,
    /** The range of rates in the default queries, `{{window}}`. Default 1m. */
    window: durationText.optional(),
    queries: queriesSchema.optional(),
    ...common,
  })
  .superRefine(requireMeasure("query", `'sum(active_users{version="{{version}}"})'`));

const metricNamesSchema = z.strictObject({
  requests: z.string().min(1).optional(),
  duration: z.string().min(1).optional(),
  cpu: z.string().min(1).optional(),
  residentMemory: z.string().min(1).optional(),
  maxMemory: z.string().min(1).optional(),
});

const urlTemplate = z
  .string()
  .refine((template) => /\{\{\s*version\s*\}\}/.test(template), {
    error: "a template needs {{version}}, e.g. http://metrics-gateway:8080/{{version}}/metrics",
  })
  .refine((template) => httpUrl.safeParse(template.replace(/\{\{\s*version\s*\}\}/g, "v1.0.0")).success, {
    error: (issue) =>
      `'${String(issue.input)}' is not an http(s) URL once {{version}} is filled in; versions such as v1.2.0 have dots, so put {{version}} in the path, not the host name`,
  });

const scrapeSettingsSchema = z
  .strictObject({
    /** URLs keyed by `candidate`, `stable` or a version. */
    targets: z.record(z.string().min(1), httpUrl).optional(),
    /** A URL with {{version}} for versions not in targets. */
    template: urlTemplate.optional(),
    /** Time between the two scrapes of a first measurement. Default 10s. */
    interval: durationText.optional(),
    /** Label naming the version. Default version. */
    versionLabel: z.string().min(1).optional(),
    /** Label holding the HTTP status. Default status. */
    statusLabel: z.string().min(1).optional(),
    names: metricNamesSchema.optional(),
  })
  .refine((scrape) => Object.keys(scrape.targets ?? {}).length > 0 || scrape.template !== undefined, {
    error:
      "say where to scrape: targets such as { candidate: http://web-canary:8080/metrics, stable: http://web:8080/metrics }, or a template with {{version}}",
  });

const scrapeSchema = z
  .strictObject({
    source: z.literal("scrape"),
    scrape: scrapeSettingsSchema,
    ...common,
  })
  .superRefine(requireMeasure("scrape", "value(active_users)"));

/** What both sources share once parsed. */
interface ResolvedCommon {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly minRequests: number;
  readonly triggers: RollbackTriggers;
  /** The service's own metrics, each with how its source measures it. */
  readonly custom: readonly CustomMetricConfig[];
}

export interface CustomMetricConfig extends CustomMetric {
  /** Prometheus source: the PromQL template. */
  readonly query?: string;
  /** Scrape source: the parsed expression. */
  readonly expression?: ScrapeExpression;
}

export interface PrometheusMetricsConfig extends ResolvedCommon {
  readonly source: "prometheus";
  readonly url: string;
  readonly window: string;
  readonly queries: QueryTemplates;
}

export interface ScrapeMetricsConfig extends ResolvedCommon {
  readonly source: "scrape";
  readonly targets: Readonly<Record<string, string>>;
  readonly template?: string;
  readonly scrapeIntervalMs: number;
  readonly versionLabel: string;
  readonly statusLabel: string;
  readonly names: MetricNames;
}

/** The parsed section: every default filled in, durations in milliseconds. */
export type MetricsConfig = PrometheusMetricsConfig | ScrapeMetricsConfig;

type Common = z.output<z.ZodObject<typeof common>>;

function resolveCommon(section: Common): ResolvedCommon {
  const triggers = section.triggers ?? {};
  const { cpuSustained, ...rest } = triggers;
  return {
    intervalMs: durationMs(section.interval ?? DEFAULT_ANALYSIS_INTERVAL),
    timeoutMs: durationMs(section.timeout ?? DEFAULT_METRICS_TIMEOUT),
    minRequests: section.minRequests ?? DEFAULT_MIN_REQUESTS,
    triggers: withDefaultTriggers({ ...rest, cpuSustainedMs: durationMs(cpuSustained ?? DEFAULT_CPU_SUSTAINED) }),
    custom: (section.custom ?? []).map(resolveCustom),
  };
}

function resolveCustom(metric: z.output<typeof customMetricSchema>): CustomMetricConfig {
  const parsed = metric.scrape === undefined ? undefined : parseScrapeExpression(metric.scrape);
  const query = metric.sameHour === undefined ? metric.query : sameHourRequestRateQuery(metric.sameHour);
  return {
    name: metric.name,
    title: metric.title ?? metric.name.replaceAll("-", " "),
    unit: metric.unit ?? (metric.sameHour === undefined ? "number" : "ratio"),
    worse: metric.worse,
    rollback: metric.rollback ?? true,
    ...(metric.limit === undefined ? {} : { limit: metric.limit }),
    ...(metric.vsBaseline === undefined ? {} : { vsBaseline: metric.vsBaseline }),
    ...(query === undefined ? {} : { query }),
    ...(parsed?.ok ? { expression: parsed.expression } : {}),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Partial<T>;
}

function resolve(section: z.output<typeof prometheusSchema> | z.output<typeof scrapeSchema>): MetricsConfig {
  const shared = resolveCommon(section);
  if (section.source === "prometheus") {
    return {
      source: "prometheus",
      url: section.url,
      window: section.window ?? DEFAULT_QUERY_WINDOW,
      queries: { ...DEFAULT_QUERIES, ...definedOnly(section.queries ?? {}) },
      ...shared,
    };
  }
  const scrape = section.scrape;
  return {
    source: "scrape",
    targets: scrape.targets ?? {},
    ...(scrape.template === undefined ? {} : { template: scrape.template }),
    scrapeIntervalMs: durationMs(scrape.interval ?? DEFAULT_SCRAPE_INTERVAL),
    versionLabel: scrape.versionLabel ?? "version",
    statusLabel: scrape.statusLabel ?? "status",
    names: { ...DEFAULT_METRIC_NAMES, ...definedOnly(scrape.names ?? {}) },
    ...shared,
  };
}

/** The manifest's `metrics` section; see the module comment for its shape. */
export const metricsConfigSchema = z
  .discriminatedUnion("source", [prometheusSchema, scrapeSchema], {
    error: (issue) =>
      issue.code === "invalid_union"
        ? "set source: prometheus (with url: http://prometheus:9090) or source: scrape (with scrape.targets or scrape.template)"
        : undefined,
  })
  .transform(resolve);

/** The section as written in YAML. */
export type MetricsConfigInput = z.input<typeof metricsConfigSchema>;
