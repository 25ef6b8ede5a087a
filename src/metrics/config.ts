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
 *
 * Parsing fills every default and turns durations into milliseconds, so the
 * parsed section is ready to build a source and to analyse with.
 */
import { z } from "zod";
import { DEFAULT_MIN_REQUESTS, type RollbackTriggers, withDefaultTriggers } from "../domain/analysis.js";
import { parseDuration } from "../domain/duration.js";
import {
  DEFAULT_QUERIES,
  DEFAULT_QUERY_WINDOW,
  PLACEHOLDERS,
  type QueryTemplates,
  unknownPlaceholders,
} from "./prometheus-source.js";
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
};

const prometheusSchema = z.strictObject({
  source: z.literal("prometheus"),
  url: httpUrl,
  /** The range of rates in the default queries, `{{window}}`. Default 1m. */
  window: durationText.optional(),
  queries: queriesSchema.optional(),
  ...common,
});

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

const scrapeSchema = z.strictObject({
  source: z.literal("scrape"),
  scrape: scrapeSettingsSchema,
  ...common,
});

/** What both sources share once parsed. */
interface ResolvedCommon {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly minRequests: number;
  readonly triggers: RollbackTriggers;
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
