/*
 * The four DORA keys and deployment duration, per service and environment,
 * from deployment records. Pure: the records and the period come in.
 *
 * What counts:
 * - A *change* is a deployment that ran (some stage started) and was not a
 *   /rollback; rejected, expired or cancelled-before-running requests are no
 *   changes.
 * - Deployment frequency: changes that succeeded, per day of the period.
 * - Lead time for changes: median, over changes that succeeded, of the time
 *   from the first commit of the change (from git, when the repository is
 *   known) or else from the request, to success.
 * - Change failure rate: changes that failed, were rolled back (by Slipway,
 *   or by a /rollback away from their version before the next change), or
 *   needed a hotfix (the next change to the environment was a --hotfix),
 *   over all changes.
 * - Time to restore: median, over those failures, of the time from when it
 *   went wrong (the first bad sample, else the end of the failed deployment;
 *   for a /rollback, when it was asked for) to service restored: the end of
 *   its rollback when it was rolled back, else the next deployment to succeed
 *   in the environment (a fix, a hotfix or a /rollback). Failures not
 *   restored yet are counted apart.
 * - Duration: median and 90th percentile (nearest rank) of how long changes
 *   ran, from their first stage to their end.
 *
 * Levels follow the DORA 2023 State of DevOps report's clusters:
 *
 *   key                 elite        high          medium         low
 *   deployment freq.    ≥ 1 a day    ≥ 1 a week    ≥ 1 a month    less
 *   lead time           < 1 day      < 1 week      < 1 month      longer
 *   change failure      ≤ 5%         ≤ 10%         ≤ 15%          more
 *   time to restore     < 1 hour     < 1 day       < 1 week       longer
 */

export const DAY_MS = 24 * 3_600_000;
const HOUR_MS = 3_600_000;

export type Level = "elite" | "high" | "medium" | "low";
export type Trend = "better" | "worse" | "same";

/** What the keys need to know of one deployment record. */
export interface DoraSample {
  readonly id: string;
  readonly version?: string;
  /** For a /rollback: the version it took the environment back from. */
  readonly rollbackOf?: string;
  readonly requestedAt?: number;
  readonly state: string;
  readonly hotfix: boolean;
  /** A deployment made by /rollback: a restore, not a change. */
  readonly restore: boolean;
  /** Whether any stage started. */
  readonly ran: boolean;
  readonly finishedAt: number;
  /** Start of the lead time: the change's first commit when known, else the request. */
  readonly leadTimeFrom: number;
  readonly leadTimeSource: "git" | "request";
  readonly durationMs: number;
  /** When it went wrong, for a failed or rolled-back deployment: the first bad sample, the rollback's start. */
  readonly wentWrongAt?: number;
}

export interface Figures {
  /** Changes in the period. */
  readonly changes: number;
  readonly successes: number;
  /** Successful changes per day. */
  readonly perDay: number;
  readonly leadTimeMs?: number;
  /** Of the successes, how many had their lead time from git. */
  readonly leadTimeFromGit: number;
  readonly failures: number;
  /** 0..1; undefined without changes. */
  readonly changeFailureRate?: number;
  readonly timeToRestoreMs?: number;
  /** Failures with no restore yet. */
  readonly unrestored: number;
  readonly durationMedianMs?: number;
  readonly durationP90Ms?: number;
}

export interface KeyLevels {
  readonly frequency: Level;
  readonly leadTime?: Level;
  readonly changeFailureRate?: Level;
  readonly timeToRestore?: Level;
}

export interface KeyTrends {
  readonly frequency?: Trend;
  readonly leadTime?: Trend;
  readonly changeFailureRate?: Trend;
  readonly timeToRestore?: Trend;
  readonly duration?: Trend;
}

export interface DoraStats {
  readonly service: string;
  readonly environment: string;
  readonly days: number;
  /** The period is [from, to); the previous one is the same length before it. */
  readonly from: number;
  readonly to: number;
  readonly current: Figures;
  readonly previous: Figures;
  readonly levels: KeyLevels;
  readonly trends: KeyTrends;
}

