/*
 * The two monitoring windows after 100%, as the seed draws them: the
 * immediate window (error rates, response times, health) analysed at the
 * analysis interval, then the extended window (user activity and business
 * metrics) at a slower interval of its own, up to 24 hours. Both can roll
 * back. After promotion each judges its own metrics: the extended window's
 * set (by default every custom metric) is left to it, the immediate window
 * judges everything else.
 *
 * The deployment holds its environment through the immediate window only:
 * once that passes it has succeeded, and the lock, the one active
 * deployment and the line behind it are free. The extended window then
 * watches the succeeded deployment (an `ExtendedWatch`) while it is still
 * what the environment runs. A trip there is rolled back the way /rollback
 * rolls back a succeeded deployment, by Slipway itself; a newer deployment
 * reaching the environment ends the watch.
 */

/** The seed's immediate window when the manifest says nothing. */
export const DEFAULT_IMMEDIATE_MS = 15 * 60_000;
/** The extended window's length when `extended` names no `for`, or is not set and there are metrics for it. */
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

/** The analyses of the extended window are kept under this step index (the immediate window's is -1). */
export const EXTENDED_WATCH_INDEX = -2;

/** The extended window of a deployment: planned when monitoring starts, run once it has succeeded. */
export interface ExtendedWatch {
  /** When the extended window ends. */
  readonly until: number;
  /** How it ended; absent while it is planned or runs. */
  readonly ended?: WatchEnd;
}

/**
 * How an extended window ended: it passed; a metric tripped, and Slipway
 * asked for the rollback (the rollback deployment it started, or why that
 * was refused); its metrics had no data too many times in a row; or a newer
 * deployment reached the environment, so the version it watched is no longer
 * what runs there.
 */
export type WatchEnd =
  | { readonly at: number; readonly outcome: "passed" }
  | {
      readonly at: number;
      readonly outcome: "tripped";
      readonly summary: string;
      /** The id the rollback deployment starts under, chosen as it tripped. */
      readonly rollbackId: string;
      /** Once asked for: what became of it. */
      readonly rollback?: WatchRollback;
    }
  | { readonly at: number; readonly outcome: "no_data"; readonly summary: string }
  | { readonly at: number; readonly outcome: "superseded"; readonly by: string };

/** What became of the rollback an extended window's trip asked for. */
export type WatchRollback =
  | { readonly started: true; readonly deploymentId: string; readonly to: string }
  /** Refused: `code` is the rollback's refusal (see engine/rollback-request.ts), `newer` the deployment in the way. */
  | { readonly started: false; readonly code: string; readonly newer?: string };

/** Whether an extended window tripped and the rollback it asks for has not been asked for yet. */
export function watchAwaitsRollback(d: { readonly extendedWatch?: ExtendedWatch }): boolean {
  const ended = d.extendedWatch?.ended;
  return ended?.outcome === "tripped" && ended.rollback === undefined;
}

/** Whether the extended window of a succeeded deployment is running. */
export function watching(d: { readonly state: string; readonly extendedWatch?: ExtendedWatch }): boolean {
  return d.state === "succeeded" && d.extendedWatch !== undefined && d.extendedWatch.ended === undefined;
}

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

/** Whether a metric (a custom metric's name) is judged in `window`, given the extended window's set. */
export function judgedIn(
  window: MonitoringWindowName | undefined,
  metric: string,
  extendedMetrics: readonly string[] | undefined,
): boolean {
  if (window === undefined || extendedMetrics === undefined) return true;
  return window === "extended" ? extendedMetrics.includes(metric) : !extendedMetrics.includes(metric);
}
