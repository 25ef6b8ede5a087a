import { describe, expect, it } from "vitest";
import { cronProblem, nextRuns } from "../../../src/domain/schedule.js";

const iso = (ms: number) => new Date(ms).toISOString();

describe("nextRuns", () => {
  it("runs daily at 02:00 Berlin time, in winter at 01:00 UTC and in summer at 00:00 UTC", () => {
    const runs = nextRuns("0 2 * * *", "Europe/Berlin", Date.parse("2026-03-26T12:00:00Z"), 5).map(iso);
    expect(runs).toEqual([
      "2026-03-27T01:00:00.000Z",
      "2026-03-28T01:00:00.000Z",
      // 29 March: clocks go from 02:00 to 03:00; the run that day is at the first moment after the gap.
      "2026-03-29T01:00:00.000Z",
      "2026-03-30T00:00:00.000Z",
      "2026-03-31T00:00:00.000Z",
    ]);
  });

  it("runs once on the night clocks go back, though 02:30 happens twice", () => {
    const runs = nextRuns("30 2 * * *", "Europe/Berlin", Date.parse("2026-10-24T12:00:00Z"), 3).map(iso);
    expect(runs).toEqual(["2026-10-25T00:30:00.000Z", "2026-10-26T01:30:00.000Z", "2026-10-27T01:30:00.000Z"]);
  });

  it("reads the same expression in another zone", () => {
    expect(nextRuns("0 2 * * *", "America/New_York", Date.parse("2026-03-07T12:00:00Z"), 2).map(iso)).toEqual([
      "2026-03-08T07:00:00.000Z",
      "2026-03-09T06:00:00.000Z",
    ]);
  });

  it("takes seconds as a sixth field first", () => {
    const from = Date.parse("2026-01-01T00:00:01Z");
    expect(nextRuns("*/5 * * * * *", "UTC", from, 2).map(iso)).toEqual([
      "2026-01-01T00:00:05.000Z",
      "2026-01-01T00:00:10.000Z",
    ]);
  });
});

describe("cronProblem", () => {
  it.each(["0 2 * * *", "0 2 * * 1-5", "*/3 * * * * *", "@daily", "15 9 1 * mon"])("accepts %s", (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });

  it.each([
    ["0 2 * *", "has 4 fields; a cron expression has 5"],
    ["", "has 0 fields"],
    ["daily", "has 1 field"],
    ["61 2 * * *", "is not a cron expression (Constraint error, got value 61 expected range 0-59)"],
    ["0 2 * * someday", "is not a cron expression"],
  ])("refuses %j: %s", (cron, message) => {
    expect(cronProblem(cron)).toContain(message);
  });
});
