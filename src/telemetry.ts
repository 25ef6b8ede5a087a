import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { DoraStats, Level } from "./domain/dora.js";

/** Slipway's own metrics, served at /metrics. */
export function createTelemetry() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "slipway_process_" });
  const httpRequests = new Counter({
    name: "slipway_http_requests_total",
    help: "HTTP requests served, by route and status code",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  return { registry, httpRequests };
}

export type Telemetry = ReturnType<typeof createTelemetry>;

const LEVEL_VALUE: Readonly<Record<Level, number>> = { elite: 4, high: 3, medium: 2, low: 1 };

/** How long one computation of the DORA figures serves scrapes: every gauge of a scrape reads the same one. */
const DORA_CACHE_MS = 5_000;

/**
 * The figures of /deploy stats as gauges, per service and environment, over
 * the default period: computed from the deployment records when scraped,
 * so every Slipway process serves the same numbers and a Grafana board can
 * show them. A key with no data (no success, no failure) is left out rather
 * than shown as 0.
 */
export function registerDoraGauges(
  telemetry: Telemetry,
  compute: () => Promise<readonly DoraStats[]>,
  now: () => number = Date.now,
): void {
  let cached: { at: number; stats: Promise<readonly DoraStats[]> } | undefined;
  const stats = () => {
    if (!cached || now() - cached.at > DORA_CACHE_MS) cached = { at: now(), stats: compute() };
    return cached.stats;
  };
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, s: DoraStats) => void) =>
    new Gauge({
      name,
      help,
      labelNames: ["service", "environment", ...labelNames],
      registers: [telemetry.registry],
      async collect() {
        this.reset();
        for (const s of await stats()) fill(this, s);
      },
    });
  /** A gauge with one value per service and environment, left out when unknown. */
  const perScope = (name: string, help: string, value: (s: DoraStats) => number | undefined) =>
    gauge(name, help, [], (g, s) => {
      const v = value(s);
      if (v !== undefined) g.set({ service: s.service, environment: s.environment }, v);
    });
  perScope(
    "slipway_dora_deployments_per_day",
    "Successful deployments per day over the last 30 days",
    (s) => s.current.perDay,
  );
  perScope(
    "slipway_dora_lead_time_seconds",
    "Median lead time for changes (first commit, else request, to success) over the last 30 days",
    (s) => seconds(s.current.leadTimeMs),
  );
  perScope(
    "slipway_dora_change_failure_rate",
    "Deployments that failed, were rolled back or needed a hotfix, over all deployments (0..1), last 30 days",
    (s) => s.current.changeFailureRate,
  );
  perScope(
    "slipway_dora_time_to_restore_seconds",
    "Median time from a failure to service restored over the last 30 days",
    (s) => seconds(s.current.timeToRestoreMs),
  );
  gauge(
    "slipway_deployment_duration_seconds",
    "Deployment duration (first stage to end) over the last 30 days",
    ["quantile"],
    (g, s) => {
      const scope = { service: s.service, environment: s.environment };
      const median = seconds(s.current.durationMedianMs);
      const p90 = seconds(s.current.durationP90Ms);
      if (median !== undefined) g.set({ ...scope, quantile: "0.5" }, median);
      if (p90 !== undefined) g.set({ ...scope, quantile: "0.9" }, p90);
    },
  );
  gauge("slipway_dora_level", "DORA performance level per key: 4 elite, 3 high, 2 medium, 1 low", ["key"], (g, s) => {
    for (const [key, level] of Object.entries(s.levels)) {
      g.set({ service: s.service, environment: s.environment, key }, LEVEL_VALUE[level as Level]);
    }
  });
}

function seconds(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : ms / 1000;
}
