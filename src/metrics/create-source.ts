import type { MetricsConfig } from "./config.js";
import { PrometheusSource } from "./prometheus-source.js";
import { ScrapeSource } from "./scrape-source.js";
import type { Fetch, MetricSource } from "./source.js";

export interface SourceDependencies {
  /** Default: the global fetch. */
  readonly fetch?: Fetch;
  /** Default: Date.now. */
  readonly now?: () => number;
  /** Waits between two scrapes. Default: a timer. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** The metric source a parsed `metrics` section describes. */
export function createMetricSource(config: MetricsConfig, dependencies: SourceDependencies = {}): MetricSource {
  switch (config.source) {
    case "prometheus":
      return new PrometheusSource({
        url: config.url,
        queries: config.queries,
        window: config.window,
        timeoutMs: config.timeoutMs,
        custom: config.custom.flatMap(({ name, query }) => (query === undefined ? [] : [{ name, query }])),
        ...dependencies,
      });
    case "scrape":
      return new ScrapeSource({
        targets: config.targets,
        template: config.template,
        intervalMs: config.scrapeIntervalMs,
        timeoutMs: config.timeoutMs,
        names: config.names,
        versionLabel: config.versionLabel,
        statusLabel: config.statusLabel,
        custom: config.custom.flatMap(({ name, expression }) =>
          expression === undefined ? [] : [{ name, expression }],
        ),
        ...dependencies,
      });
    default: {
      const unreachable: never = config;
      return unreachable;
    }
  }
}
