import { describe, expect, it } from "vitest";
import {
  changeFailureLevel,
  DAY_MS,
  type DoraSample,
  doraStats,
  frequencyLevel,
  leadTimeLevel,
  median,
  percentile,
  restoreLevel,
} from "../../../src/domain/dora.js";

/*
 * A hand-computed fixture: production and staging of one service over two
 * 30-day periods. Days 0–29 are the previous period, 30–59 the current one.
 */

const BASE = Date.UTC(2026, 0, 1);
const HOUR = 3_600_000;
const MINUTE = 60_000;
const at = (day: number, hour: number, minute = 0) => BASE + day * DAY_MS + hour * HOUR + minute * MINUTE;
const NOW = at(60, 0) - 1;

function sample(
  id: string,
  state: string,
  finishedAt: number,
  options: {
    leadMs?: number;
    firstCommitAt?: number;
    durationMin?: number;
    hotfix?: boolean;
    restore?: boolean;
    ran?: boolean;
    wentWrongAt?: number;
  } = {},
): DoraSample {
  return {
    id,
    state,
    hotfix: options.hotfix ?? false,
    restore: options.restore ?? false,
    ran: options.ran ?? true,
    finishedAt,
    leadTimeFrom: options.firstCommitAt ?? finishedAt - (options.leadMs ?? HOUR),
    leadTimeSource: options.firstCommitAt === undefined ? "request" : "git",
    durationMs: (options.durationMin ?? 10) * MINUTE,
    ...(options.wentWrongAt === undefined ? {} : { wentWrongAt: options.wentWrongAt }),
  };
}

const production: DoraSample[] = [
  // previous period
  sample("p1", "succeeded", at(2, 10), { leadMs: HOUR, durationMin: 20 }),
  sample("p2", "succeeded", at(10, 10), { leadMs: 3 * HOUR, durationMin: 30 }),
  sample("p3", "failed", at(20, 12), { durationMin: 10 }),
  sample("p4", "succeeded", at(21, 12), { firstCommitAt: at(19, 12), durationMin: 40 }),
  // current period
  sample("c1", "succeeded", at(31, 10), { leadMs: 2 * HOUR, durationMin: 20 }),
  sample("c2", "rolled_back", at(33, 10), { wentWrongAt: at(33, 9, 50), durationMin: 15 }),
  sample("c3", "succeeded", at(35, 10), { firstCommitAt: at(34, 10), durationMin: 30 }),
  sample("c4", "succeeded", at(36, 10), { hotfix: true, leadMs: HOUR, durationMin: 10 }),
  sample("c5", "failed", at(40, 10), { durationMin: 25 }),
  sample("r1", "succeeded", at(40, 10, 30), { restore: true, durationMin: 3 }),
  sample("c6", "succeeded", at(45, 10), { leadMs: 4 * HOUR, durationMin: 35 }),
  sample("c7", "rejected", at(50, 10), { ran: false }),
  sample("c8", "succeeded", at(55, 10), { leadMs: 30 * MINUTE, durationMin: 40 }),
  sample("c9", "failed", at(58, 10), { durationMin: 5 }),
];

const staging: DoraSample[] = [50, 51, 52, 53, 54, 55].map((day) =>
  sample(`s${day}`, "succeeded", at(day, 2), { leadMs: 10 * MINUTE, durationMin: 5 }),
);

