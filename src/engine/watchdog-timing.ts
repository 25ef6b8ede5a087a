/**
 * When the watchdog looks, and how long it lets a deployment be before it
 * acts. Set by SLIPWAY_WATCHDOG_EVERY_MS, SLIPWAY_WATCHDOG_QUIET_MS and
 * SLIPWAY_WATCHDOG_GRACE_MS; the defaults suit production.
 */
export interface WatchdogTiming {
  /** How often the watchdog runs. @default 30 s */
  readonly everyMs: number;
  /** How long a deployment may sit without a change before its next job counts as lost. @default 2 min */
  readonly quietMs: number;
  /**
   * How long a step may run past its timeout before it is reported stuck, and a final hold
   * past its end before its next step is queued again. @default 1 min
   */
  readonly graceMs: number;
}

export const WATCHDOG_TIMING: WatchdogTiming = { everyMs: 30_000, quietMs: 2 * 60_000, graceMs: 60_000 };