export function median(values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** Nearest-rank percentile, `p` in 0..100. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

function isChange(s: DoraSample): boolean {
  return s.ran && !s.restore;
}

function wentBad(s: DoraSample): boolean {
  return s.state === "failed" || s.state === "rolled_back";
}

interface Failure {
  readonly sample: DoraSample;
  readonly at: number;
  readonly restoredAt?: number;
}

/** Every change that failed, was rolled back or needed a hotfix, with when it went wrong and was restored. */
function failuresOf(all: readonly DoraSample[]): Failure[] {
  const failures: Failure[] = [];
  all.forEach((s, index) => {
    if (!isChange(s)) return;
    const later = all.slice(index + 1);
    const nextChangeAt = later.findIndex(isChange);
    const beforeNextChange = nextChangeAt === -1 ? later : later.slice(0, nextChangeAt);
    const takenBack =
      s.state === "succeeded" && s.version !== undefined
        ? beforeNextChange.find((r) => r.restore && r.rollbackOf === s.version)
        : undefined;
    const neededHotfix = s.state === "succeeded" && !takenBack && later[nextChangeAt]?.hotfix === true;
    let at: number;
    let restoredAt: number | undefined;
    if (wentBad(s)) {
      at = s.wentWrongAt ?? s.finishedAt;
      restoredAt =
        s.state === "rolled_back"
          ? s.finishedAt
          : later.find((r) => r.state === "succeeded" && r.finishedAt >= at)?.finishedAt;
    } else if (takenBack) {
      at = takenBack.requestedAt ?? takenBack.finishedAt;
      restoredAt = takenBack.state === "succeeded" ? takenBack.finishedAt : undefined;
    } else if (neededHotfix) {
      at = s.finishedAt;
      restoredAt = later.find((r) => r.state === "succeeded" && r.finishedAt > at)?.finishedAt;
    } else return;
    failures.push({ sample: s, at, ...(restoredAt === undefined ? {} : { restoredAt }) });
  });
  return failures;
}

/** The figures of the changes that ended in [from, to); `all` is every record of the environment, any time. */
export function figures(all: readonly DoraSample[], from: number, to: number): Figures {
  const sorted = [...all].sort((a, b) => a.finishedAt - b.finishedAt);
  const inPeriod = (s: DoraSample) => s.finishedAt >= from && s.finishedAt < to;
  const changes = sorted.filter((s) => isChange(s) && inPeriod(s));
  const successes = changes.filter((s) => s.state === "succeeded");
  const failures = failuresOf(sorted).filter((f) => inPeriod(f.sample));
  const restores = failures.flatMap((f) => (f.restoredAt === undefined ? [] : [f.restoredAt - f.at]));
  const days = Math.max(1, (to - from) / DAY_MS);
  const leadTimeMs = median(successes.map((s) => s.finishedAt - s.leadTimeFrom));
  const timeToRestoreMs = median(restores);
  const durations = changes.map((s) => s.durationMs);
  const durationMedianMs = median(durations);
  const durationP90Ms = percentile(durations, 90);
  return {
    changes: changes.length,
    successes: successes.length,
    perDay: successes.length / days,
    ...(leadTimeMs === undefined ? {} : { leadTimeMs }),
    leadTimeFromGit: successes.filter((s) => s.leadTimeSource === "git").length,
    failures: failures.length,
    ...(changes.length === 0 ? {} : { changeFailureRate: failures.length / changes.length }),
    ...(timeToRestoreMs === undefined ? {} : { timeToRestoreMs }),
    unrestored: failures.length - restores.length,
    ...(durationMedianMs === undefined ? {} : { durationMedianMs }),
    ...(durationP90Ms === undefined ? {} : { durationP90Ms }),
  };
}

export function frequencyLevel(perDay: number): Level {
  if (perDay >= 1) return "elite";
  if (perDay >= 1 / 7) return "high";
  if (perDay >= 1 / 30) return "medium";
  return "low";
}

export function leadTimeLevel(ms: number): Level {
  if (ms < DAY_MS) return "elite";
  if (ms < 7 * DAY_MS) return "high";
  if (ms < 30 * DAY_MS) return "medium";
  return "low";
}

export function changeFailureLevel(rate: number): Level {
  if (rate <= 0.05) return "elite";
  if (rate <= 0.1) return "high";
  if (rate <= 0.15) return "medium";
  return "low";
}

export function restoreLevel(ms: number): Level {
  if (ms < HOUR_MS) return "elite";
  if (ms < DAY_MS) return "high";
  if (ms < 7 * DAY_MS) return "medium";
  return "low";
}

export function levels(f: Figures): KeyLevels {
  return {
    frequency: frequencyLevel(f.perDay),
    ...(f.leadTimeMs === undefined ? {} : { leadTime: leadTimeLevel(f.leadTimeMs) }),
    ...(f.changeFailureRate === undefined ? {} : { changeFailureRate: changeFailureLevel(f.changeFailureRate) }),
    ...(f.timeToRestoreMs === undefined ? {} : { timeToRestore: restoreLevel(f.timeToRestoreMs) }),
  };
}

/** How `now` compares with `before` when `higherIsBetter` says which way is good; undefined when either is unknown. */
export function trend(now: number | undefined, before: number | undefined, higherIsBetter: boolean): Trend | undefined {
  if (now === undefined || before === undefined) return undefined;
  if (now === before) return "same";
  return now > before === higherIsBetter ? "better" : "worse";
}

/** The keys for one service and environment over the `days` before `now`, against the `days` before that. */
export function doraStats(
  input: { service: string; environment: string; samples: readonly DoraSample[]; days: number },
  now: number,
): DoraStats {
  const to = now + 1;
  const from = to - input.days * DAY_MS;
  const current = figures(input.samples, from, to);
  const previous = figures(input.samples, from - input.days * DAY_MS, from);
  return {
    service: input.service,
    environment: input.environment,
    days: input.days,
    from,
    to,
    current,
    previous,
    levels: levels(current),
    trends: {
      ...(current.changes + previous.changes > 0
        ? { frequency: trend(current.perDay, previous.perDay, true) ?? "same" }
        : {}),
      ...optionalTrend("leadTime", trend(current.leadTimeMs, previous.leadTimeMs, false)),
      ...optionalTrend("changeFailureRate", trend(current.changeFailureRate, previous.changeFailureRate, false)),
      ...optionalTrend("timeToRestore", trend(current.timeToRestoreMs, previous.timeToRestoreMs, false)),
      ...optionalTrend("duration", trend(current.durationMedianMs, previous.durationMedianMs, false)),
    },
  };
}

function optionalTrend<K extends keyof KeyTrends>(key: K, value: Trend | undefined): Partial<Record<K, Trend>> {
  return value === undefined ? {} : ({ [key]: value } as Partial<Record<K, Trend>>);
}
