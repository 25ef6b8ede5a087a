import { Counter, collectDefaultMetrics, Registry } from "prom-client";

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
