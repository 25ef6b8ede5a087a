import { describe, expect, it } from "vitest";
import {
  judgedIn,
  MONITORING_INCONCLUSIVE_LIMIT,
  monitoringSchedule,
  pausesOnInconclusive,
  watchAwaitsRollback,
  watching,
} from "../../../src/domain/monitoring-windows.js";

const MINUTE = 60_000;
const T = Date.UTC(2026, 11, 7, 10);

describe("the two monitoring windows' schedule", () => {
  it("runs the immediate window first, then the extended one until monitoring ends", () => {
    expect(monitoringSchedule(T, 15 * MINUTE, 60 * MINUTE)).toEqual({
      immediateUntil: T + 15 * MINUTE,
      monitorUntil: T + 75 * MINUTE,
    });
  });

  it("lengthens both windows by the factor of a sensitive deployment", () => {
    expect(monitoringSchedule(T, 15 * MINUTE, 60 * MINUTE, 2)).toEqual({
      immediateUntil: T + 30 * MINUTE,
      monitorUntil: T + 150 * MINUTE,
    });
  });

  it("ends with the immediate window when there is no extended one", () => {
    expect(monitoringSchedule(T, 15 * MINUTE, 0)).toEqual({
      immediateUntil: T + 15 * MINUTE,
      monitorUntil: T + 15 * MINUTE,
    });
  });

  it("watches a succeeded deployment through its extended window until the watch ends", () => {
    const planned = { until: T + 60 * MINUTE };
    expect(watching({ state: "monitoring", extendedWatch: planned })).toBe(false);
    expect(watching({ state: "succeeded", extendedWatch: planned })).toBe(true);
    expect(watching({ state: "succeeded" })).toBe(false);
    expect(watching({ state: "succeeded", extendedWatch: { ...planned, ended: { at: T, outcome: "passed" } } })).toBe(
      false,
    );
  });

  it("asks for the rollback of a trip once, and only of a trip", () => {
    const trip = {
      at: T,
      outcome: "tripped" as const,
      summary: "conversion rate 2% (limit: ≥ 10%)",
      rollbackId: "d-x",
    };
    const until = T + 60 * MINUTE;
    expect(watchAwaitsRollback({ extendedWatch: { until, ended: trip } })).toBe(true);
    expect(
      watchAwaitsRollback({
        extendedWatch: { until, ended: { ...trip, rollback: { started: true, deploymentId: "d-x", to: "v1" } } },
      }),
    ).toBe(false);
    expect(
      watchAwaitsRollback({ extendedWatch: { until, ended: { at: T, outcome: "no_data", summary: "none" } } }),
    ).toBe(false);
    expect(watchAwaitsRollback({ extendedWatch: { until } })).toBe(false);
  });

  it("leaves the extended window's metrics to it; the immediate window judges the rest; a canary step judges all", () => {
    const extended = ["conversion-rate"];
    expect(judgedIn("extended", "conversion-rate", extended)).toBe(true);
    expect(judgedIn("extended", "p99", extended)).toBe(false);
    expect(judgedIn("immediate", "conversion-rate", extended)).toBe(false);
    expect(judgedIn("immediate", "p99", extended)).toBe(true);
    expect(judgedIn(undefined, "conversion-rate", extended)).toBe(true);
    expect(judgedIn("immediate", "conversion-rate", undefined)).toBe(true);
  });
});

describe("missing data: when an inconclusive analysis pauses", () => {
  const end = T + 60 * MINUTE;

  it("pauses a hold only once it is over, however many analyses had no data", () => {
    expect(pausesOnInconclusive({ monitoring: false, now: T, decisionAt: end, inconclusiveRounds: 50 })).toBe(false);
    expect(pausesOnInconclusive({ monitoring: false, now: end, decisionAt: end, inconclusiveRounds: 1 })).toBe(true);
  });

  it("pauses monitoring after 100% at its end, or early after a few analyses in a row without data", () => {
    expect(MONITORING_INCONCLUSIVE_LIMIT).toBe(3);
    const monitoring = (rounds: number, now = T) =>
      pausesOnInconclusive({ monitoring: true, now, decisionAt: end, inconclusiveRounds: rounds });
    expect(monitoring(1)).toBe(false);
    expect(monitoring(2)).toBe(false);
    expect(monitoring(3)).toBe(true);
    expect(monitoring(1, end)).toBe(true);
  });
});