describe("DORA keys on a hand-computed fixture", () => {
  // Shuffled: the order records come in does not matter.
  const stats = doraStats(
    { service: "api", environment: "production", samples: [...production].reverse(), days: 30 },
    NOW,
  );

  it("covers the 30 days before now and the 30 before that", () => {
    expect(stats.from).toBe(at(30, 0));
    expect(stats.to).toBe(at(60, 0));
  });

  it("counts changes (not rejected requests, not /rollback restores) and successes per day", () => {
    expect(stats.current.changes).toBe(8);
    expect(stats.current.successes).toBe(5);
    expect(stats.current.perDay).toBeCloseTo(5 / 30);
    expect(stats.levels.frequency).toBe("high");
    expect(stats.previous.changes).toBe(4);
    expect(stats.previous.perDay).toBeCloseTo(3 / 30);
  });

  it("takes lead time from the first commit when git knows it, else from the request", () => {
    // 2h, 24h (git), 1h, 4h, 30m → median 2h
    expect(stats.current.leadTimeMs).toBe(2 * HOUR);
    expect(stats.current.leadTimeFromGit).toBe(1);
    expect(stats.levels.leadTime).toBe("elite");
    // 1h, 3h, 48h (git) → median 3h
    expect(stats.previous.leadTimeMs).toBe(3 * HOUR);
  });

  it("counts failed, rolled-back and hotfixed changes as failures", () => {
    // c2 rolled back, c3 needed the hotfix c4, c5 and c9 failed: 4 of 8
    expect(stats.current.failures).toBe(4);
    expect(stats.current.changeFailureRate).toBe(0.5);
    expect(stats.levels.changeFailureRate).toBe("low");
    expect(stats.previous.changeFailureRate).toBe(0.25);
  });

  it("measures time to restore from going wrong to restored, leaving unrestored failures apart", () => {
    // c2: 10m (its rollback), c3: 24h (hotfix c4), c5: 30m (the /rollback r1); c9 not restored → median 30m
    expect(stats.current.timeToRestoreMs).toBe(30 * MINUTE);
    expect(stats.current.unrestored).toBe(1);
    expect(stats.levels.timeToRestore).toBe("elite");
    // p3 → p4: 24h
    expect(stats.previous.timeToRestoreMs).toBe(DAY_MS);
  });

  it("gives the median and p90 of deployment duration", () => {
    // 5,10,15,20,25,30,35,40 → median 22.5, p90 (rank 8) 40
    expect(stats.current.durationMedianMs).toBe(22.5 * MINUTE);
    expect(stats.current.durationP90Ms).toBe(40 * MINUTE);
    expect(stats.previous.durationMedianMs).toBe(25 * MINUTE);
  });

  it("compares each key with the previous period", () => {
    expect(stats.trends).toEqual({
      frequency: "better",
      leadTime: "better",
      changeFailureRate: "worse",
      timeToRestore: "better",
      duration: "better",
    });
  });

  it("computes another environment on its own records", () => {
    const s = doraStats({ service: "api", environment: "staging", samples: staging, days: 30 }, NOW);
    expect(s.current).toMatchObject({ changes: 6, successes: 6, failures: 0, changeFailureRate: 0, unrestored: 0 });
    expect(s.current.perDay).toBeCloseTo(0.2);
    expect(s.current.leadTimeMs).toBe(10 * MINUTE);
    expect(s.current.timeToRestoreMs).toBeUndefined();
    expect(s.levels).toEqual({ frequency: "high", leadTime: "elite", changeFailureRate: "elite" });
    expect(s.previous.changes).toBe(0);
    expect(s.trends).toEqual({ frequency: "better" });
  });

  it("over 7 days sees only the last week", () => {
    const s = doraStats({ service: "api", environment: "production", samples: production, days: 7 }, NOW);
    // c8 succeeded (day 55), c9 failed (day 58); previous week days 46–52 has only the rejected c7
    expect(s.current).toMatchObject({ changes: 2, successes: 1, failures: 1, changeFailureRate: 0.5 });
    expect(s.previous.changes).toBe(0);
  });
});

describe("a change taken back by /rollback", () => {
  it("counts as rolled back, restored when the /rollback succeeded", () => {
    const samples: DoraSample[] = [
      { ...sample("a", "succeeded", at(40, 10)), version: "v1.0.0" },
      { ...sample("b", "succeeded", at(41, 10)), version: "v1.1.0" },
      {
        ...sample("r", "succeeded", at(41, 12), { restore: true }),
        version: "v1.0.0",
        rollbackOf: "v1.1.0",
        requestedAt: at(41, 11, 50),
      },
      // A later /rollback away from v1.0.0 comes after another change: it does not count against a.
      { ...sample("c", "succeeded", at(42, 10)), version: "v1.2.0" },
      { ...sample("r2", "succeeded", at(43, 10), { restore: true }), version: "v1.1.0", rollbackOf: "v1.0.0" },
    ];
    const s = doraStats({ service: "api", environment: "production", samples, days: 30 }, NOW);
    expect(s.current).toMatchObject({ changes: 3, successes: 3, failures: 1, unrestored: 0 });
    expect(s.current.timeToRestoreMs).toBe(10 * MINUTE);
  });
});

describe("levels by the DORA 2023 thresholds", () => {
  it("deployment frequency", () => {
    expect(frequencyLevel(3)).toBe("elite");
    expect(frequencyLevel(1)).toBe("elite");
    expect(frequencyLevel(1 / 7)).toBe("high");
    expect(frequencyLevel(1 / 30)).toBe("medium");
    expect(frequencyLevel(1 / 31)).toBe("low");
  });

  it("lead time, change failure rate, time to restore", () => {
    expect(leadTimeLevel(DAY_MS - 1)).toBe("elite");
    expect(leadTimeLevel(DAY_MS)).toBe("high");
    expect(leadTimeLevel(7 * DAY_MS)).toBe("medium");
    expect(leadTimeLevel(30 * DAY_MS)).toBe("low");
    expect(changeFailureLevel(0.05)).toBe("elite");
    expect(changeFailureLevel(0.1)).toBe("high");
    expect(changeFailureLevel(0.15)).toBe("medium");
    expect(changeFailureLevel(0.16)).toBe("low");
    expect(restoreLevel(HOUR - 1)).toBe("elite");
    expect(restoreLevel(HOUR)).toBe("high");
    expect(restoreLevel(DAY_MS)).toBe("medium");
    expect(restoreLevel(7 * DAY_MS)).toBe("low");
  });

  it("median and nearest-rank percentile", () => {
    expect(median([])).toBeUndefined();
    expect(median([3, 1, 2])).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([7], 90)).toBe(7);
  });
});
