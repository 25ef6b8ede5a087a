/*
 * Where canary analysis gets its numbers. A source measures the new version
 * and the stable one over the same window and says what it could not
 * measure instead of failing: the analysis turns missing data into an
 * inconclusive verdict, never into a pass and never into a crash.
 */
import type { Snapshot } from "../domain/analysis.js";

/** Which deployment to measure. */
export interface SnapshotRequest {
  /** The version being rolled out (the canary). */
  readonly version: string;
  /** The stable version serving the rest of the traffic, when there is one. */
  readonly baselineVersion?: string;
  readonly service: string;
  readonly environment: string;
}

export interface SourceSnapshot {
  readonly canary: Snapshot;
  /** Present when a baseline version was asked for, even if nothing of it could be measured. */
  readonly baseline?: Snapshot;
  /** What could not be measured and why, e.g. `v1.3.0 p95: Prometheus returned no series for the query …`. */
  readonly missing: string[];
}

export interface MetricSource {
  /**
   * Measures the canary and the baseline. Resolves with what could be
   * measured; rejects only when `signal` is aborted.
   */
  snapshot(request: SnapshotRequest, signal?: AbortSignal): Promise<SourceSnapshot>;
}

/** The five measures every source provides. */
export const MEASURES = ["requestRate", "errorRate", "p95", "cpu", "memory"] as const;
export type Measure = (typeof MEASURES)[number];

/** `fetch` as the sources use it; tests pass their own. */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

/** Throws the signal's reason when the caller has given up. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error("aborted");
}
