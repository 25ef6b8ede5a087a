/*
 * The two monitoring windows after 100%, as the seed draws them: the
 * immediate window (error rates, response times, health) analysed at the
 * analysis interval, then the extended window (user activity and business
 * metrics) at a slower interval of its own, up to 24 hours. Both can roll
 * back. After promotion each judges its own metrics: the extended window's
 * set (by default every custom metric) is left to it, the immediate window
 * judges everything else.
 */

/** The seed's immediate window when the manifest says nothing. */
export const DEFAULT_IMMEDIATE_MS = 15 * 60_000;
/** The extended window's length when `extended` names no `for`. */
export const DEFAULT_EXTENDED_MS = 3_600_000;
/** The extended window is analysed this many times less often than the immediate one, unless it says otherwise. */
export const EXTENDED_INTERVAL_FACTOR = 4;

/**
 * After 100% nothing is left to hold back for want of data, so a window that
 * keeps getting none pauses after this many inconclusive analyses in a row
 * (saying what was missing) instead of watching blind until it ends.
 */
export const MONITORING_INCONCLUSIVE_LIMIT = 3;

/** Whether an inconclusive analysis pauses the deployment now: its hold or window is over, or monitoring got no data too often. */
export function pausesOnInconclusive(input: {
  readonly monitoring: boolean;
  readonly now: number;
  /** The end of the hold, or of monitoring. */
  readonly decisionAt: number;
  readonly inconclusiveRounds: number;
}): boolean {
  if (input.now >= input.decisionAt) return true;
  return input.monitoring && input.inconclusiveRounds >= MONITORING_INCONCLUSIVE_LIMIT;
}

export type MonitoringWindowName = "immediate" | "extended";

/** When a deployment's monitoring windows end. */
export interface MonitoringSchedule {
  /** When the immediate window ends (and the extended one, if any, begins). */
  readonly immediateUntil: number;
  /** When monitoring ends. */
  readonly monitorUntil: number;
}

/** The windows of monitoring that starts at `start`; `factor` lengthens both (a sensitive deployment's 2). */
export function monitoringSchedule(
  start: number,
  immediateMs: number,
  extendedMs: number,
  factor = 1,
): MonitoringSchedule {
  const immediateUntil = start + immediateMs * factor;
  return { immediateUntil, monitorUntil: immediateUntil + extendedMs * factor };
}

/** Which window runs at `now`, and when it ends. */
export function monitoringWindowAt(
  schedule: Partial<MonitoringSchedule>,
  now: number,
): { readonly window: MonitoringWindowName; readonly endsAt: number } | undefined {
  const { immediateUntil, monitorUntil } = schedule;
  if (monitorUntil === undefined) return undefined;
  if (immediateUntil === undefined || immediateUntil >= monitorUntil || now < immediateUntil) {
    return { window: "immediate", endsAt: immediateUntil ?? monitorUntil };
  }
  return { window: "extended", endsAt: monitorUntil };
}

/** Whether a metric (a custom metric's name) is judged in `window`, given the extended window's set. */
export function judgedIn(
  window: MonitoringWindowName | undefined,
  metric: string,
  extendedMetrics: readonly string[] | undefined,
): boolean {
  if (window === undefined || extendedMetrics === undefined) return true;
  return window === "extended" ? extendedMetrics.includes(metric) : !extendedMetrics.includes(metric);
}
